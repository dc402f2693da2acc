"""Support questions answered from the bank's documents: retrieve, answer, cite.

    question ─ knowledge.search (hybrid, abstains below its threshold)
             ─ llm provider.answer_from_documents (extractive by default)
             ─ SupportAnswer(text, citations, passages for the grounding rail)

The engine asks a `DocumentAnswerer`; `answerer_from_settings` builds the real one. When
the knowledge base abstains, or the model finds nothing in the passages, the customer is
told so and offered a person: a fee or a rate is never guessed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine

from openteller.core import Clock
from openteller.settings import Settings

if TYPE_CHECKING:
    from openteller.knowledge import KnowledgeBase
    from openteller.llm import LLMProvider

logger = logging.getLogger("openteller.assistant")

K = 4  # passages handed to the provider


@dataclass(frozen=True)
class SupportAnswer:
    text: str
    found: bool
    citations: list[dict[str, str]] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)  # what the answer may quote
    prompt: str | None = None  # "answer_from_documents@v2" when a prompt was used
    provider: str = ""


class DocumentAnswerer(Protocol):
    def answer(self, question: str, session_id: str) -> SupportAnswer: ...


class KnowledgeAnswerer:
    """The knowledge base's passages, answered by the configured provider."""

    def __init__(self, kb: KnowledgeBase, provider: LLMProvider, k: int = K) -> None:
        self.kb = kb
        self.provider = provider
        self.k = k

    def answer(self, question: str, session_id: str) -> SupportAnswer:
        from openteller.llm import Passage

        result = self.kb.search(question, k=self.k)
        if result.abstain or not result.hits:
            return SupportAnswer(
                "I can't find that in our documents.", False, provider=self.provider.name
            )
        passages = [Passage(h.doc_id, h.title, h.section, h.text) for h in result.hits]
        answer = self.provider.answer_from_documents(question, passages, session_id=session_id)
        prompt = answer.completion.prompt if answer.completion is not None else None
        if not answer.found:
            return SupportAnswer(
                "I can't find that in our documents.",
                False,
                passages=[p.text for p in passages],
                prompt=str(prompt) if prompt else None,
                provider=self.provider.name,
            )
        return SupportAnswer(
            answer.text,
            True,
            citations=[
                {"doc_id": c.doc_id, "title": c.title, "section": c.section}
                for c in answer.citations
            ],
            passages=[p.text for p in passages],
            prompt=str(prompt) if prompt else None,
            provider=self.provider.name,
        )


def answerer_from_settings(settings: Settings, engine: Engine, clock: Clock) -> KnowledgeAnswerer:
    """The knowledge base beside the database and the provider `settings` name; every
    model call is recorded in `llm_calls`."""
    from openteller.knowledge import KnowledgeBase
    from openteller.llm import DatabaseRecorder, provider_from_settings

    provider = provider_from_settings(settings, recorder=DatabaseRecorder(engine), clock=clock)
    return KnowledgeAnswerer(KnowledgeBase.open(settings), provider)


def citation_labels(citations: list[dict[str, Any]]) -> str:
    """`Sources: Fee schedule › Wires; Overdraft policy › Fees` for text-only channels."""
    seen: list[str] = []
    for c in citations:
        title, section = str(c["title"]), str(c.get("section") or "")
        section = section.removeprefix(f"{title} > ")  # a path may start at the title
        label = f"{title} › {section}" if section and section != title else title
        if label not in seen:
            seen.append(label)
    return "Sources: " + "; ".join(seen) if seen else ""
