"""The extractive provider: answers are sentences of the passages, never new words.

Deterministic and model-free. A question's content words (lower-cased, lightly stemmed,
stop words dropped, APR/APY read for their long forms) are weighted by rarity across the
passages' sentences. A sentence scores the weight of the question words it contains, plus
`heading_weight` of those found only in its passage's title and section; x1.25 when the
question asks for a figure and the sentence has a number; less `rank_decay` per retrieval
rank (the retriever's order is evidence). Further sentences are added only for question
words still uncovered (two-part questions), at most `max_sentences`. Sentences are kept
verbatim (numbers included), each followed by its citation marker. When the best sentence
(with its heading) covers less than `min_coverage` of the question's weight, the answer is
`NOT_IN_DOCUMENTS`.

The defaults were chosen on the knowledge base's question set (answerable questions, top
5 hits): the first citation names a labelled section for 0.85 of them, against 0.83 for
the retriever's own first hit.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from openteller.llm.answers import AnswerStream, unique_citations, words
from openteller.llm.base import BaseProvider, Generated, StreamUsage
from openteller.llm.types import NOT_IN_DOCUMENTS, Answer, Citation, Message, Passage

MODEL = "extractive"

_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_STOP = frozenset(
    """a about above after again all also am an and any are as at be been before being below
    between both but by can could did do does doing during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just me might more
    most my no nor not of off on once only or other our ours out over own same she should so
    some such than that the their theirs them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would
    you your yours please tell know want need get much many""".split()  # noqa: SIM905 (a word list reads better as prose)
)
# Question words (stemmed) that ask for a figure: a sentence with a number then scores more.
_QUANTITY_WORDS = frozenset(
    {"fee", "rat", "apr", "apy", "limit", "cost", "charg", "much", "many", "long", "when",
     "minimum", "maximum", "interest", "pric", "tim", "day", "cut", "percent"}
)  # fmt: skip
_ABBREVIATIONS = (
    "a.m.",
    "p.m.",
    "e.g.",
    "i.e.",
    "U.S.",
    "Inc.",
    "No.",
    "Reg.",
    "etc.",
    "vs.",
    "Mr.",
    "Ms.",
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9$(\"'])")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")


def stem(word: str) -> str:
    """A light, consistent suffix stripper: fee/fees, wire/wires, charge/charged agree."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


_PHRASES = (
    (re.compile(r"\bannual percentage yields?\b"), "apy"),
    (re.compile(r"\bannual percentage rates?\b"), "apr"),
)


def terms(text: str) -> list[str]:
    """Content terms of `text`: stemmed words, numbers as written (25.00); single letters,
    stop words and the long forms of APR and APY (read as the acronyms) left out."""
    text = text.lower()
    for phrase, acronym in _PHRASES:
        text = phrase.sub(acronym, text)
    return [stem(w) for w in _WORD.findall(text) if w not in _STOP and (len(w) > 1 or w.isdigit())]


