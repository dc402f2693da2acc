"""Values that cross the `openteller.llm` boundary: messages, completions, passages, answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["system", "user", "assistant"]

# What every provider says when the passages do not answer the question.
NOT_IN_DOCUMENTS = (
    "I can't find that in our documents. "
    "Would you like me to connect you with a member of our team?"
)


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: Role
    content: str


@dataclass(frozen=True)
class PromptRef:
    """Which prompt template (and which version of it) produced a call's messages."""

    id: str
    version: str

    def __str__(self) -> str:
        return f"{self.id}@v{self.version}"


@dataclass(frozen=True)
class Completion:
    """A provider's answer and what it cost."""

    text: str
    tokens_in: int
    tokens_out: int
    latency_ms: int
    model: str
    provider: str
    prompt: PromptRef | None = None
    cost_micro_usd: int = 0


@dataclass(frozen=True)
class Passage:
    """A piece of a document handed to a provider (the assistant maps search hits onto it)."""

    doc_id: str
    title: str
    section: str
    text: str


@dataclass(frozen=True)
class Citation:
    """Where a sentence of an answer comes from."""

    doc_id: str
    title: str
    section: str

    def label(self) -> str:
        """ "Title › Section"; a section path that already starts with the title stands alone."""
        if not self.section:
            return self.title
        if self.section.startswith(self.title):
            return self.section
        return f"{self.title} › {self.section}"


@dataclass(frozen=True)
class Answer:
    """An answer from documents: its text, the (document, section) pairs it rests on, the call."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    completion: Completion | None = None
    found: bool = True

    def render_sources(self) -> str:
        """A plain-text footer ("Sources: [1] Fee schedule › Wires") for text-only channels."""
        if not self.citations:
            return ""
        items = "; ".join(f"[{i}] {c.label()}" for i, c in enumerate(self.citations, 1))
        return f"Sources: {items}"
