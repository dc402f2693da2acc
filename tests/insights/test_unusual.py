from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from openteller.insights import Transaction, UnusualTransaction, detect_unusual

from .conftest import Builder

TZ = ZoneInfo("America/Chicago")
AS_OF = datetime(2026, 7, 15, 12, tzinfo=UTC)
HOME = "Austin, TX"
SHOPS = [
    ("Kroger", "groceries"),
    ("Starbucks", "dining"),
    ("Shell", "fuel"),
    ("Target", "shopping"),
]
AMOUNTS = ["-12.40", "-35.10", "-58.00", "-21.75", "-84.30", "-9.99"]


def history(txn: Builder, customer: int = 1, n: int = 24) -> list[Transaction]:
    """`n` everyday card purchases at home, January to May."""
    rows = []
    for i in range(n):
        merchant, category = SHOPS[i % len(SHOPS)]
        rows.append(
            txn(
                date(2026, 1 + i // 5, 3 + (i % 5) * 5),
                AMOUNTS[i % len(AMOUNTS)],
                merchant,
                hour=17,
                customer=customer,
                category=category,
                location=HOME,
                channel="card",
            )
        )
    return rows


def test_each_signal_and_the_score(txn: Builder) -> None:
    rows = history(txn)  # ids 1-24
    rows += [
        # 25: before the lookback: not flagged, but the merchant is no longer new after it.
        txn(
            date(2026, 3, 1),
            "-2000.00",
            "Jewelry Palace",
            hour=9,
            location="Bucharest, RO",
            category="shopping",
            channel="card",
        ),
        # 26: 03:30 in Austin, large, far away (seen once before).
        txn(
            date(2026, 7, 10),
            "-1850.00",
            "Jewelry Palace",
            hour=8,
            minute=30,
            location="Bucharest, RO",
            category="shopping",
            channel="card",
        ),
        # 27: large at a known shop at home: one signal is not enough.
        txn(
            date(2026, 7, 11),
            "-1200.00",
            "Target",
            hour=18,
            location=HOME,
            category="shopping",
            channel="card",
        ),
        # 28: large at a new shop at home.
        txn(
            date(2026, 7, 12),
            "-1300.00",
            "Apple Store",
            hour=17,
            location=HOME,
            category="shopping",
            channel="card",
        ),
        # 29: small, but new, far away and at 02:00.
        txn(
            date(2026, 7, 13),
            "-25.00",
            "Corner Kiosk",
            hour=7,
            location="Lisbon, PT",
            category="shopping",
            channel="card",
        ),
        # 30: out of town only.
        txn(
            date(2026, 7, 13),
            "-30.00",
            "Kroger",
            hour=15,
            location="Dallas, TX",
            category="shopping",
            channel="card",
        ),
        # 31: a transfer is not spending; 32: an excluded (recurring) charge.
        txn(date(2026, 7, 14), "-5000.00", None, description="Transfer to savings", hour=3),
        txn(date(2026, 7, 1), "-1650.00", "Parkview Apartments", category="housing"),
        # 33: after as_of.
        txn(
            date(2026, 7, 16),
            "-3000.00",
            "Yacht Club",
            hour=4,
            location="Nassau, BS",
            category="shopping",
            channel="card",
        ),
    ]
    found = detect_unusual(rows, AS_OF, tz=TZ, exclude_ids=frozenset({32}))
    assert found == [
        UnusualTransaction(
            transaction_id=26,
            customer_id=1,
            account_id=10,
            occurred_at=datetime(2026, 7, 10, 8, 30, tzinfo=UTC),
            amount=Decimal("-1850.00"),
            merchant="JEWELRY PALACE",
            score=0.8,
            reasons=("large_amount", "night", "far_from_home"),
        ),
        UnusualTransaction(
            transaction_id=28,
            customer_id=1,
            account_id=10,
            occurred_at=datetime(2026, 7, 12, 17, tzinfo=UTC),
            amount=Decimal("-1300.00"),
            merchant="APPLE STORE",
            score=0.6,
            reasons=("large_amount", "new_merchant"),
        ),
        UnusualTransaction(
            transaction_id=29,
            customer_id=1,
            account_id=10,
            occurred_at=datetime(2026, 7, 13, 7, tzinfo=UTC),
            amount=Decimal("-25.00"),
            merchant="CORNER KIOSK",
            score=0.6,
            reasons=("new_merchant", "night", "far_from_home"),
        ),
    ]
    everything = detect_unusual(rows, AS_OF, tz=TZ, exclude_ids=frozenset({32}), threshold=0)
    scores = {u.transaction_id: (u.score, u.reasons) for u in everything}
    assert scores[27] == (0.4, ("large_amount",))
    assert scores[30] == (0.25, ("far_from_home",))
    assert sorted(i for i in scores if i > 24) == [26, 27, 28, 29, 30]


def test_a_short_history_gets_no_flags(txn: Builder) -> None:
    rows = history(txn, customer=2, n=18)
    rows.append(
        txn(
            date(2026, 7, 10),
            "-1850.00",
            "Jewelry Palace",
            hour=8,
            customer=2,
            location="Lagos, NG",
        )
    )
    # 18 earlier debits: too few for the default 20, enough when 18 will do.
    assert detect_unusual(rows, AS_OF, tz=TZ) == []
    assert detect_unusual(rows, AS_OF, tz=TZ, min_history=19) == []
    assert len(detect_unusual(rows, AS_OF, tz=TZ, min_history=18)) == 1


def test_the_lookback_limits_what_is_flagged(txn: Builder) -> None:
    rows = history(txn)
    rows.append(txn(date(2026, 6, 1), "-1850.00", "Jewelry Palace", hour=8, location="Lagos, NG"))
    assert [u.transaction_id for u in detect_unusual(rows, AS_OF, tz=TZ)] == [25]
    assert detect_unusual(rows, AS_OF, tz=TZ, lookback=timedelta(days=30)) == []


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        detect_unusual([], datetime(2026, 7, 15), tz=TZ)
    with pytest.raises(ValueError, match="positive"):
        detect_unusual([], AS_OF, tz=TZ, lookback=timedelta(0))


def test_a_merchant_is_new_only_after_90_days_of_history(txn: Builder) -> None:
    rows = [
        txn(date(2026, 1, 3) + timedelta(days=i), AMOUNTS[i % 6], "Kroger", location=HOME)
        for i in range(24)
    ]
    # 57 days after the first charge (Jan 3): too early to call a shop new; 97 days: new.
    early = txn(date(2026, 3, 1), "-25.00", "Corner Kiosk", hour=8, location="Reno, NV")
    late = txn(date(2026, 4, 10), "-25.00", "Night Owl Diner", hour=8, location="Reno, NV")
    found = detect_unusual(
        [*rows, early, late], AS_OF, tz=TZ, threshold=0, lookback=timedelta(days=200)
    )
    reasons = {u.transaction_id: u.reasons for u in found}
    assert reasons[early.id] == ("night", "far_from_home")
    assert reasons[late.id] == ("new_merchant", "night", "far_from_home")
