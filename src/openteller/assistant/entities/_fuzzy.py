"""Fuzzy name lookup shared by payees, merchants and account names (rapidfuzz).

Each known name gives aliases: the full name (no penalty), its shorter runs of words
("Whole Foods Market" -> "whole foods", "maria"; penalty `PART`) and nickname forms
("Robert Smith" -> "bob smith", "bob"; penalty `NICK`). The utterance gives grams: runs
of one to four words not taken by an amount or a date (a gram of stop words only, such
as "will", counts only when it is exactly a whole name: the payee "Will"). Every gram is
scored against every alias at once with `rapidfuzz.process.cdist` and
`fuzz.token_sort_ratio` (0-100, word order ignored); the alias's penalty is subtracted.
Fuzzy scores below 100 count only for words of at least 3 letters (one of them at least
4) that start with the same letter, so "to" never becomes "Tom".
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from rapidfuzz import fuzz, process

from openteller.assistant.entities._lexer import Doc, Kind, normalize
from openteller.assistant.entities._names import (
    GENERIC_NAME_WORDS,
    NEUTRAL_WORDS,
    NICKNAMES,
    STOP_WORDS,
)

T = TypeVar("T")

PART = 3.0  # an alias that is only part of the name
NICK = 4.0  # a nickname (or family word) stands for a name word
COVER = 2.0  # ranking bonus per extra word a gram explains ("bob smith" over "smith")
MAX_GRAM = 4
_NAME_WORD = re.compile(r"[a-z0-9]+")


class MatchStatus(enum.StrEnum):
    """How a mention matched the customer's payees, accounts or the known merchants."""

    MATCHED = "matched"  # exactly one fits
    AMBIGUOUS = "ambiguous"  # several fit about as well: ask which
    NOT_FOUND = "not_found"  # something was named, nothing fits
    NOT_MENTIONED = "not_mentioned"  # nothing was named


@dataclass(frozen=True, slots=True)
class Gram:
    text: str
    start: int  # character offsets in the utterance
    end: int
    first: int  # token indices [first, last)
    last: int
    stop: bool = False  # only stop words
    before: str = ""  # the words next to the gram in the same run, "" if none
    after: str = ""

    @property
    def size(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True, slots=True)
class Hit:
    item: int
    score: float
    gram: Gram

    @property
    def rank(self) -> float:
        return self.score + COVER * (self.gram.size - 1)


def name_words(name: str) -> list[str]:
    """The words of a name, lower case, possessive 's and punctuation dropped."""
    return _NAME_WORD.findall(normalize(name).replace("'s", "").replace("'", ""))


def _word(text: str) -> str:
    return text.replace("'s", "").replace("'", "")


def grams(doc: Doc, blocked: Collection[int] = (), stop: frozenset[str] = STOP_WORDS) -> list[Gram]:
    """Runs of 1..MAX_GRAM words that no other entity took; no run of several stop words."""
    runs: list[list[int]] = [[]]
    for i, tok in enumerate(doc.tokens):
        if tok.kind is Kind.WORD and i not in blocked:
            runs[-1].append(i)
        elif tok.text in ("-", "&", "'", ".") and runs[-1] and i not in blocked:
            continue  # "high-yield", "power & light", "mr. cooper": the run goes on
        elif runs[-1]:
            runs.append([])
    out: list[Gram] = []
    for run in runs:
        for a in range(len(run)):
            for b in range(a + 1, min(len(run), a + MAX_GRAM) + 1):
                words = [_word(doc.tokens[k].text) for k in run[a:b]]
                only_stop = all(w in stop for w in words)
                if (only_stop and len(words) > 1) or not all(words):
                    continue
                first, last = doc.tokens[run[a]], doc.tokens[run[b - 1]]
                before = _word(doc.tokens[run[a - 1]].text) if a > 0 else ""
                after = _word(doc.tokens[run[b]].text) if b < len(run) else ""
                out.append(
                    Gram(
                        " ".join(words),
                        first.start,
                        last.end,
                        run[a],
                        run[b - 1] + 1,
                        only_stop,
                        before,
                        after,
                    )
                )
    return out


