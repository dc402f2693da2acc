"""Alerts from findings: wording, figures, dedupe keys, what is recent, what expires."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from openteller.insights import (
    BillReminder,
    DuplicateCharge,
    Findings,
    LowBalanceForecast,
    Period,
    PriceChange,
    RecurringSeries,
    Transaction,
    UnusualTransaction,
)
from openteller.insights.alerts import alerts_from_findings

TZ = ZoneInfo("America/New_York")
AS_OF = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # noon in New York
NAMES = {10: "Everyday Checking ****3131"}


def _txn(txn_id: int, merchant: str | None, description: str = "") -> Transaction:
    return Transaction(
        txn_id, 10, 1, datetime(2026, 11, 1, tzinfo=UTC), Decimal("-1.00"), merchant, description
    )


TXNS = {
    7: _txn(7, "Kroger"),
    8: _txn(8, "Crypto Exchange Kiosk"),
    9: _txn(9, "Netflix"),
    5: _txn(5, None, "Personal loan payment 5"),
}


def _series(
    merchant: str, ids: tuple[int, ...], amount: str, change: PriceChange | None, active: bool
) -> RecurringSeries:
    return RecurringSeries(
        customer_id=1,
        account_id=10,
        merchant=merchant,
        period=Period.MONTHLY,
        typical_amount=Decimal(amount),
        fixed_amount=True,
        transaction_ids=ids,
        first_date=date(2026, 6, 8),
        last_date=date(2026, 11, 8),
        next_expected=date(2026, 12, 8),
        active=active,
        price_change=change,
    )


def test_each_kind_of_finding_becomes_one_worded_alert() -> None:
    findings = Findings(
        duplicates=[
            DuplicateCharge(
                1, 10, "KROGER", Decimal("-99.48"), 6, 7,
                datetime(2026, 11, 11, 18, 54, tzinfo=UTC),
                datetime(2026, 11, 11, 19, 57, tzinfo=UTC),
            ),
        ],
        unusual=[
            UnusualTransaction(
                8, 1, 10, datetime(2026, 11, 17, 8, 29, tzinfo=UTC), Decimal("-1055.59"),
                "CRYPTO EXCHANGE KIOSK", 1.0,
                ("large_amount", "new_merchant", "night", "far_from_home"),
            ),
        ],
        recurring=[
            _series(
                "NETFLIX", (3, 9), "-17.99",
                PriceChange(Decimal("-15.49"), Decimal("-17.99"), date(2026, 11, 8)), True,
            ),
        ],
        low_balance=[
            LowBalanceForecast(
                10, 1, Decimal("120.00"), Decimal("0"), Decimal("-46.505"), date(2026, 12, 3), ()
            ),
        ],
        bills=[
            BillReminder(
                1, 10, "PERSONAL LOAN PAYMENT", Decimal("-725.705"), date(2026, 11, 30),
                Period.MONTHLY, True,
            ),
        ],
    )  # fmt: skip

    alerts = alerts_from_findings(findings, TXNS, NAMES, AS_OF, TZ)

    assert [(a.kind, a.severity, a.dedupe_key, a.transfer_id) for a in alerts] == [
        ("duplicate_charge", "medium", "duplicate_charge:7", 7),
        ("unusual_transaction", "high", "unusual_transaction:8", 8),
        ("price_increase", "low", "price_increase:10:NETFLIX:2026-11-08", 9),
        ("low_balance", "high", "low_balance:10:2026-12-03", None),
        ("bill_due", "low", "bill_due:10:PERSONAL LOAN PAYMENT:2026-11-30", None),
    ]
    assert [a.message for a in alerts] == [
        "Kroger charged you $99.48 twice: on Nov 11, 2026 at 1:54 PM and 2:57 PM. "
        "If you made only one purchase, you can dispute the second charge.",
        "$1,055.59 at Crypto Exchange Kiosk on Nov 17, 2026 at 3:29 AM: much larger than "
        "your usual purchases, a merchant you haven't used before, at night and away from "
        "home. If this wasn't you, block your card and tell us.",
        "Netflix now charges $17.99 instead of $15.49 (since Nov 8, 2026).",
        "Your Everyday Checking ****3131 may fall to -$46.51 on Dec 3, 2026 after your "
        "expected bills and income.",
        # No merchant recorded: the series' normalized name, not one payment's description.
        "Personal Loan Payment (usually $725.71) is expected on Nov 30, 2026.",
    ]
    assert [a.amount for a in alerts] == [
        Decimal("99.48"),
        Decimal("1055.59"),
        Decimal("2.50"),
        Decimal("-46.51"),
        Decimal("725.71"),
    ]
    assert alerts[2].facts == {
        "old": "15.49",
        "new": "17.99",
        "increase": "2.50",
        "date": "2026-11-08",
        "merchant": "Netflix",
    }
    # Forecasts and reminders expire at the end of their day, New York time.
    assert [a.expires_at for a in alerts] == [
        None,
        None,
        None,
        datetime(2026, 12, 4, 5, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
    ]


def test_old_findings_price_cuts_and_stopped_series_raise_nothing() -> None:
    old = datetime(2026, 10, 1, 12, tzinfo=UTC)  # 59 days before: history, not news
    findings = Findings(
        duplicates=[DuplicateCharge(1, 10, "KROGER", Decimal("-5.00"), 6, 7, old, old)],
        unusual=[UnusualTransaction(8, 1, 10, old, Decimal("-900.00"), "KIOSK", 0.6, ())],
        recurring=[
            _series(  # a price cut is not an alert
                "NETFLIX", (9,), "-12.99",
                PriceChange(Decimal("-15.49"), Decimal("-12.99"), date(2026, 11, 8)), True,
            ),
            _series(  # a series that stopped
                "HULU", (9,), "-18.99",
                PriceChange(Decimal("-17.99"), Decimal("-18.99"), date(2026, 11, 8)), False,
            ),
        ],
        bills=[  # due yesterday
            BillReminder(1, 10, "HULU", Decimal("-18.99"), date(2026, 11, 28), Period.MONTHLY, True)
        ],
    )  # fmt: skip
    assert alerts_from_findings(findings, TXNS, NAMES, AS_OF, TZ) == []


def test_a_balance_already_below_zero_says_so() -> None:
    findings = Findings(
        low_balance=[
            LowBalanceForecast(
                10, 1, Decimal("-467.37"), Decimal("0"), Decimal("-467.37"), date(2026, 11, 29), ()
            )
        ]
    )
    [alert] = alerts_from_findings(findings, TXNS, NAMES, AS_OF, TZ)
    assert (alert.title, alert.message) == (
        "Your balance is below zero",
        "Your Everyday Checking ****3131 is at -$467.37 today, below zero.",
    )
