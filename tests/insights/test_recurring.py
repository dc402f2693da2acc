from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from openteller.insights import (
    Period,
    PriceChange,
    RecurringSeries,
    detect_recurring,
    recurring_transaction_ids,
)
from openteller.insights.recurring import monthly_cost

from .conftest import Builder


def test_monthly_subscription_with_a_price_increase(txn: Builder) -> None:
    rows = [
        txn(date(2026, 1, 14), "-15.49", "Netflix"),
        txn(date(2026, 2, 14), "-15.49", "NETFLIX.COM"),
        txn(date(2026, 3, 14), "-15.49", "Netflix"),
        txn(date(2026, 4, 14), "-17.99", "Netflix"),
        txn(date(2026, 5, 14), "-17.99", "Netflix"),
        txn(date(2026, 5, 2), "-23.10", "Kroger"),
    ]
    [series] = detect_recurring(rows, as_of=date(2026, 5, 20))
    assert series.merchant == "NETFLIX"
    assert series.period is Period.MONTHLY
    assert series.typical_amount == Decimal("-17.99")
    assert series.fixed_amount is True
    assert series.transaction_ids == (1, 2, 3, 4, 5)
    assert series.first_date == date(2026, 1, 14)
    assert series.last_date == date(2026, 5, 14)
    assert series.next_expected == date(2026, 6, 14)
    assert series.active is True
    assert series.price_change == PriceChange(
        old=Decimal("-15.49"), new=Decimal("-17.99"), first_charged=date(2026, 4, 14)
    )
    assert series.price_increase is True


def test_biweekly_salary_is_recurring_income(txn: Builder) -> None:
    days = [date(2026, 1, 2), date(2026, 1, 16), date(2026, 1, 30), date(2026, 2, 13)]
    rows = [txn(d, "2150.00", "Acme Inc Payroll", description="Acme DIRECT DEP") for d in days]
    [series] = detect_recurring(rows, as_of=date(2026, 2, 20))
    assert series.period is Period.BIWEEKLY
    assert series.typical_amount == Decimal("2150.00")
    assert series.next_expected == date(2026, 2, 27)
    assert series.price_change is None
    assert series.price_increase is False


def test_variable_bill_is_recurring_when_every_gap_fits(txn: Builder) -> None:
    amounts = ["-58.00", "-121.37", "-185.00", "-96.40"]
    days = [date(2026, 1, 9), date(2026, 2, 9), date(2026, 3, 9), date(2026, 4, 9)]
    rows = [txn(d, a, "City Power & Light") for d, a in zip(days, amounts, strict=True)]
    [series] = detect_recurring(rows, as_of=date(2026, 4, 30))
    assert series.fixed_amount is False
    assert series.typical_amount == Decimal("-108.89")  # the median, -108.885, in cents
    assert series.price_change is None
    assert series.next_expected == date(2026, 5, 9)


def test_varying_amounts_at_a_shop_about_monthly_are_a_habit_not_a_bill(txn: Builder) -> None:
    amounts = ["-58.00", "-121.37", "-185.00", "-96.40"]
    days = [date(2026, 1, 9), date(2026, 2, 9), date(2026, 3, 9), date(2026, 4, 9)]
    pharmacy = [
        txn(d, a, "CVS Pharmacy", category="health") for d, a in zip(days, amounts, strict=True)
    ]
    gym = [txn(d, "-29.99", "Planet Fitness", category="health") for d in days]
    found = detect_recurring([*pharmacy, *gym], as_of=date(2026, 4, 30))
    assert [(s.merchant, s.fixed_amount) for s in found] == [("PLANET FITNESS", True)]


def test_variable_amounts_with_a_missed_period_are_not_recurring(txn: Builder) -> None:
    amounts = ["-58.00", "-121.37", "-185.00", "-96.40", "-70.00"]
    days = [
        date(2026, 1, 9),
        date(2026, 2, 9),
        date(2026, 4, 9),
        date(2026, 5, 9),
        date(2026, 6, 9),
    ]
    rows = [txn(d, a, "City Power & Light") for d, a in zip(days, amounts, strict=True)]
    assert detect_recurring(rows, as_of=date(2026, 6, 30)) == []


def test_one_missed_month_is_tolerated_for_a_fixed_amount(txn: Builder) -> None:
    days = [
        date(2026, 1, 3),
        date(2026, 2, 3),
        date(2026, 4, 3),
        date(2026, 5, 3),
        date(2026, 6, 3),
    ]
    rows = [txn(d, "-1650.00", "Parkview Apartments") for d in days]
    [series] = detect_recurring(rows, as_of=date(2026, 6, 10))
    assert series.period is Period.MONTHLY
    assert series.next_expected == date(2026, 7, 3)


def test_end_of_month_anchor_comes_back_after_february(txn: Builder) -> None:
    days = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    rows = [txn(d, "-25.00", "New York Times") for d in days]
    [series] = detect_recurring(rows, as_of=date(2026, 4, 1))
    assert series.next_expected == date(2026, 4, 30)


def test_weekly_and_yearly_periods(txn: Builder) -> None:
    weekly = [txn(date(2026, 3, d), "-12.00", "Metro Transit") for d in (2, 9, 16, 23)]
    yearly = [txn(date(y, 6, 1), "-99.00", "Costco Membership") for y in (2024, 2025)]
    found = detect_recurring(weekly + yearly, as_of=date(2026, 3, 25), min_occurrences=2)
    assert [(s.merchant, s.period, s.next_expected) for s in found] == [
        ("COSTCO MEMBERSHIP", Period.YEARLY, date(2026, 6, 1)),
        ("METRO TRANSIT", Period.WEEKLY, date(2026, 3, 30)),
    ]