class AliasIndex(Generic[T]):
    """Known names (payees, merchants, accounts) with their aliases, for `search`."""

    def __init__(
        self,
        items: Sequence[T],
        names: Sequence[str],
        extra: Sequence[Iterable[str]] | None = None,
        generic: frozenset[str] = GENERIC_NAME_WORDS,
    ) -> None:
        self.items = tuple(items)
        best: dict[tuple[int, str], float] = {}

        def add(owner: int, words: Sequence[str], penalty: float) -> None:
            text = " ".join(words)
            if text and best.get((owner, text), 99.0) > penalty:
                best[(owner, text)] = penalty

        for owner, name in enumerate(names):
            words = name_words(name)
            add(owner, words, 0.0)
            for a in range(len(words)):
                for b in range(a + 1, len(words) + 1):
                    part = words[a:b]
                    if len(part) == len(words) or not _meaningful(part, generic):
                        continue
                    add(owner, part, PART)
            for k, word in enumerate(words):
                for nick in NICKNAMES.get(word, ()):
                    add(owner, [*words[:k], nick, *words[k + 1 :]], NICK)
                    if len(words) > 1 and _meaningful([nick], generic):
                        add(owner, [nick], PART + NICK)
            for alias in extra[owner] if extra else ():
                add(owner, name_words(alias), 0.0)
        self.aliases = [text for _, text in best]
        self.owners = [owner for owner, _ in best]
        self.penalties = list(best.values())
        self.words: list[set[str]] = [set() for _ in self.items]
        for owner, text in best:
            self.words[owner].update(text.split())

    def search(self, query: Sequence[Gram], floor: float, conflict: float = 0.0) -> list[Hit]:
        """Each item's best gram, scoring at least `floor` after penalties; best first.

        `conflict` is taken off a part or nickname match with an unexplained word right
        next to it: "jonathan smith" is not "Robert Smith" though "smith" is.
        """
        if not query or not self.aliases:
            return []
        texts = [g.text for g in query]
        scores = process.cdist(
            texts, self.aliases, scorer=fuzz.token_sort_ratio, score_cutoff=floor, dtype=np.uint8
        )
        found: dict[int, Hit] = {}
        for gi, ai in zip(*np.nonzero(scores), strict=True):
            raw = float(scores[gi, ai])
            gram, alias = query[gi], self.aliases[ai]
            if raw < 100 and not _fuzzy_ok(gram.text, alias):
                continue
            if gram.stop and (raw < 100 or self.penalties[ai] > 0):
                continue
            owner = self.owners[ai]
            score = raw - self.penalties[ai]
            if conflict and self.penalties[ai] > 0 and self._stranger(owner, gram):
                score -= conflict
            hit = Hit(owner, score, gram)
            old = found.get(owner)
            if score >= floor and (old is None or (hit.rank, score) > (old.rank, old.score)):
                found[owner] = hit
        return sorted(found.values(), key=lambda h: (-h.rank, -h.score, h.item))

    def _stranger(self, owner: int, gram: Gram) -> bool:
        known = self.words[owner]
        return any(
            w and w not in known and w not in STOP_WORDS and w not in NEUTRAL_WORDS
            for w in (gram.before, gram.after)
        )


def decide(hits: Sequence[Hit], threshold: float, margin: float) -> tuple[MatchStatus, list[Hit]]:
    """Matched (one hit), ambiguous (several within `margin` of the best) or not found.

    A hit whose words lie inside the best hit's longer gram does not compete with it:
    "maria lopez" names Maria Lopez even though "maria" alone also fits Maria Chen.
    """
    if not hits or hits[0].score < threshold:
        return MatchStatus.NOT_FOUND, list(hits[:3])
    best = hits[0]  # by rank: score plus a bonus for each word explained
    rivals = [
        h
        for h in hits[1:]
        if h.score >= threshold and h.score >= best.score - margin and not _covers(best, h)
    ]
    if rivals:
        return MatchStatus.AMBIGUOUS, [best, *rivals]
    return MatchStatus.MATCHED, [best]


def _covers(a: Hit, b: Hit) -> bool:
    return (
        a.gram.start <= b.gram.start
        and b.gram.end <= a.gram.end
        and a.gram.size > b.gram.size
        and a.score >= b.score
    )


def _meaningful(words: Sequence[str], generic: frozenset[str]) -> bool:
    useful = [w for w in words if w not in generic and w not in STOP_WORDS]
    if not useful:
        return False
    return len(words) > 1 or len(words[0]) >= 3


def _fuzzy_ok(gram: str, alias: str) -> bool:
    """A near miss counts only between words long enough to carry a typo."""
    shortest = min(len(gram), len(alias))
    longest = max(len(gram), len(alias))
    # Typos rarely change the first letter: requiring it (word order aside) drops most
    # chance resemblances between short words.
    return shortest >= 3 and longest >= 4 and min(gram.split())[0] == min(alias.split())[0]
