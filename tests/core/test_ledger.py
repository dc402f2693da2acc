"""Ledger behaviour on SQLite and PostgreSQL: postings, idempotency, holds, reversals, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openteller.core.errors import (
    AccountClosed,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    InvalidIdempotencyKey,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from openteller.core.integrity import check_ledger, ledger_digest
from openteller.core.ledger import HoldRequest, TransferRequest, TransferResult
from openteller.core.models import AccountStatus, HoldStatus, TransferStatus
from tests.conftest import Bank


def _req(key: str, src: int, dst: int, amount: str, currency: str = "USD") -> TransferRequest:
    return TransferRequest(
        idempotency_key=key,
        debit_account_id=src,
        credit_account_id=dst,
        amount=Decimal(amount),
        currency=currency,
    )


@pytest.fixture
def two(bank: Bank) -> tuple[int, int]:
    alice = bank.customer("alice")
    a = bank.account(alice)
    b = bank.account(alice, "high_yield_savings")
    bank.fund(a, "100.00", key="fund-a")
    return a, b


def test_transfer_posts_balanced_entries(bank: Bank, two: tuple[int, int]) -> None:
    a, b = two
    result = bank.ledger.transfer(_req("t-1", a, b, "40.25"))
    assert result.status == TransferStatus.POSTED
    assert result.amount == Decimal("40.25")
    assert result.replayed is False
    assert bank.ledger.balance(a).ledger == Decimal("59.75")
    assert bank.ledger.balance(b).ledger == Decimal("40.25")
    report = check_ledger(bank.engine)
    assert report.ok, report.violations
    assert report.totals == {"USD": "0.00"}
    assert report.transfers == 2
    assert report.postings == 4


def test_same_key_same_body_replays_without_second_posting(
    bank: Bank, two: tuple[int, int]
) -> None:
    a, b = two
    first = bank.ledger.transfer(_req("t-1", a, b, "10.00"))
    again = bank.ledger.transfer(_req("t-1", a, b, "10.00"))
    assert again.id == first.id
    assert again.replayed is True
    assert bank.ledger.balance(a).ledger == Decimal("90.00")
    assert check_ledger(bank.engine).postings == 4


def test_same_key_other_body_conflicts(bank: Bank, two: tuple[int, int]) -> None:
    a, b = two
    bank.ledger.transfer(_req("t-1", a, b, "10.00"))
    with pytest.raises(IdempotencyConflict) as err:
        bank.ledger.transfer(_req("t-1", a, b, "10.01"))
    assert err.value.code == "idempotency_conflict"
    assert err.value.http_status == 409


def test_failed_key_stays_failed(bank: Bank, two: tuple[int, int]) -> None:
    a, b = two
    with pytest.raises(InsufficientFunds) as err:
        bank.ledger.transfer(_req("t-big", a, b, "100.01"))
    assert err.value.details["available"] == "100.00"
    bank.fund(a, "500.00")
    with pytest.raises(InsufficientFunds) as again:
        bank.ledger.transfer(_req("t-big", a, b, "100.01"))
    assert again.value.details["replayed"] is True
    assert bank.ledger.balance(a).ledger == Decimal("600.00")


def test_overdraft_floor_allows_going_negative_to_the_limit(bank: Bank) -> None:
    bob = bank.customer("bob")
    checking = bank.account(bob, floor="-500.00")
    savings = bank.account(bob, "high_yield_savings")
    bank.ledger.transfer(_req("od-1", checking, savings, "500.00"))
    assert bank.ledger.balance(checking).ledger == Decimal("-500.00")
    assert bank.ledger.balance(checking).spendable == Decimal("0.00")
    with pytest.raises(InsufficientFunds):
        bank.ledger.transfer(_req("od-2", checking, savings, "0.01"))


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("0", InvalidAmount),
        ("-5.00", InvalidAmount),
        ("1.001", InvalidAmount),
        ("NaN", InvalidAmount),
    ],
)
def test_bad_amounts_write_nothing(
    bank: Bank, two: tuple[int, int], amount: str, error: type[Exception]
) -> None:
    a, b = two
    before = ledger_digest(bank.engine)
    with pytest.raises(error):
        bank.ledger.transfer(_req("bad-amount", a, b, amount))
    assert ledger_digest(bank.engine) == before


@pytest.mark.parametrize("key", ["", "x" * 41, "has space", "semi;colon", "-leading", "newline\n"])
def test_bad_keys_write_nothing(bank: Bank, two: tuple[int, int], key: str) -> None:
    a, b = two
    before = ledger_digest(bank.engine)
    with pytest.raises(InvalidIdempotencyKey) as err:
        bank.ledger.transfer(_req(key, a, b, "1.00"))
    assert err.value.http_status == 400
    assert ledger_digest(bank.engine) == before


def test_forty_character_key_is_accepted(bank: Bank, two: tuple[int, int]) -> None:
    a, b = two
    assert bank.ledger.transfer(_req("k" * 40, a, b, "1.00")).idempotency_key == "k" * 40


def _balances(bank: Bank) -> list[tuple[int, int, int]]:
    from sqlalchemy import text

    with bank.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT id, balance_minor, held_minor FROM accounts ORDER BY id")
            )
        ]


def test_state_errors_leave_balances_identical(bank: Bank, two: tuple[int, int]) -> None:
    a, b = two
    carol = bank.customer("carol")
    closed = bank.account(carol)
    with bank.engine.begin() as conn:
        from openteller.core.accounts import set_account_status

        set_account_status(conn, closed, AccountStatus.CLOSED, bank.clock.now())
    before = _balances(bank)
    with pytest.raises(NotFound):
        bank.ledger.transfer(_req("e-1", a, 999_999, "1.00"))
    with pytest.raises(AccountClosed):
        bank.ledger.transfer(_req("e-2", a, closed, "1.00"))
    with pytest.raises(CurrencyMismatch):
        bank.ledger.transfer(_req("e-3", a, b, "1.00", currency="EUR"))
    with pytest.raises(InsufficientFunds):
        bank.ledger.transfer(_req("e-4", a, b, "1000.00"))
    with pytest.raises(ValidationFailed):
        bank.ledger.transfer(_req("e-5", a, a, "1.00"))
    assert _balances(bank) == before
    assert check_ledger(bank.engine).ok


def test_hold_reduces_available_then_posts(bank: Bank, two: tuple[int, int]) -> None:
    a, b = two
    hold = bank.ledger.place_hold(
        HoldRequest(
            reference="auth-1",
            account_id=a,
            counterparty_account_id=b,
            amount=Decimal("30.00"),
            currency="USD",
        )
    )
    bal = bank.ledger.balance(a)
    assert (bal.ledger, bal.held, bal.available) == (
        Decimal("100.00"),
        Decimal("30.00"),
        Decimal("70.00"),
    )
    with pytest.raises(InsufficientFunds):
        bank.ledger.transfer(_req("t-over", a, b, "70.01"))
    posted = bank.ledger.capture_hold(hold.id, "cap-1", Decimal("28.50"))
    assert posted.hold_id == hold.id
    bal = bank.ledger.balance(a)
    assert (bal.ledger, bal.held, bal.available) == (
        Decimal("71.50"),
        Decimal("0.00"),
        Decimal("71.50"),
    )
    assert bank.ledger.get_hold(hold.id).status == HoldStatus.POSTED
    with pytest.raises(InvalidState):
        bank.ledger.capture_hold(hold.id, "cap-2")
    with pytest.raises(InvalidState):
        bank.ledger.void_hold(hold.id)
    assert check_ledger(bank.engine).ok


def test_void_releases_hold(bank: Bank, two: tuple[int, int]) -> None:
    a, b = two
    hold = bank.ledger.place_hold(
        HoldRequest(
            reference="auth-2",
            account_id=a,
            counterparty_account_id=b,
            amount=Decimal("99.99"),
            currency="USD",
        )
    )
    assert bank.ledger.void_hold(hold.id).status == HoldStatus.VOIDED
    assert bank.ledger.void_hold(hold.id).replayed is True
    assert bank.ledger.balance(a).available == Decimal("100.00")
    with pytest.raises(InvalidState):
        bank.ledger.capture_hold(hold.id, "cap-3")
    assert check_ledger(bank.engine).ok


def test_reversal_mirrors_and_only_once(bank: Bank, two: tuple[int, int]) -> None:
    a, b = two
    original = bank.ledger.transfer(_req("t-r", a, b, "25.00"))
    reversal = bank.ledger.reverse(original.id, "rev-1")
    assert (reversal.debit_account_id, reversal.credit_account_id) == (b, a)
    assert reversal.reverses_id == original.id
    assert bank.ledger.balance(a).ledger == Decimal("100.00")
    with pytest.raises(InvalidState):
        bank.ledger.reverse(original.id, "rev-2")
    assert bank.ledger.reverse(original.id, "rev-1").replayed is True
    assert check_ledger(bank.engine).ok


def test_batch_mixes_successes_and_failures(bank: Bank, two: tuple[int, int]) -> None:
    a, b = two
    results = bank.ledger.transfer_batch(
        [
            _req("b-1", a, b, "60.00"),
            _req("b-2", a, b, "60.00"),
            _req("b-3", a, b, "40.00"),
            _req("b-1", a, b, "60.00"),
        ]
    )
    assert [type(r).__name__ for r in results] == [
        "TransferResult",
        "InsufficientFunds",
        "TransferResult",
        "TransferResult",
    ]
    replay = results[3]
    assert isinstance(replay, TransferResult)
    assert replay.replayed is True
    assert bank.ledger.balance(a).ledger == Decimal("0.00")
    assert check_ledger(bank.engine).ok


def test_postings_are_append_only(bank: Bank, two: tuple[int, int]) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="append-only"), bank.engine.begin() as conn:
        conn.execute(text("UPDATE postings SET amount_minor = 1"))
    with pytest.raises(DBAPIError, match="append-only"), bank.engine.begin() as conn:
        conn.execute(text("DELETE FROM transfers"))


def test_bulk_insert_reports_a_taken_key_as_integrity_error(
    bank: Bank, two: tuple[int, int]
) -> None:
    """COPY (PostgreSQL) and multi-row INSERT (SQLite) both surface a unique-key race as
    SQLAlchemy's IntegrityError, which the ledger retries and then replays."""
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from openteller.core.ledger import bulk_insert, transfers_t

    assert two  # the funded pair: "fund-a" is the one transfer in the ledger
    with bank.engine.connect() as conn:
        row = dict(
            conn.execute(select(transfers_t).where(transfers_t.c.idempotency_key == "fund-a"))
            .one()
            ._mapping
        )
    del row["id"]
    with pytest.raises(IntegrityError), bank.engine.begin() as conn:
        bulk_insert(conn, transfers_t, [row, {**row, "idempotency_key": "other"}])
    assert check_ledger(bank.engine).transfers == 1


def test_bulk_written_times_compare_equal_to_bound_parameters(
    bank: Bank, two: tuple[int, int]
) -> None:
    """Rows written by the driver-level path store datetimes exactly as Core binds them,
    so equality and range filters on them work (SQLite compares the stored text)."""
    from sqlalchemy import func, select

    from openteller.core.models import Transfer

    a, b = two
    bank.ledger.transfer_batch([_req("cmp-1", a, b, "1.00"), _req("cmp-2", a, b, "2.00")])
    now = bank.clock.now()
    with bank.engine.connect() as conn:
        same = conn.execute(
            select(func.count()).select_from(Transfer).where(Transfer.created_at == now)
        ).scalar_one()
        earlier = conn.execute(
            select(func.count()).select_from(Transfer).where(Transfer.occurred_at < now)
        ).scalar_one()
    assert same == 3  # the funding transfer and the two batched ones
    assert earlier == 0