def test_irregular_purchases_are_not_recurring(txn: Builder) -> None:
    rows = [
        txn(date(2026, 1, 3), "-31.20", "Kroger"),
        txn(date(2026, 1, 5), "-31.20", "Kroger"),
        txn(date(2026, 1, 19), "-31.20", "Kroger"),
        txn(date(2026, 2, 27), "-31.20", "Kroger"),
    ]
    assert detect_recurring(rows, as_of=date(2026, 3, 1)) == []


def test_lapsed_series_is_inactive_and_future_rows_are_ignored(txn: Builder) -> None:
    rows = [txn(date(2026, m, 5), "-11.99", "Spotify") for m in (1, 2, 3)]
    rows.append(txn(date(2026, 9, 5), "-11.99", "Spotify"))
    [series] = detect_recurring(rows, as_of=date(2026, 4, 10))
    assert series.transaction_ids == (1, 2, 3)
    assert series.next_expected == date(2026, 4, 5)
    assert series.active is True
    [later] = detect_recurring(rows[:3], as_of=date(2026, 4, 11))
    assert later.active is False


def test_groups_by_account_and_skips_internal_transfers(txn: Builder) -> None:
    rows = [txn(date(2026, m, 5), "-11.99", "Spotify", account=1) for m in (1, 2)]
    rows += [txn(date(2026, m, 5), "-11.99", "Spotify", account=2) for m in (3, 4)]
    rows += [
        txn(date(2026, m, 1), "-200.00", None, description="Transfer to savings") for m in (1, 2, 3)
    ]
    assert detect_recurring(rows, as_of=date(2026, 4, 30)) == []
    found = detect_recurring(rows, as_of=date(2026, 4, 30), skip_categories=frozenset())
    assert [s.merchant for s in found] == ["TRANSFER TO SAVINGS"]
    assert recurring_transaction_ids(found) == frozenset({5, 6, 7})


def test_min_occurrences_must_be_at_least_two() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        detect_recurring([], as_of=date(2026, 1, 1), min_occurrences=1)


def test_variable_amounts_need_one_more_charge_than_the_minimum(txn: Builder) -> None:
    days = [date(2026, 1, 9), date(2026, 2, 9), date(2026, 3, 9)]
    rows = [
        txn(d, a, "Costco Wholesale") for d, a in zip(days, ["-80", "-140", "-210"], strict=True)
    ]
    assert detect_recurring(rows, as_of=date(2026, 3, 31)) == []


def test_a_fixed_price_subscription_may_skip_months_on_its_usual_day(txn: Builder) -> None:
    months = [1, 2, 4, 5, 8, 9]  # two skips (a declined card), four single-month gaps
    rows = [txn(date(2026, m, 20), "-13.99", "Disney+") for m in months]
    [series] = detect_recurring(rows, as_of=date(2026, 9, 30))
    assert series.period is Period.MONTHLY
    assert series.transaction_ids == (1, 2, 3, 4, 5, 6)
    assert series.next_expected == date(2026, 10, 20)
    # Skips must keep the day of month, and may not outnumber single-month gaps.
    moved = [txn(date(2026, m, d), "-13.99", "Hulu") for m, d in [(1, 20), (2, 20), (4, 27)]]
    assert detect_recurring(moved, as_of=date(2026, 4, 30)) == []
    sparse = [txn(date(2026, m, 20), "-14.99", "Amazon Prime") for m in (1, 2, 5, 8, 11)]
    assert detect_recurring(sparse, as_of=date(2026, 9, 30)) == []


def test_a_varying_bill_may_skip_a_month_after_four_regular_ones(txn: Builder) -> None:
    amounts = ["-58.00", "-121.37", "-185.00", "-96.40", "-70.00", "-88.10"]
    months = [1, 2, 3, 4, 5, 7]
    rows = [
        txn(date(2026, m, 11), a, "City Power & Light")
        for m, a in zip(months, amounts, strict=True)
    ]
    [series] = detect_recurring(rows, as_of=date(2026, 7, 31))
    assert series.fixed_amount is False
    assert series.transaction_ids == (1, 2, 3, 4, 5, 6)


@pytest.mark.parametrize(
    ("period", "amount", "per_month"),
    [
        (Period.WEEKLY, "-12.00", "52.00"),
        (Period.BIWEEKLY, "-1000.00", "2166.67"),
        (Period.MONTHLY, "-15.49", "15.49"),
        (Period.QUARTERLY, "-100.00", "33.33"),
        (Period.YEARLY, "-139.00", "11.58"),
    ],
)
def test_monthly_cost_of_each_period(period: Period, amount: str, per_month: str) -> None:
    series = RecurringSeries(
        1, 10, "X", period, Decimal(amount), True, (1,), date(2026, 1, 1),
        date(2026, 6, 1), date(2026, 7, 1), True, None,
    )  # fmt: skip
    assert monthly_cost(series) == Decimal(per_month)


def test_a_series_to_a_person_needs_a_fourth_payment(txn: Builder) -> None:
    days = [date(2026, 3, 24), date(2026, 4, 9), date(2026, 4, 24), date(2026, 5, 8)]
    rows = [txn(d, "-200.00", "Morgan Diaz", category="p2p") for d in days]
    assert detect_recurring(rows[:3], as_of=date(2026, 5, 1)) == []
    [series] = detect_recurring(rows, as_of=date(2026, 5, 10))
    assert (series.merchant, series.period) == ("MORGAN DIAZ", Period.BIWEEKLY)
