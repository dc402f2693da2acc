"""Answers from documents: citations of generated text, and answers as streams."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from openteller.llm.types import NOT_IN_DOCUMENTS, Answer, Citation, Completion, Passage


class AnswerStream:
    """Text deltas of an answer; `answer` (text, citations) is set when they are consumed."""

    def __init__(self) -> None:
        self.deltas: Iterator[str] = iter(())
        self.answer: Answer | None = None

    @classmethod
    def of(cls, answer: Answer) -> AnswerStream:
        """A stream of a finished answer, word by word."""
        stream = cls()
        stream.deltas = iter(words(answer.text))
        stream.answer = answer
        return stream

    def __iter__(self) -> Iterator[str]:
        return self.deltas

    def close(self) -> None:
        """Stop generating (the reader went away); the call is still recorded."""
        close = getattr(self.deltas, "close", None)
        if close is not None:
            close()


def words(text: str) -> list[str]:
    """`text` as stream deltas: its words, each after the first with its leading space."""
    return [w if i == 0 else " " + w for i, w in enumerate(text.split(" "))]


_MARKER = re.compile(r"\[(\d{1,2})\]")


def cite_generated(completion: Completion, passages: Sequence[Passage]) -> Answer:
    """Citations of a generated answer: the passages it marks [n], else every passage given.

    A model that answers with the not-found sentence gets no citations and `found=False`.
    """
    text = completion.text.strip()
    if not text or text.startswith(NOT_IN_DOCUMENTS[:30]):
        return Answer(NOT_IN_DOCUMENTS, [], completion, found=False)
    marked = [int(m) for m in _MARKER.findall(text) if 1 <= int(m) <= len(passages)]
    used = [passages[n - 1] for n in dict.fromkeys(marked)] or list(passages)
    return Answer(text, unique_citations(used), completion, found=True)


def unique_citations(passages: Sequence[Passage]) -> list[Citation]:
    """One citation per (document, section), in first-seen order."""
    seen: dict[tuple[str, str], Citation] = {}
    for p in passages:
        seen.setdefault((p.doc_id, p.section), Citation(p.doc_id, p.title, p.section))
    return list(seen.values())
