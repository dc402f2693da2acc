"""extract_all: one pass, every entity with its span; never an exception on any text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

import openteller.assistant.entities as entities
from openteller.assistant.entities import (
    AmountProblem,
    DateRange,
    Entities,
    InvalidDate,
    MatchStatus,
    ScheduledDate,
    extract_all,
)

from .conftest import ACCOUNTS, NOW, PAYEES, TZ

M = MatchStatus


def run(text: str) -> Entities:
    return extract_all(text, now=NOW, tz=TZ, payees=PAYEES, accounts=ACCOUNTS)


def test_a_payment() -> None:
    found = run("pay maria lopez $1,250.50 from checking next friday")
    assert found.amount is not None
    assert (found.amount.value, found.amount.currency) == (Decimal("1250.50"), "USD")
    assert found.payee.payee is not None
    assert found.payee.payee.name == "Maria Lopez"
    assert found.transfer.source.account is not None
    assert found.transfer.source.account.name == "Everyday Checking"
    assert found.transfer.destination.status is M.NOT_MENTIONED
    assert isinstance(found.scheduled, ScheduledDate)
    assert (found.scheduled.date, found.scheduled.in_past) == (date(2026, 11, 20), False)
    assert found.merchant.status is M.NOT_MENTIONED


def test_a_history_question() -> None:
    found = run("how much did I spend at starbucks between June 1 and 15?")
    assert found.amounts == ()
    assert isinstance(found.period, DateRange)
    assert (found.period.start, found.period.end) == (date(2026, 6, 1), date(2026, 6, 15))
    assert found.merchant.merchant is not None
    assert found.merchant.merchant.name == "Starbucks"
    assert found.merchant.merchant.category == "dining"
    assert found.payee.status is M.NOT_MENTIONED


def test_a_transfer() -> None:
    found = run("move 200 from savings ending 1212 into my vacation fund")
    assert [a.value for a in found.amounts] == [Decimal("200")]
    assert [m.role for m in found.accounts] == ["from", "to"]
    assert found.transfer.source.account is not None
    assert found.transfer.source.account.name == "High-Yield Savings"
    assert found.transfer.destination.account is not None
    assert found.transfer.destination.account.name == "Vacation Fund"
    assert found.payee.status is M.NOT_MENTIONED


def test_a_category_question() -> None:
    found = run("how much on eating out since March")
    assert found.category is not None
    assert found.category.category == "dining"
    assert isinstance(found.period, DateRange)
    assert found.period.start == date(2026, 3, 1)


def test_bad_input_comes_back_as_results() -> None:
    found = run("pay jonathan 10.555 dollars on February 30")
    assert found.amount is not None
    assert found.amount.problems == (AmountProblem.TOO_PRECISE,)
    assert isinstance(found.scheduled, InvalidDate)
    assert found.scheduled.reason == "February has no day 30"
    assert (found.payee.status, found.payee.text) == (M.NOT_FOUND, "jonathan")
    past = run("pay mom 20 yesterday").scheduled
    assert isinstance(past, ScheduledDate)
    assert past.in_past


def test_spans_point_at_the_words() -> None:
    text = "Send  Mom  $40 from Checking on Nov 20th for Groceries"
    found = run(text)
    pieces = [
        found.amounts[0].span,
        found.payee.span,
        found.accounts[0].span,
        found.scheduled.span if found.scheduled else None,
        found.category.span if found.category else None,
    ]
    assert [text[s[0] : s[1]] for s in pieces if s] == [
        "$40",
        "Mom",
        "Checking",
        "on Nov 20th",
        "Groceries",
    ]


WORDS = [
    "pay", "mom", "maria", "lopez", "$", "50", "1,250.50", "fifty", "bucks", "to", "from",
    "savings", "checking", "ending", "4821", "on", "the", "15th", "last", "month", "between",
    "june", "1", "and", "15", "since", "march", "next", "friday", "at", "starbucks", "5pm",
    "%", "-", "/", "ago", "days", "3", "in", "weeks", "one", "hundred", "k", "€", "x",
    "feb", "30", "2025", "q", "'s", ".", ",", "of", "card", "credit", "half", "a", "grand",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join),
        st.lists(st.sampled_from(WORDS), max_size=12).map("".join),
    )
)
def test_any_text_gives_results_with_valid_spans(text: str) -> None:
    found = run(text)
    spans = [a.span for a in found.amounts] + [p.span for p in found.percents]
    spans += [m.span for m in found.accounts if m.span]
    for item in (found.period, found.scheduled, found.category, found.payee, found.merchant):
        span = getattr(item, "span", None)
        if span is not None:
            spans.append(span)
            assert text[span[0] : span[1]] == item.text  # type: ignore[union-attr]
    for start, end in spans:
        assert 0 <= start < end <= len(text)
    for amount in found.amounts:
        assert text[amount.span[0] : amount.span[1]] == amount.text
        assert amount.value >= 0


def test_public_names() -> None:
    assert sorted(entities.__all__) == sorted(
        name for name in dir(entities) if not name.startswith("_") and name[0].isalpha()
        and name not in {"accounts", "amounts", "bundle", "dates", "merchants", "payees"}
    )  # fmt: skip
