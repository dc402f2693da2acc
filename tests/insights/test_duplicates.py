from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from openteller.insights import (
    DuplicateCharge,
    detect_duplicates,
    detect_recurring,
    recurring_transaction_ids,
)

from .conftest import Builder

AS_OF = datetime(2026, 3, 31, tzinfo=UTC)


def test_same_charge_twice_is_one_duplicate(txn: Builder) -> None:
    rows = [
        txn(date(2026, 3, 4), "-42.17", "Olive Garden", hour=19, minute=5),
        txn(date(2026, 3, 4), "-42.17", "OLIVE GARDEN #0412", hour=19, minute=52),
        txn(date(2026, 3, 4), "-42.18", "Olive Garden", hour=20),
        txn(date(2026, 3, 4), "42.17", "Olive Garden", hour=21),  # a refund is not a charge
    ]
    assert detect_duplicates(rows, AS_OF) == [
        DuplicateCharge(
            customer_id=1,
            account_id=10,
            merchant="OLIVE GARDEN",
            amount=Decimal("-42.17"),
            original_id=1,
            duplicate_id=2,
            original_at=datetime(2026, 3, 4, 19, 5, tzinfo=UTC),
            duplicate_at=datetime(2026, 3, 4, 19, 52, tzinfo=UTC),
        )
    ]
    assert detect_duplicates(rows, AS_OF)[0].gap == timedelta(minutes=47)


def test_window_account_and_as_of_bound_the_search(txn: Builder) -> None:
    rows = [
        txn(date(2026, 3, 1), "-64.00", "Shell", hour=8),
        txn(date(2026, 3, 4), "-64.00", "Shell", hour=8),  # exactly 72 h later: duplicate
        txn(date(2026, 3, 7), "-64.00", "Shell", hour=9),  # 73 h after the last original
        txn(date(2026, 3, 7), "-64.00", "Shell", hour=10, account=11),  # other account
        txn(date(2026, 3, 7), "-64.00", "Shell", hour=11, minute=30),  # after as_of
    ]
    as_of = datetime(2026, 3, 7, 11, tzinfo=UTC)
    # One price on three days would be routine (see the routine test): not here.
    found = detect_duplicates(rows, as_of, routine_days=4)
    assert [(d.original_id, d.duplicate_id) for d in found] == [(1, 2)]
    short = detect_duplicates(rows, as_of, window=timedelta(hours=24), routine_days=4)
    assert short == []


def test_repeats_are_reported_against_the_first_charge(txn: Builder) -> None:
    rows = [txn(date(2026, 3, 10), "-9.40", "Starbucks", minute=m) for m in (0, 3, 7)]
    found = detect_duplicates(rows, AS_OF)
    assert [(d.original_id, d.duplicate_id) for d in found] == [(1, 2), (1, 3)]


def test_a_double_charge_of_a_recurring_series(txn: Builder) -> None:
    rows = [
        txn(date(2026, 1, 1), "-24.99", "Planet Fitness"),
        txn(date(2026, 2, 1), "-24.99", "Planet Fitness"),
        txn(date(2026, 3, 1), "-24.99", "Planet Fitness"),
        txn(date(2026, 3, 2), "-24.99", "Planet Fitness"),
    ]
    series = detect_recurring(rows[:3], as_of=AS_OF.date())
    regular = recurring_transaction_ids(series)
    assert regular == frozenset({1, 2, 3})
    # A price paid on four days looks routine, but a series never repeats within days.
    assert detect_duplicates(rows, AS_OF) == []
    found = detect_duplicates(rows, AS_OF, regular_ids=regular)
    assert [d.duplicate_id for d in found] == [4]
    # Excluded ids are not looked at at all: the double charge is hidden.
    assert detect_duplicates(rows, AS_OF, exclude_ids=regular) == []


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="positive"):
        detect_duplicates([], AS_OF, window=timedelta(0))
    with pytest.raises(ValueError, match="timezone-aware"):
        detect_duplicates([], datetime(2026, 3, 31))


def test_cash_and_p2p_repeats_are_not_duplicate_charges(txn: Builder) -> None:
    rows = [
        txn(date(2026, 3, 5), "-60.00", None, description="ATM withdrawal", category="cash"),
        txn(date(2026, 3, 6), "-60.00", None, description="ATM withdrawal", category="cash"),
        txn(date(2026, 3, 5), "-25.00", "Dana", description="Payment to Dana", category="p2p"),
        txn(date(2026, 3, 5), "-25.00", "Dana", description="Payment to Dana", category="p2p"),
    ]
    assert detect_duplicates(rows, AS_OF) == []
    found = detect_duplicates(rows, AS_OF, skip_categories=frozenset())
    assert [(d.merchant, d.duplicate_id) for d in found] == [("DANA", 4), ("ATM WITHDRAWAL", 2)]


def test_a_routine_price_repeats_only_within_two_hours(txn: Builder) -> None:
    visits = [
        txn(date(2026, 3, 2), "-24.99", "Planet Fitness", hour=7),
        txn(date(2026, 3, 3), "-24.99", "Planet Fitness", hour=8),  # the next day: a visit
        txn(date(2026, 3, 20), "-24.99", "Planet Fitness", hour=7),
        txn(date(2026, 3, 20), "-24.99", "Planet Fitness", hour=8, minute=30),  # 90 min
    ]
    assert [(d.original_id, d.duplicate_id) for d in detect_duplicates(visits, AS_OF)] == [(3, 4)]
    # Seen on two days only, the price is not routine yet: the 72-hour window applies.
    assert [(d.original_id, d.duplicate_id) for d in detect_duplicates(visits[:2], AS_OF)] == [
        (1, 2)
    ]
    assert [
        (d.original_id, d.duplicate_id) for d in detect_duplicates(visits, AS_OF, routine_days=4)
    ] == [(1, 2), (3, 4)]
