"""Recurring-series detection: subscriptions, bills, rent, loan payments, salary.

Transactions are grouped by (customer, account, normalized merchant, direction). A group
is a recurring series when it has at least `min_occurrences` charges whose gaps fit one
period (weekly, biweekly, monthly, quarterly or yearly; one odd gap is forgiven from four
gaps up, and a monthly series may skip a month or two on its usual day) and whose
amounts are similar (within `amount_tolerance` of the typical amount, after at most one
step change such as a price rise). Bills whose amount varies (power,
water) count too when every gap fits and there is at least one charge more than
`min_occurrences`. Internal money movements (transfers, card payments, interest, fees,
cash) are not recurring payments and are skipped unless `skip_categories` says otherwise.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from statistics import median

from openteller.core.loans import add_months
from openteller.insights.merchants import categorize, merchant_key
from openteller.insights.records import Transaction


class Period(enum.StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


# (period, nominal days, smallest and largest gap in days that still fits it)
_PERIODS: tuple[tuple[Period, int, int, int], ...] = (
    (Period.WEEKLY, 7, 6, 8),
    (Period.BIWEEKLY, 14, 12, 16),
    (Period.MONTHLY, 30, 26, 35),
    (Period.QUARTERLY, 91, 85, 98),
    (Period.YEARLY, 365, 350, 380),
)

DEFAULT_SKIP_CATEGORIES: frozenset[str] = frozenset(
    {"transfer", "card_payment", "interest", "fees", "cash"}
)


@dataclass(frozen=True, slots=True)
class PriceChange:
    """A step in a series' amount: from `old` to `new`, first charged on `first_charged`."""

    old: Decimal
    new: Decimal
    first_charged: date

    @property
    def is_increase(self) -> bool:
        return abs(self.new) > abs(self.old)


@dataclass(frozen=True, slots=True)
class RecurringSeries:
    """One detected recurring series. Amounts keep the transactions' sign."""

    customer_id: int
    account_id: int
    merchant: str
    period: Period
    typical_amount: Decimal  # median of the amounts since the last price change
    fixed_amount: bool  # False for bills whose amount varies from one period to the next
    transaction_ids: tuple[int, ...]
    first_date: date
    last_date: date
    next_expected: date
    active: bool  # the next charge is not overdue by more than the period's tolerance
    price_change: PriceChange | None

    @property
    def price_increase(self) -> bool:
        return self.price_change is not None and self.price_change.is_increase


# What one charge of a period costs per month, on average.
PER_MONTH = {
    Period.WEEKLY: Decimal(52) / 12,
    Period.BIWEEKLY: Decimal(26) / 12,
    Period.MONTHLY: Decimal(1),
    Period.QUARTERLY: Decimal(1) / 3,
    Period.YEARLY: Decimal(1) / 12,
}


def monthly_cost(series: RecurringSeries) -> Decimal:
    """What the series costs per month on average (a positive amount, to the cent)."""
    per_month = abs(series.typical_amount) * PER_MONTH[series.period]
    return per_month.quantize(Decimal("0.01"), ROUND_HALF_UP)


PERSON_CATEGORIES: frozenset[str] = frozenset({"p2p"})
# Everyday spending: a series here must keep its amount (a gym, a streaming plan); a
# varying amount at such a merchant is shopping that happens to be regular.
EVERYDAY_CATEGORIES: frozenset[str] = frozenset(
    {"groceries", "dining", "fuel", "transport", "shopping", "entertainment", "health", "travel"}
)


def detect_recurring(
    transactions: Iterable[Transaction],
    as_of: date,
    *,
    min_occurrences: int = 3,
    amount_tolerance: Decimal = Decimal("0.20"),
    skip_categories: frozenset[str] = DEFAULT_SKIP_CATEGORIES,
) -> list[RecurringSeries]:
    """Every recurring series among `transactions` that occurred on or before `as_of`.

    Dates are the transactions' local dates (`occurred_at.date()` in their own offset).
    Results are sorted by (customer, account, merchant).
    """
    if min_occurrences < 2:
        raise ValueError("min_occurrences must be at least 2")
    groups: dict[tuple[int, int, str, bool], list[Transaction]] = defaultdict(list)
    for txn in transactions:
        if txn.amount == 0 or txn.occurred_at.date() > as_of:
            continue
        if categorize(txn) in skip_categories:
            continue
        key = merchant_key(txn)
        if not key:
            continue
        groups[(txn.customer_id, txn.account_id, key, txn.amount < 0)].append(txn)
    found: list[RecurringSeries] = []
    for (customer, account, merchant, _out), txns in sorted(groups.items()):
        # Round sums to a friend repeat by chance (three $200 payments two weeks apart):
        # a series to a person needs one payment more.
        extra = 1 if categorize(txns[0]) in PERSON_CATEGORIES else 0
        if len(txns) < min_occurrences + extra:
            continue
        txns.sort(key=lambda t: (t.occurred_at, t.id))
        series = _series(
            customer, account, merchant, txns, as_of, amount_tolerance, min_occurrences + extra
        )
        if series is not None:
            found.append(series)
    return found


