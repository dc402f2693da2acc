from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from openteller.insights import (
    BillReminder,
    ForecastItem,
    LowBalanceForecast,
    Period,
    RecurringSeries,
    forecast_low_balance,
    upcoming_bills,
)

AS_OF = date(2026, 4, 24)


def series(
    merchant: str,
    amount: str,
    period: Period,
    next_expected: date,
    *,
    account: int = 10,
    active: bool = True,
    fixed: bool = True,
) -> RecurringSeries:
    return RecurringSeries(
        customer_id=1,
        account_id=account,
        merchant=merchant,
        period=period,
        typical_amount=Decimal(amount),
        fixed_amount=fixed,
        transaction_ids=(1, 2, 3),
        first_date=date(2026, 1, 1),
        last_date=date(2026, 4, 1),
        next_expected=next_expected,
        active=active,
        price_change=None,
    )


SERIES = [
    series("ACME PAYROLL", "2150.00", Period.BIWEEKLY, date(2026, 5, 4)),
    series("PARKVIEW APARTMENTS", "-1650.00", Period.MONTHLY, date(2026, 5, 1)),
    series("METRO TRANSIT", "-12.00", Period.WEEKLY, date(2026, 4, 27)),
    series("VERIZON WIRELESS", "-65.00", Period.MONTHLY, date(2026, 4, 28), account=20),
    series("GYM", "-500.00", Period.MONTHLY, date(2026, 4, 25), active=False),
    series("CITY POWER & LIGHT", "-96.40", Period.MONTHLY, date(2026, 5, 6), fixed=False),
]


def test_rent_before_payday_goes_below_zero() -> None:
    forecast = forecast_low_balance(10, 1, Decimal("600.00"), SERIES, AS_OF)
    assert forecast == LowBalanceForecast(
        account_id=10,
        customer_id=1,
        balance=Decimal("600.00"),
        threshold=Decimal("0"),
        lowest_balance=Decimal("-1062.00"),
        lowest_on=date(2026, 5, 1),
        items=(
            ForecastItem(date(2026, 4, 27), "METRO TRANSIT", Decimal("-12.00"), Period.WEEKLY),
            ForecastItem(
                date(2026, 5, 1), "PARKVIEW APARTMENTS", Decimal("-1650.00"), Period.MONTHLY
            ),
        ),
    )


def test_no_forecast_when_the_balance_stays_above_the_threshold() -> None:
    assert forecast_low_balance(10, 1, Decimal("1700.00"), SERIES, AS_OF) is None
    low = forecast_low_balance(
        10, 1, Decimal("1700.00"), SERIES, AS_OF, threshold=Decimal("100.00")
    )
    assert low is not None
    assert (low.lowest_balance, low.lowest_on) == (Decimal("38.00"), date(2026, 5, 1))


def test_a_weekly_series_lands_twice_and_the_payday_offsets_the_same_day() -> None:
    weekly = [series("METRO TRANSIT", "-12.00", Period.WEEKLY, date(2026, 4, 27))]
    low = forecast_low_balance(10, 1, Decimal("20.00"), weekly, AS_OF)
    assert low is not None
    assert [(i.on, i.amount) for i in low.items] == [
        (date(2026, 4, 27), Decimal("-12.00")),
        (date(2026, 5, 4), Decimal("-12.00")),
    ]
    assert (low.lowest_balance, low.lowest_on) == (Decimal("-4.00"), date(2026, 5, 4))
    paid = [*weekly, series("ACME PAYROLL", "30.00", Period.BIWEEKLY, date(2026, 5, 4))]
    assert forecast_low_balance(10, 1, Decimal("20.00"), paid, AS_OF) is None


def test_an_overdue_active_series_is_expected_tomorrow() -> None:
    late = [series("COMCAST XFINITY", "-79.99", Period.MONTHLY, date(2026, 4, 22))]
    low = forecast_low_balance(10, 1, Decimal("50.00"), late, AS_OF, days=3)
    assert low is not None
    assert low.items == (
        ForecastItem(date(2026, 4, 25), "COMCAST XFINITY", Decimal("-79.99"), Period.MONTHLY),
    )
    assert low.lowest_balance == Decimal("-29.99")


def test_a_balance_already_below_the_threshold_is_the_lowest_point() -> None:
    low = forecast_low_balance(30, 2, Decimal("-5.00"), SERIES, AS_OF)
    assert low == LowBalanceForecast(
        account_id=30,
        customer_id=2,
        balance=Decimal("-5.00"),
        threshold=Decimal("0"),
        lowest_balance=Decimal("-5.00"),
        lowest_on=AS_OF,
        items=(),
    )


def test_days_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        forecast_low_balance(10, 1, Decimal("1"), SERIES, AS_OF, days=0)


def test_upcoming_bills_are_active_outgoing_series_due_within_the_window() -> None:
    assert upcoming_bills(SERIES, AS_OF) == [
        BillReminder(
            1, 10, "METRO TRANSIT", Decimal("-12.00"), date(2026, 4, 27), Period.WEEKLY, True
        ),
        BillReminder(
            1, 20, "VERIZON WIRELESS", Decimal("-65.00"), date(2026, 4, 28), Period.MONTHLY, True
        ),
        BillReminder(
            1,
            10,
            "PARKVIEW APARTMENTS",
            Decimal("-1650.00"),
            date(2026, 5, 1),
            Period.MONTHLY,
            True,
        ),
    ]
    assert [b.merchant for b in upcoming_bills(SERIES, AS_OF, days=12)][-1] == "CITY POWER & LIGHT"
