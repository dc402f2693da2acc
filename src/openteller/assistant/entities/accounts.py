"""The customer's own accounts named in an utterance, and the role each plays.

A mention is a run of descriptors joined only by filler words: a kind ("checking",
"savings", "credit card", "debit card" = checking, "loan"), trailing digits ("ending in
4821", "x4821", "****4821", "account 12345678") and words of an account's own name
("premier", "vacation fund"; rapidfuzz, `NAME_THRESHOLD`). Every descriptor narrows the
customer's accounts; open accounts are preferred over frozen or closed ones when both
fit. One left: matched; several: ambiguous ("the account ending in 12" with ...4812 and
...9912); none: not found ("savings ending 9999").

Roles: "from", "out of", "using", "with" before a mention make it the source; "to",
"into", "onto", "towards" the destination. In "move 200 savings to checking" the
mention without a cue before a destination is the source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from openteller.assistant.entities._analysis import Analysis, analyse
from openteller.assistant.entities._fuzzy import AliasIndex, MatchStatus, grams
from openteller.assistant.entities._lexer import Doc, Kind, Span
from openteller.assistant.entities._names import GENERIC_NAME_WORDS, STOP_WORDS
from openteller.core import AccountKind, AccountStatus, AccountView

Role = Literal["from", "to"]
NAME_THRESHOLD = 85.0

_KINDS: dict[tuple[str, ...], AccountKind] = {
    ("checking",): AccountKind.CHECKING,
    ("chequing",): AccountKind.CHECKING,
    ("current", "account"): AccountKind.CHECKING,
    ("debit", "card"): AccountKind.CHECKING,
    ("savings",): AccountKind.SAVINGS,
    ("saving",): AccountKind.SAVINGS,
    ("hysa",): AccountKind.SAVINGS,
    ("high", "yield"): AccountKind.SAVINGS,
    ("credit", "card"): AccountKind.CREDIT_CARD,
    ("credit", "account"): AccountKind.CREDIT_CARD,
    ("card",): AccountKind.CREDIT_CARD,
    ("loan",): AccountKind.LOAN,
}
# "checking my balance": the verb, not the account.
_VERB_AFTER = frozenset({"my", "the", "if", "whether", "on", "out", "your", "what", "how", "that"})
_DIGIT_CUES = frozenset({"ending", "ends", "end"})
_NUMBER_CUES = frozenset({"account", "acct", "number", "no", "#", "card"})
_MASKS = frozenset({"*", ".", "x", "#"})
_FILLERS = frozenset(
    {"my", "the", "our", "account", "acct", "in", "with", "ending", "ends", "that", "number",
     "no", "#", "is", "of", "-", "'s", "one"}
)  # fmt: skip
_FROM = frozenset({"from", "using", "with", "via"})
_TO = frozenset({"to", "into", "onto", "toward", "towards"})
_BEFORE_CUE = frozenset({"my", "the", "our", "your", "a", "an"})
_ACCOUNT_GENERIC = GENERIC_NAME_WORDS | {
    "checking", "chequing", "savings", "saving", "account", "card", "credit", "debit", "loan",
    "high", "yield", "cash", "back", "personal",
}  # fmt: skip


@dataclass(frozen=True)
class AccountMatch:
    """MATCHED: `account`. AMBIGUOUS: `candidates`. NOT_FOUND: what was said fits none."""

    status: MatchStatus
    account: AccountView | None = None
    candidates: tuple[AccountView, ...] = ()
    role: Role | None = None
    text: str | None = None
    span: Span | None = None
    kind: AccountKind | None = None  # the kind said, if any
    last_digits: str | None = None  # the digits said, if any


@dataclass(frozen=True)
class TransferAccounts:
    source: AccountMatch
    destination: AccountMatch


# Kind words may be part of an account's name ("High-Yield Savings").
_NAME_STOP = STOP_WORDS - {"checking", "savings", "saving", "card", "credit", "account"}

NOT_MENTIONED = AccountMatch(MatchStatus.NOT_MENTIONED)


@dataclass
class _Piece:
    first: int  # token indices [first, last)
    last: int
    kinds: set[AccountKind] = field(default_factory=set)
    digits: str | None = None
    names: set[int] = field(default_factory=set)


def extract_accounts(text: str, accounts: Sequence[AccountView]) -> tuple[AccountMatch, ...]:
    """Every account mention in `text`, left to right, with its role when one is said."""
    return accounts_of(analyse(text), accounts)


def match_account(
    text: str, accounts: Sequence[AccountView], role: Role | None = None
) -> AccountMatch:
    """The first account mention (with that role, when `role` is given)."""
    for mention in extract_accounts(text, accounts):
        if role is None or mention.role == role:
            return mention
    return NOT_MENTIONED


def extract_transfer_accounts(text: str, accounts: Sequence[AccountView]) -> TransferAccounts:
    """Source and destination of a transfer: "from savings to checking", "into savings"."""
    return transfer_of(extract_accounts(text, accounts))


def transfer_of(mentions: Sequence[AccountMatch]) -> TransferAccounts:
    source = next((m for m in mentions if m.role == "from"), NOT_MENTIONED)
    destination = next((m for m in mentions if m.role == "to"), NOT_MENTIONED)
    return TransferAccounts(source, destination)


@lru_cache(maxsize=128)
def _index(accounts: tuple[AccountView, ...]) -> AliasIndex[AccountView]:
    return AliasIndex(accounts, [a.name for a in accounts], generic=_ACCOUNT_GENERIC)


def accounts_of(an: Analysis, accounts: Sequence[AccountView]) -> tuple[AccountMatch, ...]:
    doc = an.doc
    index = _index(tuple(accounts))
    pieces = _kind_pieces(doc) + _digit_pieces(doc, an.taken)
    for hit in index.search(grams(doc, an.taken, _NAME_STOP), NAME_THRESHOLD):
        pieces.append(_Piece(hit.gram.first, hit.gram.last, names={hit.item}))
    clusters = _cluster(doc, pieces)
    mentions = [_resolve(doc, c, index.items) for c in clusters]
    roles: list[Role | None] = [_role(doc, c.first) for c in clusters]
    for k in range(len(roles) - 1):
        if roles[k] is None and roles[k + 1] == "to" and "from" not in roles:
            roles[k] = "from"  # "move 200 savings to checking"
    return tuple(
        AccountMatch(m.status, m.account, m.candidates, r, m.text, m.span, m.kind, m.last_digits)
        for m, r in zip(mentions, roles, strict=True)
    )


def _kind_pieces(doc: Doc) -> list[_Piece]:
    out: list[_Piece] = []
    i = 0
    while i < len(doc.tokens):
        for size in (2, 1):
            words = tuple(doc.word(i + k) for k in range(size))
            kind = _KINDS.get(words)
            if kind is None:
                continue
            if words == ("checking",) and _verb(doc, i):
                continue
            out.append(_Piece(i, i + size, kinds={kind}))
            i += size - 1
            break
        i += 1
    return out


def _verb(doc: Doc, i: int) -> bool:
    """ "checking my balance", "checking on it"; not "from checking on Friday"."""
    return doc.word(i + 1) in _VERB_AFTER and doc.word(i - 1) not in _FROM | _TO | _BEFORE_CUE


def _digit_pieces(doc: Doc, taken: frozenset[int]) -> list[_Piece]:
    out: list[_Piece] = []
    toks = doc.tokens
    for k, tok in enumerate(toks):
        if not tok.is_plain_int or k in taken or len(tok.text) < 2:
            continue
        start = k
        while start > 0 and toks[start - 1].text in _MASKS and doc.attached(start):
            start -= 1  # "****4821", "x4821", "...4821"
        if start == k:
            j = k - 1
            while j >= 0 and doc.word(j) in ("in", "with", "is", "on", "that"):
                j -= 1
            if doc.word(j) in _DIGIT_CUES or (
                len(tok.text) >= 4 and j == k - 1 and toks[j].text in _NUMBER_CUES
            ):
                start = j if doc.word(j) in _DIGIT_CUES else k
            elif _after_last_four(doc, k):
                start = k
            else:
                continue
        out.append(_Piece(start, k + 1, digits=tok.text))
    return out


def _after_last_four(doc: Doc, k: int) -> bool:
    """ "last four 4821", "last 4 digits are 4821"."""
    for j in range(max(0, k - 5), k - 1):
        if doc.word(j) == "last" and doc.tokens[j + 1].text in ("four", "4"):
            return True
    return False


def _cluster(doc: Doc, pieces: list[_Piece]) -> list[_Piece]:
    out: list[_Piece] = []
    for piece in sorted(pieces, key=lambda p: (p.first, -p.last)):
        if out and piece.first < out[-1].last:  # overlapping: same words
            _merge(out[-1], piece)
            continue
        if out and all(doc.tokens[k].text in _FILLERS for k in range(out[-1].last, piece.first)):
            _merge(out[-1], piece)
            continue
        out.append(
            _Piece(piece.first, piece.last, set(piece.kinds), piece.digits, set(piece.names))
        )
    return out


def _merge(into: _Piece, piece: _Piece) -> None:
    into.last = max(into.last, piece.last)
    into.kinds |= piece.kinds
    into.digits = piece.digits or into.digits
    into.names |= piece.names


def _resolve(doc: Doc, piece: _Piece, accounts: Sequence[AccountView]) -> AccountMatch:
    fits = list(enumerate(accounts))
    if piece.kinds:
        fits = [(n, a) for n, a in fits if a.kind in piece.kinds]
    if piece.digits:
        fits = [(n, a) for n, a in fits if _digits_fit(a.number_last4, piece.digits)]
    if piece.names:
        fits = [(n, a) for n, a in fits if n in piece.names]
    open_ = [(n, a) for n, a in fits if a.status is AccountStatus.OPEN]
    chosen = tuple(a for _, a in (open_ or fits))
    status = (
        MatchStatus.NOT_FOUND
        if not chosen
        else MatchStatus.MATCHED
        if len(chosen) == 1
        else MatchStatus.AMBIGUOUS
    )
    start, end = doc.tokens[piece.first].start, doc.tokens[piece.last - 1].end
    kind = next(iter(piece.kinds)) if len(piece.kinds) == 1 else None
    return AccountMatch(
        status,
        chosen[0] if status is MatchStatus.MATCHED else None,
        chosen,
        None,
        doc.raw(start, end),
        (start, end),
        kind,
        piece.digits,
    )


def _digits_fit(last4: str, digits: str) -> bool:
    tail = digits[-4:]
    return last4 == tail if len(tail) == 4 else last4.endswith(tail)


def _role(doc: Doc, first: int) -> Role | None:
    k = first - 1
    while k >= 0 and doc.word(k) in _BEFORE_CUE:
        k -= 1
    w = doc.word(k)
    if w in _FROM or (w == "of" and doc.word(k - 1) == "out"):
        return "from"
    if w in _TO:
        return "to"
    if k >= 0 and doc.tokens[k].kind is Kind.WORD and w == "in" and doc.word(k - 1) == "it":
        return "to"  # "put it in savings"
    return None
