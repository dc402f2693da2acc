from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from openteller.insights import (
    BillReminder,
    ForecastItem,
    LowBalanceForecast,
    Period,
    analyze,
    demo_plan,
    evaluate,
    planned_transactions,
)

from .conftest import Builder

UTC_ZONE = ZoneInfo("UTC")


def test_one_pass_finds_series_double_charges_bills_and_a_low_balance(txn: Builder) -> None:
    rows = [txn(date(2026, m, 14), "-15.49", "Netflix", hour=5) for m in (1, 2, 3, 4, 5)]
    rows.append(txn(date(2026, 5, 14), "-15.49", "NETFLIX.COM", hour=5, minute=40))  # id 6
    rows += [txn(date(2026, m, 1), "-1650.00", "Parkview Apartments") for m in (1, 2, 3, 4, 5)]
    rows += [
        txn(date(2026, m, 5), "2000.00", "Acme Payroll", description="Acme DIRECT DEP")
        for m in (1, 2, 3, 4, 5)
    ]
    as_of = datetime(2026, 5, 25, 12, tzinfo=UTC)
    found = analyze(
        rows, as_of, tz=UTC_ZONE, balances={10: Decimal("300.00"), 99: Decimal("-5.00")}
    )
    assert [(d.original_id, d.duplicate_id) for d in found.duplicates] == [(5, 6)]
    assert [(s.merchant, s.transaction_ids) for s in found.recurring] == [
        ("ACME PAYROLL", (12, 13, 14, 15, 16)),
        ("NETFLIX", (1, 2, 3, 4, 5)),  # the double charge is not an occurrence
        ("PARKVIEW APARTMENTS", (7, 8, 9, 10, 11)),
    ]
    assert found.unusual == []  # 11 debits: too little history to judge
    assert found.bills == [
        BillReminder(
            1,
            10,
            "PARKVIEW APARTMENTS",
            Decimal("-1650.00"),
            date(2026, 6, 1),
            Period.MONTHLY,
            True,
        )
    ]
    # Account 99 has no transactions: nothing is known about it, no forecast.
    assert found.low_balance == [
        LowBalanceForecast(
            account_id=10,
            customer_id=1,
            balance=Decimal("300.00"),
            threshold=Decimal("0"),
            lowest_balance=Decimal("-1350.00"),
            lowest_on=date(2026, 6, 1),
            items=(
                ForecastItem(
                    date(2026, 6, 1), "PARKVIEW APARTMENTS", Decimal("-1650.00"), Period.MONTHLY
                ),
            ),
        )
    ]


def test_the_planner_scores() -> None:
    tz = ZoneInfo("America/New_York")
    as_of_day = date(2026, 10, 31)
    txns, labels = planned_transactions(demo_plan(30, 12, 7, as_of_day, tz=tz), tz=tz)
    as_of = datetime.combine(as_of_day, time(23, 59, 59), tz)
    found = analyze(txns, as_of, tz=tz)
    result = evaluate(found, labels, transactions=txns, lookback_start=as_of - timedelta(days=90))
    assert result == {
        "detectors": {
            "duplicates": {"precision": 1.0, "recall": 1.0, "tp": 60, "fp": 0, "fn": 0},
            "recurring": {"precision": 1.0, "recall": 1.0, "tp": 3422, "fp": 0, "fn": 0},
            "unusual": {"precision": 1.0, "recall": 1.0, "tp": 5, "fp": 0, "fn": 0},
        }
    }
    # The other 17 planted unusual charges are older than the 90-day lookback.
    unwindowed = evaluate(found, labels)["detectors"]["unusual"]
    assert (unwindowed["recall"], unwindowed["fn"]) == (0.2273, 17)
