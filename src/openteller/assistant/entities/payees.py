"""Which of the customer's payees an utterance names ("pay mom", "send it to Maria").

Scores come from `_fuzzy` (rapidfuzz `token_sort_ratio`, 0-100, minus 3 for a part of
the name such as "maria" for "Maria Lopez", minus 4 for a nickname or family word such
as "bob" for "Robert" or "mother" for "Mom"). Thresholds:

- `MATCH_THRESHOLD` (75): the best payee at or above it is the match. 75 lets one typo
  through in a five-letter part of a name ("lopes" scores 80 against "lopez", minus 3
  for a part: 77) and in a full name ("marai lopes" against "maria lopez": 82).
- `AMBIGUITY_MARGIN` (5): any other payee within 5 points of the best makes the match
  ambiguous, so "maria" with "Maria Lopez" and "Maria Chen" asks which one. A payee
  whose words are only part of the best one's ("maria" inside "maria lopez") does not
  compete with it.
- `SUGGEST_THRESHOLD` (60): near misses reported with `NOT_FOUND`, for "did you mean".
- `CONFLICT_PENALTY` (25): a part of a name next to a word the payee's name does not
  explain is probably someone else: "jonathan smith" does not match "Robert Smith"
  through "smith" (it comes back as a near miss). Common nouns said next to names
  ("my friend maria", "comcast internet") do not count.

When nothing matches, the words after "pay", "send ... to" or "to" are reported as the
unknown name, so the dialogue can say "you have no payee called Jonathan".
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from openteller.assistant.entities._analysis import Analysis, analyse
from openteller.assistant.entities._fuzzy import AliasIndex, MatchStatus, decide, grams
from openteller.assistant.entities._lexer import Doc, Kind, Span
from openteller.assistant.entities._names import STOP_WORDS
from openteller.core import PayeeView

MATCH_THRESHOLD = 75.0
AMBIGUITY_MARGIN = 5.0
SUGGEST_THRESHOLD = 60.0
CONFLICT_PENALTY = 25.0

_CUES = frozenset({"pay", "paying", "send", "sending", "to", "for", "transfer", "wire", "zelle"})
_SKIP = frozenset({"my", "the", "our", "a", "back"})


@dataclass(frozen=True)
class PayeeCandidate:
    payee: PayeeView
    score: float  # 0-100 after penalties
    text: str  # the words that matched
    span: Span


@dataclass(frozen=True)
class PayeeMatch:
    """MATCHED: `payee`. AMBIGUOUS: `candidates` to choose from. NOT_FOUND: `text` is
    the name that was not found (when one could be told) and `candidates` near misses."""

    status: MatchStatus
    payee: PayeeView | None = None
    candidates: tuple[PayeeCandidate, ...] = ()
    text: str | None = None
    span: Span | None = None


def match_payee(text: str, payees: Sequence[PayeeView]) -> PayeeMatch:
    """The payee `text` names, among `payees`."""
    return payee_of(analyse(text), payees)


@lru_cache(maxsize=128)
def _index(payees: tuple[PayeeView, ...]) -> AliasIndex[PayeeView]:
    return AliasIndex(payees, [p.name for p in payees])


def payee_of(an: Analysis, payees: Sequence[PayeeView]) -> PayeeMatch:
    index = _index(tuple(payees))
    hits = index.search(grams(an.doc, an.taken), SUGGEST_THRESHOLD, CONFLICT_PENALTY)
    status, chosen = decide(hits, MATCH_THRESHOLD, AMBIGUITY_MARGIN)
    candidates = tuple(
        PayeeCandidate(index.items[h.item], h.score, an.doc.raw(h.gram.start, h.gram.end),
                       (h.gram.start, h.gram.end))
        for h in chosen
    )  # fmt: skip
    if status is MatchStatus.MATCHED:
        best = candidates[0]
        return PayeeMatch(status, best.payee, candidates, best.text, best.span)
    if status is MatchStatus.AMBIGUOUS:
        best = candidates[0]
        return PayeeMatch(status, None, candidates, best.text, best.span)
    named = _named(an.doc, an.taken)
    if named is not None:
        return PayeeMatch(MatchStatus.NOT_FOUND, None, candidates, an.doc.raw(*named), named)
    if candidates:
        best = candidates[0]
        return PayeeMatch(MatchStatus.NOT_FOUND, None, candidates, best.text, best.span)
    return PayeeMatch(MatchStatus.NOT_MENTIONED)


def _named(doc: Doc, taken: Collection[int]) -> Span | None:
    """The words right after a payment cue: "pay jonathan", "send 50 to jonathan smith"."""
    toks = doc.tokens
    for i, tok in enumerate(toks):
        if not tok.is_word(*_CUES):
            continue
        k = i + 1
        while k < len(toks) and (k in taken or toks[k].text in _SKIP):
            k += 1  # "pay my ...", "send $50 to ..."
        end = k
        while (
            end < len(toks)
            and end - k < 3
            and toks[end].kind is Kind.WORD
            and end not in taken
            and toks[end].text not in STOP_WORDS
            and toks[end].text not in _CUES
        ):
            end += 1
        if end > k:
            return toks[k].start, toks[end - 1].end
    return None