def _clean(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    return re.sub(r"\*\*|__|`", "", text).strip()


def _split_sentences(paragraph: str) -> list[str]:
    pieces = _SENTENCE_END.split(paragraph)
    merged: list[str] = []
    for piece in pieces:
        if merged and merged[-1].endswith(_ABBREVIATIONS):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return [m.strip() for m in merged if m.strip()]


def sentences(text: str) -> list[str]:
    """Sentences of a Markdown passage: paragraphs split at sentence ends, one per bullet,
    table rows as "first cell: other cells"; headings and table rules dropped."""
    units: list[str] = []
    paragraph: list[str] = []
    header: list[str] = []
    lines = text.splitlines()

    def flush() -> None:
        if paragraph:
            units.extend(_split_sentences(_clean(" ".join(paragraph))))
            paragraph.clear()

    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith("|"):
            header = []
        if not stripped or stripped.startswith("#"):
            flush()
        elif stripped.startswith("|"):
            flush()
            cells = [_clean(c) for c in stripped.strip("|").split("|")]
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if _TABLE_RULE.match(stripped):
                continue
            if _TABLE_RULE.match(following):
                header = cells  # the header row names the columns of the rows below
                continue
            units.append(_table_row(cells, header))
        elif _BULLET.match(line):
            flush()
            units.extend(_split_sentences(_clean(_BULLET.sub("", line))))
        else:
            paragraph.append(stripped)
    flush()
    return units


def _table_row(cells: list[str], header: list[str]) -> str:
    """ "first cell: values"; with more than one value column, each value named by its
    column ("outgoing wire: Everyday Checking $25.00; Premier Checking $15.00")."""
    values = cells[1:]
    if len(values) > 1 and len(header) == len(cells):
        values = [f"{name} {value}".strip() for name, value in zip(header[1:], values, strict=True)]
    values = [v for v in values if v]
    return cells[0] + (": " + "; ".join(values) if values else "")


@dataclass(frozen=True)
class _Unit:
    text: str
    passage: int
    position: int
    own: frozenset[str]
    heading: frozenset[str]
    has_number: bool


class ExtractiveProvider(BaseProvider):
    """Composes answers from the passages' own sentences; no model."""

    name = "extractive"

    def __init__(
        self,
        *,
        min_coverage: float = 0.25,
        max_sentences: int = 3,
        heading_weight: float = 0.75,
        rank_decay: float = 0.3,
        need_own_match: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("model", MODEL)
        super().__init__(**kwargs)
        self.min_coverage = min_coverage
        self.max_sentences = max_sentences
        self.heading_weight = heading_weight
        self.rank_decay = rank_decay
        self.need_own_match = need_own_match

    def _generate(self, messages: Sequence[Message], max_tokens: int) -> Generated:
        # Without passages there is nothing to extract from but the request itself: the
        # leading sentences of the last user message that fit in `max_tokens` words.
        source = next((m.content for m in reversed(messages) if m.role == "user"), "")
        picked: list[str] = []
        words = 0
        for sentence in sentences(source):
            n = len(sentence.split())
            if picked and words + n > max_tokens:
                break
            picked.append(sentence)
            words += n
        text = " ".join(picked)
        return Generated(text, _count(m.content for m in messages), len(text.split()))

    def _generate_stream(
        self, messages: Sequence[Message], max_tokens: int, usage: StreamUsage
    ) -> Iterator[str]:
        generated = self._generate(messages, max_tokens)
        usage.tokens_in, usage.tokens_out = generated.tokens_in, generated.tokens_out
        yield from words(generated.text)

    def stream_answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        max_tokens: int | None = None,
        session_id: str | None = None,
    ) -> AnswerStream:
        # Composed at once (it takes well under a millisecond), then handed out word by word.
        return AnswerStream.of(
            self.answer_from_documents(
                question, passages, max_tokens=max_tokens, session_id=session_id
            )
        )

    def answer_from_documents(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        max_tokens: int | None = None,
        session_id: str | None = None,
    ) -> Answer:
        started = time.perf_counter()
        picked = self.select(question, passages)
        if not picked:
            text, citations = NOT_IN_DOCUMENTS, []
        else:
            citations = unique_citations([passages[u.passage] for u in picked])
            index = {(c.doc_id, c.section): i for i, c in enumerate(citations, 1)}
            parts = []
            for u in picked:
                p = passages[u.passage]
                sentence = u.text if u.text.endswith((".", "!", "?")) else u.text + "."
                parts.append(f"{sentence} [{index[(p.doc_id, p.section)]}]")
            text = " ".join(parts)
        tokens_in = _count([question, *(p.text for p in passages)])
        completion = self._record(
            started, None, session_id, tokens_in, len(text.split()), text=text
        )
        return Answer(text, list[Citation](citations), completion, found=bool(picked))

    def select(self, question: str, passages: Sequence[Passage]) -> list[_Unit]:
        """The sentences that answer `question`, best first (empty: nothing relevant)."""
        wanted = list(dict.fromkeys(terms(question)))
        units = [
            _Unit(
                text=s,
                passage=pi,
                position=si,
                own=frozenset(terms(s)),
                heading=frozenset(terms(f"{p.title} {p.section}")),
                has_number=any(ch.isdigit() for ch in s),
            )
            for pi, p in enumerate(passages)
            for si, s in enumerate(sentences(p.text))
        ]
        if not wanted or not units:
            return []
        n = len(units)
        # Rarer words weigh more; a word no sentence has weighs most (coverage suffers).
        weight = {t: math.log(1 + (n + 1) / (sum(t in u.own for u in units) + 0.5)) for t in wanted}
        total = sum(weight.values())
        asked = {stem(w) for w in _WORD.findall(question.lower())}
        quantitative = bool(asked & _QUANTITY_WORDS)

        def score(u: _Unit) -> float:
            found = sum(weight[t] for t in wanted if t in u.own)
            found += self.heading_weight * sum(
                weight[t] for t in wanted if t in u.heading and t not in u.own
            )
            # The retriever's order is evidence too: each rank down costs `rank_decay`.
            prior = max(0.1, 1.0 - self.rank_decay * u.passage)
            return found * prior * (1.25 if quantitative and u.has_number else 1.0)

        ranked = sorted(units, key=lambda u: (-score(u), u.passage, u.position))
        best = ranked[0]
        coverage = sum(weight[t] for t in wanted if t in best.own | best.heading) / total
        if (self.need_own_match and not best.own & set(wanted)) or coverage < self.min_coverage:
            return []
        # Further sentences only for question words still uncovered (two-part questions):
        # the best-scoring one that adds some, if it scores 40 % of the best one.
        picked = [best]
        covered = (best.own | best.heading) & set(wanted)
        while len(picked) < self.max_sentences:
            left = set(wanted) - covered
            rest = [
                u
                for u in ranked
                if u not in picked
                and (u.own & set(wanted) or not self.need_own_match)
                and (u.own | u.heading) & left
            ]
            if not rest or score(rest[0]) < 0.4 * score(best):
                break
            picked.append(rest[0])
            covered |= (rest[0].own | rest[0].heading) & set(wanted)
        return picked


def _count(texts: Iterator[str] | Sequence[str]) -> int:
    """Tokens as the extractive provider counts them: whitespace-separated words."""
    return sum(len(t.split()) for t in texts)
