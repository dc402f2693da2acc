"""What the flows read from a message, in the shapes they need.

Amounts, dates, payees, accounts, merchants and categories come from
`openteller.assistant.entities`; the few readings only the dialogue needs (a card by its
last 4 digits, a loan term, "the second one", routing and account numbers) are here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from openteller.assistant import entities as ent
from openteller.core import AccountView, CardInfo, CardReason, PayeeView

T = TypeVar("T")
Status = Literal["one", "ambiguous", "none"]


@dataclass(frozen=True)
class Match(Generic[T]):
    status: Status
    value: T | None = None
    candidates: list[T] = field(default_factory=list)
    query: str | None = None  # what the customer called it, when nothing matched


@dataclass(frozen=True)
class AmountFound:
    value: Decimal | None
    currency: str | None
    problem: str | None  # "too_precise", "not_positive", "too_large", "ambiguous"
    text: str


_STATUS: dict[ent.MatchStatus, Status] = {
    ent.MatchStatus.MATCHED: "one",
    ent.MatchStatus.AMBIGUOUS: "ambiguous",
    ent.MatchStatus.NOT_FOUND: "none",
    ent.MatchStatus.NOT_MENTIONED: "none",
}


def find_amount(text: str) -> AmountFound | None:
    mentions = ent.extract_amounts(text)
    if not mentions:
        return None
    first = mentions[0]
    problems = set(first.problems)
    problem = None
    if ent.AmountProblem.TOO_PRECISE in problems:
        problem = "too_precise"
    elif problems & {ent.AmountProblem.NEGATIVE, ent.AmountProblem.ZERO}:
        problem = "not_positive"
    elif ent.AmountProblem.TOO_LARGE in problems:
        problem = "too_large"
    return AmountFound(first.value, first.currency, problem, first.text)


def find_range(text: str, now: datetime, tz: ZoneInfo) -> tuple[date, date] | None:
    found = ent.extract_date_range(text, now, tz)
    if not isinstance(found, ent.DateRange):
        return None  # none said, or a date that does not exist ("February 30")
    return found.start, found.end


def find_payee(text: str, payees: Sequence[PayeeView]) -> Match[PayeeView]:
    found = ent.match_payee(text, payees)
    query = found.text if found.status == ent.MatchStatus.NOT_FOUND else None
    return Match(_STATUS[found.status], found.payee, [c.payee for c in found.candidates], query)


def _account_match(found: ent.AccountMatch) -> Match[AccountView]:
    query = found.last_digits or found.text if found.status == ent.MatchStatus.NOT_FOUND else None
    return Match(_STATUS[found.status], found.account, list(found.candidates), query)


def find_account(text: str, accounts: Sequence[AccountView]) -> Match[AccountView]:
    return _account_match(ent.match_account(text, accounts))


def find_accounts(
    text: str, accounts: Sequence[AccountView]
) -> tuple[Match[AccountView], Match[AccountView], Match[AccountView]]:
    """(the "from" account, the "to" account, the first account named without a role)."""
    mentions = ent.extract_accounts(text, accounts)
    source = next((m for m in mentions if m.role == "from"), None)
    target = next((m for m in mentions if m.role == "to"), None)
    bare = next((m for m in mentions if m.role is None), None)
    none: Match[AccountView] = Match("none")
    return (
        _account_match(source) if source else none,
        _account_match(target) if target else none,
        _account_match(bare) if bare else none,
    )


def find_merchant(text: str) -> str | None:
    """A known merchant's name, or the words after "at" when they name none we know."""
    found = ent.extract_merchant(text)
    if found.status == ent.MatchStatus.MATCHED and found.merchant is not None:
        return found.merchant.name
    if found.status == ent.MatchStatus.NOT_FOUND and found.text:
        return found.text
    return None


def find_category(text: str) -> str | None:
    found = ent.extract_category(text)
    return found.category if found is not None else None


