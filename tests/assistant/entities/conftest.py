"""A fixed clock, the bank's timezone, and a customer's payees and accounts."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from openteller.core import AccountKind, AccountStatus, AccountView, PayeeView

# Sunday 2026-11-15, 07:00 in New York.
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
TZ = ZoneInfo("America/New_York")


def payee(pid: int, name: str) -> PayeeView:
    return PayeeView(pid, name, "Chase", "021000021", f"{pid:04d}", NOW)


def account(
    aid: int,
    kind: AccountKind,
    name: str,
    last4: str,
    status: AccountStatus = AccountStatus.OPEN,
) -> AccountView:
    return AccountView(aid, 1, last4, kind, kind.value, name, "USD", status, NOW)


PAYEES = (
    payee(1, "Mom"),
    payee(2, "Maria Lopez"),
    payee(3, "Maria Chen"),
    payee(4, "Robert Smith"),
    payee(5, "Parkview Apartments"),
    payee(6, "Comcast Xfinity"),
    payee(7, "Will"),
)
ACCOUNTS = (
    account(1, AccountKind.CHECKING, "Everyday Checking", "4821"),
    account(2, AccountKind.SAVINGS, "High-Yield Savings", "1212"),
    account(3, AccountKind.CREDIT_CARD, "Cash Back Credit Card", "9912"),
    account(4, AccountKind.SAVINGS, "Vacation Fund", "3344"),
    account(5, AccountKind.LOAN, "Personal Loan", "7070"),
    account(6, AccountKind.CHECKING, "Premier Checking", "5555", AccountStatus.CLOSED),
)


@pytest.fixture
def payees() -> tuple[PayeeView, ...]:
    return PAYEES


@pytest.fixture
def accounts() -> tuple[AccountView, ...]:
    return ACCOUNTS
