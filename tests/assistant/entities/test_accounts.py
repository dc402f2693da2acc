"""Own accounts: kinds, digits, names, roles, ambiguity."""

from __future__ import annotations

import pytest

from openteller.assistant.entities import (
    MatchStatus,
    extract_accounts,
    extract_transfer_accounts,
    match_account,
)
from openteller.core import AccountKind

from .conftest import ACCOUNTS

M = MatchStatus
CHECKING, HYS, VACATION = "Everyday Checking", "High-Yield Savings", "Vacation Fund"


@pytest.mark.parametrize(
    ("text", "name", "said"),
    [
        ("checking", "Everyday Checking", "checking"),
        ("what's in my checking account", "Everyday Checking", "checking"),
        ("my credit card", "Cash Back Credit Card", "credit card"),
        ("pay my card", "Cash Back Credit Card", "card"),
        ("my debit card", "Everyday Checking", "debit card"),
        ("savings ending 1212", "High-Yield Savings", "savings ending 1212"),
        ("savings ending in 3344", "Vacation Fund", "savings ending in 3344"),
        ("the account ending in 21", "Everyday Checking", "ending in 21"),
        ("x4821", "Everyday Checking", "x4821"),
        ("card ****9912", "Cash Back Credit Card", "card ****9912"),
        ("my high yield savings", "High-Yield Savings", "high yield savings"),
        ("my vacation fund", "Vacation Fund", "vacation fund"),
        ("my everyday account", "Everyday Checking", "everyday"),
        ("the loan", "Personal Loan", "loan"),
        ("last four 3344", "Vacation Fund", "3344"),
    ],
)
def test_matched(text: str, name: str, said: str) -> None:
    found = match_account(text, ACCOUNTS)
    assert found.status is M.MATCHED, found
    assert found.account is not None
    assert (found.account.name, found.text) == (name, said)
    assert found.span is not None
    assert text[found.span[0] : found.span[1]] == said


def test_two_savings_are_ambiguous() -> None:
    found = match_account("my savings", ACCOUNTS)
    assert (found.status, found.kind) == (M.AMBIGUOUS, AccountKind.SAVINGS)
    assert sorted(a.name for a in found.candidates) == ["High-Yield Savings", "Vacation Fund"]


def test_digits_shared_by_two_accounts_are_ambiguous() -> None:
    found = match_account("the account ending in 12", ACCOUNTS)
    assert (found.status, found.last_digits) == (M.AMBIGUOUS, "12")
    assert sorted(a.number_last4 for a in found.candidates) == ["1212", "9912"]


def test_closed_accounts_give_way_to_open_ones() -> None:
    # Premier Checking is closed: "checking" is the open Everyday Checking...
    found = match_account("checking", ACCOUNTS)
    assert found.account is not None
    assert found.account.name == "Everyday Checking"
    # ...but a closed account named outright is still found (the flow refuses it).
    found = match_account("premier checking", ACCOUNTS)
    assert found.account is not None
    assert found.account.name == "Premier Checking"


@pytest.mark.parametrize(
    ("text", "kind", "digits"),
    [
        ("savings ending 9999", AccountKind.SAVINGS, "9999"),
        ("checking ending 1212", AccountKind.CHECKING, "1212"),
    ],
)
def test_nothing_fits(text: str, kind: AccountKind, digits: str) -> None:
    found = match_account(text, ACCOUNTS)
    assert (found.status, found.account, found.kind, found.last_digits) == (
        M.NOT_FOUND,
        None,
        kind,
        digits,
    )


@pytest.mark.parametrize(
    "text", ["checking my balance", "pay mom 50", "what did I spend last month", ""]
)
def test_nothing_mentioned(text: str) -> None:
    assert extract_accounts(text, ACCOUNTS) == ()
    assert match_account(text, ACCOUNTS).status is M.NOT_MENTIONED


@pytest.mark.parametrize(
    ("text", "source", "destination"),
    [
        ("transfer 500 from savings ending 1212 to checking", HYS, CHECKING),
        ("move 200 from checking into my vacation fund", CHECKING, VACATION),
        ("to checking from the vacation fund", VACATION, CHECKING),
        ("move 200 vacation fund to checking", VACATION, CHECKING),
        ("take 50 out of checking and put it in my vacation fund", CHECKING, VACATION),
        ("pay my credit card using checking", CHECKING, None),
        ("put 100 into savings ending 3344", None, VACATION),
    ],
)
def test_transfer_roles(text: str, source: str | None, destination: str | None) -> None:
    found = extract_transfer_accounts(text, ACCOUNTS)
    got = (
        found.source.account.name if found.source.account else None,
        found.destination.account.name if found.destination.account else None,
    )
    assert got == (source, destination)
    if source is None:
        assert found.source.status is M.NOT_MENTIONED
    if destination is None:
        assert found.destination.status is M.NOT_MENTIONED


def test_role_filter() -> None:
    text = "from savings ending 1212 to checking"
    to = match_account(text, ACCOUNTS, role="to")
    assert (to.role, to.account and to.account.name) == ("to", "Everyday Checking")
    source = match_account(text, ACCOUNTS, role="from")
    assert (source.role, source.account and source.account.name) == ("from", "High-Yield Savings")
    assert match_account("into checking", ACCOUNTS, role="from").status is M.NOT_MENTIONED


def test_ambiguous_source_keeps_its_role() -> None:
    found = extract_transfer_accounts("from savings to checking", ACCOUNTS)
    assert (found.source.status, found.source.role) == (M.AMBIGUOUS, "from")
    assert found.destination.status is M.MATCHED