def describe(text: str, now: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The entities of a message for the channel: type, value, matched text."""
    found: list[dict[str, Any]] = []
    for amount in ent.extract_amounts(text):
        found.append(
            {"type": "amount", "value": str(amount.value), "currency": amount.currency,
             "text": amount.text, "problems": [p.value for p in amount.problems]}
        )  # fmt: skip
    period = ent.extract_date_range(text, now, tz)
    if isinstance(period, ent.DateRange):
        found.append(
            {"type": "date_range", "value": [period.start.isoformat(), period.end.isoformat()],
             "text": period.text}
        )  # fmt: skip
    merchant = ent.extract_merchant(text)
    if merchant.status == ent.MatchStatus.MATCHED and merchant.merchant is not None:
        found.append({"type": "merchant", "value": merchant.merchant.name, "text": merchant.text})
    category = ent.extract_category(text)
    if category is not None:
        found.append({"type": "category", "value": category.category, "text": category.text})
    return found


# ------------------------------------------------------------------ dialogue-only readings

_LAST4 = re.compile(
    r"(?:ending(?: in| with)?|last (?:4|four)(?: digits)?(?: are| is)?|\*{2,})\s*(\d{4})\b"
    r"|\b(\d{4})\b"
)


def find_card(text: str, cards: Sequence[CardInfo]) -> Match[CardInfo]:
    """The card named by its last 4 digits, or by "debit"/"credit" when one card fits."""
    lowered = text.lower()
    digits = next((m.group(1) or m.group(2) for m in _LAST4.finditer(lowered)), None)
    if digits is not None:
        hits = [c for c in cards if c.last4 == digits]
        if len(hits) == 1:
            return Match("one", hits[0])
        return Match("none", query=digits)
    for kind in ("debit", "credit"):
        if kind in lowered:
            hits = [c for c in cards if c.kind == kind]
            if len(hits) == 1:
                return Match("one", hits[0])
            if hits:
                return Match("ambiguous", candidates=hits)
    return Match("none")


_TERM = re.compile(
    r"\b(\d{1,3}|one|two|three|four|five|six)\s*[- ]?\s*(months?|mos?|years?|yrs?)\b", re.I
)
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def find_term_months(text: str) -> int | None:
    match = _TERM.search(text)
    if match is None:
        return None
    raw, unit = match.group(1).lower(), match.group(2).lower()
    number = _WORDS.get(raw) or int(raw)
    return number * 12 if unit.startswith(("y", "yr")) else number


def without_term(text: str) -> str:
    """`text` with the loan term taken out (so "5000 over 3 years" is not read as 3)."""
    return _TERM.sub(" ", text)


_ORDINALS = {
    "first": 0, "1st": 0, "one": 0, "1": 0,
    "second": 1, "2nd": 1, "two": 1, "2": 1,
    "third": 2, "3rd": 2, "three": 2, "3": 2,
    "last": -1,
}  # fmt: skip


def find_ordinal(text: str) -> int | None:
    """0-based position the customer picked ("the second one", "2", "first")."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    if len(words) > 6:
        return None
    for word in words:
        if word in _ORDINALS and _ORDINALS[word] >= 0:
            return _ORDINALS[word]
    return None


def find_card_reason(text: str) -> CardReason | None:
    lowered = text.lower()
    if re.search(r"\bstol[ea]n|\btheft|\bthief|\bpickpocket|\brobbed", lowered):
        return "stolen"
    if re.search(r"\blost|\bmissing|\bcan'?t find|\bmisplaced", lowered):
        return "lost"
    if re.search(
        r"\bdamaged|\bbroken|\bcracked|\bsnapped|\bworn|\bchip\b|\bdoesn'?t work", lowered
    ):
        return "damaged"
    if re.search(r"\bfraud|\bskimm|\bcompromised", lowered):
        return "fraud_suspected"
    return None


def says_full_balance(text: str) -> bool:
    return bool(
        re.search(
            r"\b(full|whole|entire|total|statement)\b.*\b(balance|amount|bill)\b"
            r"|\bpay (it )?(all|off)\b|\bin full\b",
            text.lower(),
        )
    )


def _aba_valid(digits: str) -> bool:
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


def find_bank_numbers(text: str) -> tuple[str | None, str | None]:
    """(routing number, account number): a 9-digit run passing the ABA checksum is the
    routing number; another 4-17 digit run is the account number."""
    runs = re.findall(r"\d[\d -]{2,22}\d", text)
    digits = [re.sub(r"[ -]", "", r) for r in runs]
    routing = next((d for d in digits if len(d) == 9 and _aba_valid(d)), None)
    account = next((d for d in digits if d != routing and 4 <= len(d) <= 17), None)
    return routing, account


def has_digits(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def clean_name(text: str) -> str:
    """A free-text answer (a name, a purpose) without filler and edge punctuation."""
    value = re.sub(
        r"^(it'?s|it is|the name is|name is|they are|it's called|for)\s+",
        "",
        text.strip(),
        flags=re.I,
    )
    return value.strip(" .!?\"'")[:120]
