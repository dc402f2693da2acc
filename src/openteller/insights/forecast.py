"""Low-balance forecast and bill reminders from the active recurring series.

The forecast projects one account's balance day by day over the next `days` days: each
active series on the account (salary in, rent and bills out) is expected on its
`next_expected` date and then every period after it (a weekly series can land twice in
14 days), for its `typical_amount`. A series whose next charge is overdue but still
active is expected tomorrow. Nothing else is assumed: everyday spending is not projected,
so the forecast is the balance the known commitments alone would leave.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from openteller.core.loans import add_months
from openteller.insights.recurring import Period, RecurringSeries

_STEP_MONTHS = {Period.MONTHLY: 1, Period.QUARTERLY: 3, Period.YEARLY: 12}
_STEP_DAYS = {Period.WEEKLY: 7, Period.BIWEEKLY: 14}


@dataclass(frozen=True, slots=True)
class ForecastItem:
    """One expected charge or deposit: `amount` keeps its sign (negative is money out)."""

    on: date
    merchant: str
    amount: Decimal
    period: Period


@dataclass(frozen=True, slots=True)
class LowBalanceForecast:
    """The account's lowest projected balance, when it falls below the threshold.

    `balance + sum(item.amount for item in items) == lowest_balance`: `items` are every
    projected item up to and including `lowest_on`, in date order.
    """

    account_id: int
    customer_id: int
    balance: Decimal
    threshold: Decimal
    lowest_balance: Decimal
    lowest_on: date
    items: tuple[ForecastItem, ...]


@dataclass(frozen=True, slots=True)
class BillReminder:
    """An outgoing recurring charge due soon; `amount` is the series' typical (negative)."""

    customer_id: int
    account_id: int
    merchant: str
    amount: Decimal
    due_on: date
    period: Period
    fixed_amount: bool


def forecast_low_balance(
    account_id: int,
    customer_id: int,
    balance: Decimal,
    series: Sequence[RecurringSeries],
    as_of: date,
    *,
    days: int = 14,
    threshold: Decimal = Decimal("0"),
) -> LowBalanceForecast | None:
    """The lowest point of the projected balance if it goes below `threshold`, else None.

    Day 0 is `as_of` with today's `balance`; on a tie the earliest day is the lowest.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    end = as_of + timedelta(days=days)
    items = sorted(
        (
            item
            for s in series
            if s.account_id == account_id and s.active
            for item in _occurrences(s, as_of, end)
        ),
        key=lambda i: (i.on, i.amount, i.merchant),
    )
    # End-of-day balances: items of one day all land before the day's balance is read.
    running = balance
    lowest, lowest_on = balance, as_of
    for index, item in enumerate(items):
        running += item.amount
        last_of_day = index + 1 == len(items) or items[index + 1].on != item.on
        if last_of_day and running < lowest:
            lowest, lowest_on = running, item.on
    if lowest >= threshold:
        return None
    return LowBalanceForecast(
        account_id=account_id,
        customer_id=customer_id,
        balance=balance,
        threshold=threshold,
        lowest_balance=lowest,
        lowest_on=lowest_on,
        items=tuple(i for i in items if i.on <= lowest_on),
    )


def upcoming_bills(
    series: Iterable[RecurringSeries], as_of: date, *, days: int = 7
) -> list[BillReminder]:
    """Active outgoing series whose next charge falls within `days` from `as_of`.

    Sorted by due date, then customer, account and merchant.
    """
    end = as_of + timedelta(days=days)
    found = [
        BillReminder(
            customer_id=s.customer_id,
            account_id=s.account_id,
            merchant=s.merchant,
            amount=s.typical_amount,
            due_on=s.next_expected,
            period=s.period,
            fixed_amount=s.fixed_amount,
        )
        for s in series
        if s.active and s.typical_amount < 0 and as_of <= s.next_expected <= end
    ]
    found.sort(key=lambda b: (b.due_on, b.customer_id, b.account_id, b.merchant))
    return found


def _occurrences(s: RecurringSeries, as_of: date, end: date) -> list[ForecastItem]:
    """The series' expected dates in (as_of, end]; an overdue one comes tomorrow."""
    out: list[ForecastItem] = []
    k = 0
    while True:
        on = _nth(s, k)
        k += 1
        if on <= as_of:
            if k == 1:
                on = as_of + timedelta(days=1)
            else:
                continue
        if on > end:
            return out
        out.append(
            ForecastItem(on=on, merchant=s.merchant, amount=s.typical_amount, period=s.period)
        )


def _nth(s: RecurringSeries, k: int) -> date:
    """The k-th expected date from `next_expected` (k = 0 is `next_expected`)."""
    if s.period in _STEP_DAYS:
        return s.next_expected + timedelta(days=_STEP_DAYS[s.period] * k)
    return add_months(s.next_expected, _STEP_MONTHS[s.period] * k)
