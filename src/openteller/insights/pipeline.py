"""One batch pass of every detector: what the service, the evaluation and the benchmark run.

Order and exclusions:

1. Recurring series over every transaction.
2. Duplicates over every debit, with the series' ids as `regular_ids`: two identical
   charges within 72 hours cannot be two occurrences of a series (the shortest period,
   weekly, needs 6 days), so a double charge of a subscription is reported, not hidden;
   the repeat is then taken out of its series (it is not an occurrence).
3. Unusual debits, with recurring and duplicate ids excluded from flags and baseline.
4. Bill reminders and, for each account in `balances`, the low-balance forecast, both
   from the active series.

Dates: `as_of` is an instant; its local date in `tz` is the recurring detector's and the
forecast's "today".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from openteller.insights.duplicates import DuplicateCharge, detect_duplicates
from openteller.insights.forecast import (
    BillReminder,
    LowBalanceForecast,
    forecast_low_balance,
    upcoming_bills,
)
from openteller.insights.records import Transaction
from openteller.insights.recurring import (
    RecurringSeries,
    detect_recurring,
    recurring_transaction_ids,
)
from openteller.insights.unusual import UnusualTransaction, detect_unusual

_NO_BALANCES: Mapping[int, Decimal] = {}


@dataclass(frozen=True, slots=True)
class Findings:
    """Everything one `analyze` pass found."""

    recurring: list[RecurringSeries] = field(default_factory=list)
    duplicates: list[DuplicateCharge] = field(default_factory=list)
    unusual: list[UnusualTransaction] = field(default_factory=list)
    low_balance: list[LowBalanceForecast] = field(default_factory=list)
    bills: list[BillReminder] = field(default_factory=list)


def analyze(
    transactions: Sequence[Transaction],
    as_of: datetime,
    *,
    tz: ZoneInfo,
    balances: Mapping[int, Decimal] = _NO_BALANCES,
    horizon_days: int = 14,
    bill_days: int = 7,
    low_balance_threshold: Decimal = Decimal("0"),
) -> Findings:
    """Run every detector over `transactions` as of `as_of`.

    `balances` maps account id to its current balance (customer's side); accounts not in
    it get no forecast. Low-balance forecasts are sorted by account id.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    today = as_of.astimezone(tz).date()
    recurring = detect_recurring(transactions, today)
    duplicates = detect_duplicates(
        transactions, as_of, regular_ids=recurring_transaction_ids(recurring)
    )
    repeated = frozenset(d.duplicate_id for d in duplicates)
    if repeated:
        recurring = [_without(s, repeated) for s in recurring]
    recurring_ids = recurring_transaction_ids(recurring)
    unusual = detect_unusual(transactions, as_of, tz=tz, exclude_ids=recurring_ids | repeated)
    owners: dict[int, int] = {}
    if balances:
        for txn in transactions:
            if txn.account_id in balances:
                owners.setdefault(txn.account_id, txn.customer_id)
    by_account: dict[int, list[RecurringSeries]] = defaultdict(list)
    for series in recurring:
        by_account[series.account_id].append(series)
    low: list[LowBalanceForecast] = []
    for account_id in sorted(balances):
        if account_id not in owners:
            continue  # no transactions: nothing is known about the account
        forecast = forecast_low_balance(
            account_id,
            owners[account_id],
            balances[account_id],
            by_account.get(account_id, []),
            today,
            days=horizon_days,
            threshold=low_balance_threshold,
        )
        if forecast is not None:
            low.append(forecast)
    return Findings(
        recurring=recurring,
        duplicates=duplicates,
        unusual=unusual,
        low_balance=low,
        bills=upcoming_bills(recurring, today, days=bill_days),
    )


def _without(series: RecurringSeries, ids: frozenset[int]) -> RecurringSeries:
    """`series` without the transactions in `ids` (double charges are not occurrences)."""
    if not any(i in ids for i in series.transaction_ids):
        return series
    kept = tuple(i for i in series.transaction_ids if i not in ids)
    return replace(series, transaction_ids=kept)