def recurring_transaction_ids(series: Sequence[RecurringSeries]) -> frozenset[int]:
    """The ids of every transaction that belongs to one of `series`."""
    return frozenset(i for s in series for i in s.transaction_ids)


def _series(
    customer: int,
    account: int,
    merchant: str,
    txns: list[Transaction],
    as_of: date,
    tolerance: Decimal,
    min_occurrences: int,
) -> RecurringSeries | None:
    dates = [t.occurred_at.date() for t in txns]
    amounts = [t.amount for t in txns]
    change = _price_change(amounts, dates)
    current = amounts if change is None else _since(amounts, dates, change.first_charged)
    typical = _median(current)
    similar = all(abs(a - typical) <= abs(typical) * tolerance for a in current)
    gaps = [(b - a).days for a, b in pairwise(dates)]
    fit = _period_for(gaps, dates, fixed=similar)
    if fit is None:
        return None
    period, _nominal, _low, high, all_fit = fit
    if not similar and not (all_fit and len(txns) > min_occurrences):
        return None
    if not similar and categorize(txns[-1]) in EVERYDAY_CATEGORIES:
        # A varying amount about monthly at a pharmacy or a grocer is a habit, not a bill:
        # bills that vary are utilities and the like.
        return None
    last = dates[-1]
    next_expected = _next_date(period, dates)
    overdue_limit = next_expected + timedelta(days=high - _nominal_days(period))
    return RecurringSeries(
        customer_id=customer,
        account_id=account,
        merchant=merchant,
        period=period,
        typical_amount=typical,
        fixed_amount=similar,
        transaction_ids=tuple(t.id for t in txns),
        first_date=dates[0],
        last_date=last,
        next_expected=next_expected,
        active=as_of <= overdue_limit,
        price_change=change if similar else None,
    )


def _period_for(
    gaps: list[int], dates: list[date], *, fixed: bool
) -> tuple[Period, int, int, int, bool] | None:
    """The period most gaps fit: all of them, or all but one when there are 4 or more.

    A monthly series may also skip a month or two (a declined card, a paused plan): a gap
    of 2 or 3 months that keeps the series' day of month (within 3 days) is a skip, not a
    miss, when single-month gaps are at least two and as many as the skips for a fixed
    amount, and at least four and three times as many for a varying amount (purchases
    that vary rarely keep one day of month).
    """
    for period, nominal, low, high in _PERIODS:
        misses = sum(1 for g in gaps if not low <= g <= high)
        if period is Period.MONTHLY and misses:
            skips = sum(
                1
                for g, a, b in zip(gaps, dates, dates[1:], strict=False)
                if not low <= g <= high and _skipped_months(a, b)
            )
            fitting = len(gaps) - misses
            need = max(2, skips) if fixed else max(4, 3 * skips)
            if skips and fitting >= need:
                misses -= skips
        if misses == 0 or (misses == 1 and len(gaps) >= 4):
            return period, nominal, low, high, misses == 0
    return None


def _skipped_months(a: date, b: date) -> bool:
    """True when `b` is 2 or 3 calendar months after `a` on about the same day."""
    months = (b.year - a.year) * 12 + b.month - a.month
    return months in (2, 3) and abs(b.day - a.day) <= 3


def _nominal_days(period: Period) -> int:
    return next(n for p, n, _lo, _hi in _PERIODS if p is period)


def _next_date(period: Period, dates: list[date]) -> date:
    last = dates[-1]
    if period is Period.WEEKLY:
        return last + timedelta(days=7)
    if period is Period.BIWEEKLY:
        return last + timedelta(days=14)
    months = {Period.MONTHLY: 1, Period.QUARTERLY: 3, Period.YEARLY: 12}[period]
    # Keep the series' usual day of month (a charge on the 31st comes back on the 31st,
    # not on the 28th it slipped to in February).
    anchor = int(median(d.day for d in dates))
    target = add_months(date(last.year, last.month, 1), months)
    return target.replace(day=min(anchor, _month_length(target)))


def _month_length(d: date) -> int:
    return (add_months(date(d.year, d.month, 1), 1) - date(d.year, d.month, 1)).days


def _median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    low, high = ordered[mid - 1], ordered[mid]
    # The mean of two amounts in cents can have half a cent: keep the amounts' own places.
    places = min(int(low.as_tuple().exponent), int(high.as_tuple().exponent), 0)
    return ((low + high) / 2).quantize(Decimal(1).scaleb(places), ROUND_HALF_UP)


def _since(amounts: list[Decimal], dates: list[date], first: date) -> list[Decimal]:
    return [a for a, d in zip(amounts, dates, strict=True) if d >= first]


def _price_change(amounts: list[Decimal], dates: list[date]) -> PriceChange | None:
    """The step when the amounts are two constant runs (a subscription's price change).

    A price rise can be large (12.99 -> 24.00), so the step itself has no size limit;
    what makes it a price change is that both runs repeat one exact amount.
    """
    first = amounts[0]
    split = next((i for i, a in enumerate(amounts) if a != first), None)
    if split is None:
        return None
    after = amounts[split]
    if any(a != after for a in amounts[split:]):
        return None
    return PriceChange(old=first, new=after, first_charged=dates[split])
