"""Tests of openteller.core.loans: PMT, schedule, Regulation Z Appendix J APR, TILA figures.

Expected values come from outside the code under test: the worked examples of
12 CFR 1026 Appendix J (c), hand-computed schedules, and closed forms evaluated
here with plain Decimal arithmetic. None is a number the module produced.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openteller.core.loans import (
    LoanDisclosure,
    ScheduledPayment,
    UnitPeriod,
    actuarial_apr,
    add_months,
    amortization_schedule,
    monthly_payment,
    truth_in_lending,
)

D = Decimal
Payments = list[tuple[date, Decimal]]


# --- schedule builders, independent of add_months (every day used is <= 28) ---------


def _shift(d: date, months: int) -> date:
    assert d.day <= 28, "test dates stay on days every month has"
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, d.day)


def _monthly(first: date, count: int, amount: str, every: int = 1) -> Payments:
    return [(_shift(first, every * k), D(amount)) for k in range(count)]


def _every_days(first: date, count: int, amount: str, days: int) -> Payments:
    return [(first + timedelta(days=days * k), D(amount)) for k in range(count)]


def _semimonthly(first: date, count: int, amount: str) -> Payments:
    """Payments on day d and d + 15 of each month, starting with `first` (day d <= 13)."""
    assert first.day <= 13
    dates = []
    for k in range(count):
        month_start = _shift(first, k // 2)
        dates.append(month_start if k % 2 == 0 else month_start + timedelta(days=15))
    return [(d, D(amount)) for d in dates]


# --- Appendix J (c) worked examples ---------------------------------------------------


@dataclass(frozen=True)
class Example:
    name: str
    advance: Decimal
    advance_date: date
    payments: Payments
    apr: Decimal
    unit: UnitPeriod | None


def _skipped_four_weekly() -> Payments:
    # (c)(6)(i) as published gives, per payment series, the full unit-periods t and
    # the fraction f (in 28ths) from the advance; the dates below are one calendar
    # realisation of exactly those (t, f): advance + 28t + f days.
    start = date(1978, 1, 2)
    series = [(9, 0, 26), (6, 10, 12), (6, 16, 26), (3, 23, 12)]
    return [
        (start + timedelta(days=28 * (t + k) + f), D(100))
        for count, t, f in series
        for k in range(count)
    ]


EXAMPLES = [
    # (c)(1)(i) monthly payments, regular first period.
    Example(
        "c1i-monthly",
        D(5000),
        date(1978, 1, 10),
        _monthly(date(1978, 2, 10), 24, "230"),
        D("9.69"),
        UnitPeriod.MONTH,
    ),
    # (c)(1)(ii) monthly payments, long first period (t = 1, f = 19/30).
    Example(
        "c1ii-monthly-long-first",
        D(6000),
        date(1978, 2, 10),
        _monthly(date(1978, 4, 1), 36, "200"),
        D("11.82"),
        UnitPeriod.MONTH,
    ),
    # (c)(1)(iii) semimonthly payments on the 1st and 16th, short first period (f = 6/15).
    Example(
        "c1iii-semimonthly",
        D(5000),
        date(1978, 2, 23),
        _semimonthly(date(1978, 3, 1), 24, "219.17"),
        D("10.34"),
        UnitPeriod.SEMIMONTH,
    ),
    # (c)(1)(iv) quarterly payments, long first period (t = 1, f = 39/90).
    Example(
        "c1iv-quarterly",
        D(10000),
        date(1978, 5, 23),
        _monthly(date(1978, 10, 1), 40, "385", every=3),
        D("8.97"),
        UnitPeriod.QUARTER,
    ),
    # (c)(1)(v) weekly payments, long first period (t = 4, f = 4/7).
    Example(
        "c1v-weekly",
        D(500),
        date(1978, 3, 20),
        _every_days(date(1978, 4, 21), 30, "17.60", 7),
        D("14.96"),
        UnitPeriod.WEEK,
    ),
    # (c)(2)(i) monthly payments, irregular first payment.
    Example(
        "c2i-odd-first-payment",
        D(5000),
        date(1978, 1, 10),
        [(date(1978, 2, 10), D(250)), *_monthly(date(1978, 3, 10), 23, "230")],
        D("10.08"),
        UnitPeriod.MONTH,
    ),
    # (c)(2)(ii) payments every 4 weeks, long first period, irregular first payment.
    Example(
        "c2ii-four-weekly",
        D(400),
        date(1978, 3, 18),
        [(date(1978, 4, 20), D("39.50")), *_every_days(date(1978, 5, 18), 11, "38.31", 28)],
        D("28.50"),
        UnitPeriod.FOUR_WEEKS,
    ),
    # (c)(3)(i) monthly payments, irregular final payment.
    Example(
        "c3i-odd-final-payment",
        D(5000),
        date(1978, 1, 10),
        [*_monthly(date(1978, 2, 10), 23, "230"), (date(1980, 1, 10), D(280))],
        D("10.50"),
        UnitPeriod.MONTH,
    ),
    # (c)(3)(ii) payments every 2 weeks, short first period, irregular final payment
    # (the final one 19 fortnights after the first, 1979-01-02).
    Example(
        "c3ii-biweekly",
        D(200),
        date(1978, 4, 3),
        [*_every_days(date(1978, 4, 11), 19, "9.50", 14), (date(1979, 1, 2), D(30))],
        D("12.22"),
        UnitPeriod.BIWEEK,
    ),
    # (c)(4)(i) monthly payments, irregular first and final payments.
    Example(
        "c4i-odd-first-and-final",
        D(5000),
        date(1978, 1, 10),
        [
            (date(1978, 2, 10), D(250)),
            *_monthly(date(1978, 3, 10), 22, "230"),
            (date(1980, 1, 10), D(280)),
        ],
        D("10.90"),
        UnitPeriod.MONTH,
    ),
    # (c)(4)(ii) payments every 2 months, short first period (f = 52/60), irregular
    # first and final payments.
    Example(
        "c4ii-two-monthly",
        D(8000),
        date(1978, 1, 10),
        [
            (date(1978, 3, 1), D("449.36")),
            *_monthly(date(1978, 5, 1), 18, "465", every=2),
            (date(1981, 5, 1), D(200)),
        ],
        D("7.30"),
        UnitPeriod.TWO_MONTHS,
    ),
    # (c)(5)(i) single advance, single payment, term of 255 days (365/255 unit-periods a
    # year).
    Example(
        "c5i-single-payment-days",
        D(1000),
        date(1978, 1, 3),
        [(date(1978, 9, 15), D(1080))],
        D("11.45"),
        None,
    ),
    # (c)(5)(ii)-(iv): the published answers depend only on the term (6 months, 18
    # months, 2 years); these dates are one calendar realisation of those terms.
    Example(
        "c5ii-single-payment-6-months",
        D(1000),
        date(1978, 7, 15),
        [(date(1979, 1, 15), D(1044))],
        D("8.80"),
        None,
    ),
    Example(
        "c5iii-single-payment-18-months",
        D(1000),
        date(1978, 7, 15),
        [(date(1980, 1, 15), D("1135.19"))],
        D("8.76"),
        UnitPeriod.YEAR,
    ),
    Example(
        "c5iv-single-payment-2-years",
        D(1000),
        date(1978, 7, 15),
        [(date(1980, 7, 15), D(1240))],
        D("11.36"),
        UnitPeriod.YEAR,
    ),
    # (c)(6)(i) skipped payments, every 4 weeks (dates realise the published t and f).
    Example(
        "c6i-skipped-four-weekly",
        D(2135),
        date(1978, 1, 2),
        _skipped_four_weekly(),
        D("12.00"),
        UnitPeriod.FOUR_WEEKS,
    ),
    # (c)(6)(ii) monthly, skipped payments plus single larger ones. Published: 3 x 1,000
    # at t = 6-8, 2,000 at t = 12, 3 x 750 at t = 18-20 (all f = 12/30) and 1,000 at
    # t = 22, f = 29/30; realised with the advance on the 3rd and payments on the 15th.
    Example(
        "c6ii-skipped-monthly",
        D(7350),
        date(1978, 1, 3),
        [
            *_monthly(date(1978, 7, 15), 3, "1000"),
            (date(1979, 1, 15), D(2000)),
            *_monthly(date(1979, 7, 15), 3, "750"),
            (date(1979, 12, 1), D(1000)),
        ],
        D("10.22"),
        UnitPeriod.MONTH,
    ),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.name)
def test_appendix_j_example_with_inferred_unit_period(example: Example) -> None:
    assert actuarial_apr(example.advance, example.advance_date, example.payments) == example.apr


@pytest.mark.parametrize(
    "example",
    [example for example in EXAMPLES if example.unit is not None],
    ids=lambda example: example.name,
)
def test_appendix_j_example_with_explicit_unit_period(example: Example) -> None:
    apr = actuarial_apr(example.advance, example.advance_date, example.payments, example.unit)
    assert apr == example.apr


def test_payment_order_does_not_matter() -> None:
    example = EXAMPLES[5]  # (c)(2)(i): the odd payment must still count as the first
    shuffled = list(reversed(example.payments))
    assert actuarial_apr(example.advance, example.advance_date, shuffled) == D("10.08")


def test_apr_is_a_two_decimal_decimal() -> None:
    apr = actuarial_apr(D(5000), date(1978, 1, 10), EXAMPLES[0].payments)
    assert isinstance(apr, Decimal)
    assert apr.as_tuple().exponent == -2


# --- unit-periods ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "per_year"),
    [
        (UnitPeriod.DAY, "365"),
        (UnitPeriod.WEEK, "52"),
        (UnitPeriod.BIWEEK, "26"),
        (UnitPeriod.FOUR_WEEKS, "13"),
        (UnitPeriod.SEMIMONTH, "24"),
        (UnitPeriod.MONTH, "12"),
        (UnitPeriod.TWO_MONTHS, "6"),
        (UnitPeriod.QUARTER, "4"),
        (UnitPeriod.FOUR_MONTHS, "3"),
        (UnitPeriod.SIX_MONTHS, "2"),
        (UnitPeriod.YEAR, "1"),
    ],
)
def test_unit_periods_per_year(unit: UnitPeriod, per_year: str) -> None:
    assert unit.periods_per_year == D(per_year)
    assert unit.unit_periods_per_year == D(per_year)


def test_unit_period_is_a_str_enum() -> None:
    assert UnitPeriod("month") is UnitPeriod.MONTH
    assert f"{UnitPeriod.SEMIMONTH}" == "semimonth"


def test_most_frequent_common_period_ties_go_to_the_shorter() -> None:
    # Periods: 7, 7 days, then two whole months: weeks and months both occur twice.
    payments = [
        (date(2024, 1, 8), D(100)),
        (date(2024, 1, 15), D(100)),
        (date(2024, 2, 15), D(100)),
        (date(2024, 3, 15), D(100)),
    ]
    weekly = actuarial_apr(D(390), date(2024, 1, 1), payments, UnitPeriod.WEEK)
    monthly = actuarial_apr(D(390), date(2024, 1, 1), payments, UnitPeriod.MONTH)
    assert weekly != monthly  # otherwise the test could not tell the two apart
    assert actuarial_apr(D(390), date(2024, 1, 1), payments) == weekly


def test_no_common_period_uses_the_average_rounded_to_a_standard_interval() -> None:
    # Periods of 25 and 35 days: none repeats; the 30-day average is nearest a month.
    payments = [(date(2024, 1, 26), D(510)), (date(2024, 3, 1), D(510))]
    monthly = actuarial_apr(D(1000), date(2024, 1, 1), payments, UnitPeriod.MONTH)
    four_weekly = actuarial_apr(D(1000), date(2024, 1, 1), payments, UnitPeriod.FOUR_WEEKS)
    assert monthly != four_weekly
    assert actuarial_apr(D(1000), date(2024, 1, 1), payments) == monthly


def test_average_exactly_between_two_intervals_goes_to_the_lower() -> None:
    # Periods of 10 and 11 days: the 10.5-day average is as near 1 week as 2 weeks.
    payments = [(date(2024, 1, 11), D(501)), (date(2024, 1, 22), D(501))]
    weekly = actuarial_apr(D(1000), date(2024, 1, 1), payments, UnitPeriod.WEEK)
    biweekly = actuarial_apr(D(1000), date(2024, 1, 1), payments, UnitPeriod.BIWEEK)
    assert weekly != biweekly
    assert actuarial_apr(D(1000), date(2024, 1, 1), payments) == weekly


def _root(value: Decimal, degree: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 50
        return (value.ln() / degree).exp()


def test_explicit_day_unit_overrides_the_single_payment_term() -> None:
    # (c)(5)(i) data priced per day: (1 + i)^255 = 1080 / 1000, APR = 365 i.
    with localcontext() as ctx:
        ctx.prec = 50
        daily = _root(D("1.08"), 255) - 1
        expected = (daily * 365 * 100).quantize(D("0.01"), ROUND_HALF_UP)
    payments = [(date(1978, 9, 15), D(1080))]
    assert actuarial_apr(D(1000), date(1978, 1, 3), payments, UnitPeriod.DAY) == expected
    assert expected != D("11.45")


def test_explicit_month_unit_on_a_single_payment() -> None:
    # (c)(5)(ii) data priced monthly: (1 + i)^6 = 1.044, APR = 12 i.
    with localcontext() as ctx:
        ctx.prec = 50
        expected = ((_root(D("1.044"), 6) - 1) * 1200).quantize(D("0.01"), ROUND_HALF_UP)
    payments = [(date(1979, 1, 15), D(1044))]
    assert actuarial_apr(D(1000), date(1978, 7, 15), payments, UnitPeriod.MONTH) == expected
    assert expected != D("8.80")


def _level_dates(unit: UnitPeriod, advance: date, count: int) -> list[date]:
    """Due dates exactly one `unit` apart, the first one unit after `advance`."""
    days = {UnitPeriod.DAY: 1, UnitPeriod.WEEK: 7, UnitPeriod.BIWEEK: 14, UnitPeriod.FOUR_WEEKS: 28}
    months = {
        UnitPeriod.MONTH: 1,
        UnitPeriod.TWO_MONTHS: 2,
        UnitPeriod.QUARTER: 3,
        UnitPeriod.FOUR_MONTHS: 4,
        UnitPeriod.SIX_MONTHS: 6,
        UnitPeriod.YEAR: 12,
    }
    if unit in days:
        return [advance + timedelta(days=days[unit] * k) for k in range(1, count + 1)]
    if unit in months:
        return [_shift(advance, months[unit] * k) for k in range(1, count + 1)]
    # Semimonth: day d and d + 15 of each month, counted on from the advance (day d <= 13).
    return [d for d, _ in _semimonthly(advance, count + 1, "1")][1:]


@settings(max_examples=150, deadline=None)
@given(
    unit=st.sampled_from(list(UnitPeriod)),
    advance_date=st.dates(min_value=date(1970, 1, 1), max_value=date(2060, 12, 31)).map(
        lambda d: d.replace(day=min(d.day, 13))
    ),
    count=st.integers(min_value=4, max_value=48),
    apr_hundredths=st.integers(min_value=1, max_value=4000),
    payment=st.decimals(min_value=D("1.00"), max_value=D("5000.00"), places=2),
    explicit=st.booleans(),
)
def test_level_schedule_without_odd_period_has_apr_rate_times_periods(
    unit: UnitPeriod,
    advance_date: date,
    count: int,
    apr_hundredths: int,
    payment: Decimal,
    explicit: bool,
) -> None:
    # Closed form: with no odd period, payment k falls exactly k unit-periods after the
    # advance, so advance = PMT (1 - (1 + i)^-n) / i and APR = i x unit-periods a year.
    apr = D(apr_hundredths) / 100
    with localcontext() as ctx:
        ctx.prec = 60
        rate = apr / 100 / unit.periods_per_year
        advance = payment * (1 - (1 + rate) ** -count) / rate
    payments = [(due, payment) for due in _level_dates(unit, advance_date, count)]
    assert actuarial_apr(advance, advance_date, payments, unit if explicit else None) == apr


@pytest.mark.parametrize("count", [3, 12])
@pytest.mark.parametrize("day", [29, 30, 31])
@pytest.mark.parametrize("year", [2023, 2024])
def test_month_end_series_counts_whole_months(count: int, day: int, year: int) -> None:
    # Appendix J (b)(3)(iv): a series due on the 29th, 30th or last day of each month
    # uses the last day of shorter months and still runs whole months apart, so with
    # the advance on that day of December payment k is exactly k months away and the
    # closed form applies: advance = PMT (1 - (1 + i)^-n) / i, APR = 12 i.
    advance_date = date(year - 1, 12, day)
    dues = [
        date(year, month, min(day, calendar.monthrange(year, month)[1]))
        for month in range(1, count + 1)
    ]
    with localcontext() as ctx:
        ctx.prec = 60
        rate = D("0.0075")  # 9.00 % a year
        advance = D("250.00") * (1 - (1 + rate) ** -count) / rate
    payments = [(due, D("250.00")) for due in dues]
    assert actuarial_apr(advance, advance_date, payments) == D("9.00")
    assert actuarial_apr(advance, advance_date, payments, UnitPeriod.MONTH) == D("9.00")


# --- level payment -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "rate", "term", "expected"),
    [
        ("200000", "7.5", 180, "1854.02"),  # parity case
        ("1000", "12", 12, "88.85"),
        ("1000", "0", 3, "333.34"),  # 333.333... rounded up
        ("100", "0", 3, "33.34"),
        ("900", "0", 3, "300.00"),
        ("1000", "12", 1, "1010.00"),
    ],
)
def test_monthly_payment(principal: str, rate: str, term: int, expected: str) -> None:
    assert monthly_payment(D(principal), D(rate), term) == D(expected)


# --- schedule ------------------------------------------------------------------------

# 1,000.00 at 12 % for 12 months, worked by hand: interest = balance x 1 % rounded to
# the cent, principal = 88.85 - interest, and the last payment is balance + interest.
HAND_SCHEDULE = [
    ("88.85", "10.00", "78.85", "921.15"),
    ("88.85", "9.21", "79.64", "841.51"),
    ("88.85", "8.42", "80.43", "761.08"),
    ("88.85", "7.61", "81.24", "679.84"),
    ("88.85", "6.80", "82.05", "597.79"),
    ("88.85", "5.98", "82.87", "514.92"),
    ("88.85", "5.15", "83.70", "431.22"),
    ("88.85", "4.31", "84.54", "346.68"),
    ("88.85", "3.47", "85.38", "261.30"),
    ("88.85", "2.61", "86.24", "175.06"),
    ("88.85", "1.75", "87.10", "87.96"),
    ("88.84", "0.88", "87.96", "0.00"),
]


def test_twelve_month_schedule_to_the_cent() -> None:
    rows = amortization_schedule(D("1000.00"), D(12), 12, date(2024, 2, 15))
    expected = [
        ScheduledPayment(
            number=n,
            due_date=_shift(date(2024, 2, 15), n - 1),
            payment=D(payment),
            interest=D(interest),
            principal=D(principal),
            balance=D(balance),
        )
        for n, (payment, interest, principal, balance) in enumerate(HAND_SCHEDULE, start=1)
    ]
    assert rows == expected


def test_last_payment_absorbs_rounding() -> None:
    rows = amortization_schedule(D(200000), D("7.5"), 180, date(2024, 1, 1))
    assert len(rows) == 180
    assert {row.payment for row in rows[:-1]} == {D("1854.02")}
    assert rows[-1].payment != D("1854.02")
    assert rows[-1].payment == rows[-2].balance + rows[-1].interest
    assert rows[-1].balance == D("0.00")
    assert sum(row.principal for row in rows) == D(200000)


def test_zero_rate_schedule() -> None:
    rows = amortization_schedule(D("1000.00"), D(0), 3, date(2024, 1, 10))
    assert [(row.payment, row.interest, row.principal, row.balance) for row in rows] == [
        (D("333.34"), D("0.00"), D("333.34"), D("666.66")),
        (D("333.34"), D("0.00"), D("333.34"), D("333.32")),
        (D("333.32"), D("0.00"), D("333.32"), D("0.00")),
    ]


def test_due_dates_clamp_to_month_end_and_keep_the_original_day() -> None:
    rows = amortization_schedule(D(1200), D(6), 4, date(2023, 1, 31))
    assert [row.due_date for row in rows] == [
        date(2023, 1, 31),
        date(2023, 2, 28),
        date(2023, 3, 31),
        date(2023, 4, 30),
    ]


def test_larger_payment_retires_the_loan_early() -> None:
    rows = amortization_schedule(D(1000), D(0), 12, date(2024, 1, 1), payment=D(400))
    assert [(row.payment, row.balance) for row in rows] == [
        (D(400), D(600)),
        (D(400), D(200)),
        (D(200), D("0.00")),
    ]


def test_smaller_payment_leaves_a_balloon() -> None:
    rows = amortization_schedule(D(1000), D(0), 3, date(2024, 1, 1), payment=D(100))
    assert [row.payment for row in rows] == [D(100), D(100), D(800)]


@settings(max_examples=100, deadline=None)
@given(
    principal=st.decimals(min_value=D("1.00"), max_value=D("2000000.00"), places=2),
    rate=st.decimals(min_value=D("0"), max_value=D("36"), places=3),
    term=st.integers(min_value=1, max_value=480),
)
def test_schedule_invariants(principal: Decimal, rate: Decimal, term: int) -> None:
    rows = amortization_schedule(principal, rate, term, date(2024, 1, 15))
    assert sum(row.principal for row in rows) == principal
    assert rows[-1].balance == 0
    balance = principal
    for row in rows:
        expected_interest = (balance * rate / 1200).quantize(D("0.01"), ROUND_HALF_UP)
        assert row.interest == expected_interest
        assert row.payment == row.interest + row.principal
        balance -= row.principal
        assert row.balance == balance


# --- add_months ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 2, date(2023, 3, 31)),
        (date(2023, 1, 31), 3, date(2023, 4, 30)),
        (date(2023, 12, 15), 1, date(2024, 1, 15)),
        (date(2023, 3, 31), -1, date(2023, 2, 28)),
        (date(2024, 1, 15), -13, date(2022, 12, 15)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 5, 17), 0, date(2024, 5, 17)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


# --- Truth in Lending ----------------------------------------------------------------


def _reference_apr(advance: Decimal, flows: list[tuple[Decimal, int, Decimal]]) -> Decimal:
    """Monthly APR by plain bisection on advance = sum P / ((1 + f i)(1 + i)^t)."""
    with localcontext() as ctx:
        ctx.prec = 50
        low, high = D(0), D(1)
        for _ in range(200):
            mid = (low + high) / 2
            value = sum(p / ((1 + f * mid) * (1 + mid) ** t) for p, t, f in flows)
            low, high = (mid, high) if value > advance else (low, mid)
        return (low * 1200).quantize(D("0.01"), ROUND_HALF_UP)


def test_truth_in_lending_regular_first_period() -> None:
    disclosure = truth_in_lending(D("1000.00"), D(12), 12, date(2024, 1, 15), date(2024, 2, 15))
    # Totals from HAND_SCHEDULE. The cash flows repay 1,000 at exactly 1 % a month but
    # for the per-period interest rounding (under half a cent each, about 0.001 point
    # of APR in total), so the APR shows as 12.00.
    assert disclosure == LoanDisclosure(
        amount_financed=D("1000.00"),
        finance_charge=D("66.19"),
        total_of_payments=D("1066.19"),
        payment=D("88.85"),
        number_of_payments=12,
        apr=D("12.00"),
        annual_rate=D(12),
    )


def test_truth_in_lending_prepaid_finance_charge_raises_the_apr() -> None:
    disclosure = truth_in_lending(
        D("1000.00"), D(12), 12, date(2024, 1, 15), date(2024, 2, 15), D("20.00")
    )
    flows = [(D(payment), t, D(0)) for t, (payment, *_) in enumerate(HAND_SCHEDULE, start=1)]
    assert disclosure.amount_financed == D("980.00")
    assert disclosure.finance_charge == D("86.19")
    assert disclosure.total_of_payments == D("1066.19")
    assert disclosure.apr == _reference_apr(D("980.00"), flows)
    assert disclosure.apr > D("12.00")


def test_truth_in_lending_long_first_period_lowers_the_apr() -> None:
    # First payment 1 month and 15 days after the advance: every payment is t full
    # months plus f = 15/30 away (Appendix J (b)(5)(ii)), for the same payments.
    disclosure = truth_in_lending(D("1000.00"), D(12), 12, date(2024, 1, 1), date(2024, 2, 16))
    flows = [(D(payment), t, D("0.5")) for t, (payment, *_) in enumerate(HAND_SCHEDULE, start=1)]
    assert disclosure.apr == _reference_apr(D("1000.00"), flows)
    assert disclosure.apr < D("12.00")


def test_truth_in_lending_zero_rate() -> None:
    disclosure = truth_in_lending(D(900), D(0), 3, date(2024, 1, 1), date(2024, 2, 1))
    assert disclosure.finance_charge == 0
    assert disclosure.apr == D("0.00")


@settings(max_examples=80, deadline=None)
@given(
    principal=st.decimals(min_value=D("5000.00"), max_value=D("1000000.00"), places=2),
    rate_hundredths=st.integers(min_value=0, max_value=3000),
    term=st.integers(min_value=1, max_value=360),
    advance_date=st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)).map(
        lambda d: d.replace(day=min(d.day, 28))
    ),
)
def test_apr_of_a_regular_schedule_is_its_nominal_rate(
    principal: Decimal, rate_hundredths: int, term: int, advance_date: date
) -> None:
    # Why exact: the schedule repays the principal at the nominal monthly rate r except
    # that each interest charge is rounded by at most half a cent (the last payment
    # absorbs the rest), so the payments' present value at r is off by at most
    # 0.005 x sum(v^k). Dividing by the slope sum(k P v^(k+1)) bounds the APR error by
    # 12 / principal points: 0.0024 for principals of 5,000 or more, under the 0.005
    # that would change a 2-decimal rate. (Smaller loans: see the next test.)
    rate = D(rate_hundredths) / 100
    disclosure = truth_in_lending(principal, rate, term, advance_date, _shift(advance_date, 1))
    assert disclosure.apr == rate


@settings(max_examples=60, deadline=None)
@given(
    principal=st.decimals(min_value=D("100.00"), max_value=D("5000.00"), places=2),
    rate=st.decimals(min_value=D("0"), max_value=D("30"), places=3),
    term=st.integers(min_value=1, max_value=120),
)
def test_apr_of_a_small_regular_schedule_is_near_its_nominal_rate(
    principal: Decimal, rate: Decimal, term: int
) -> None:
    # Same bound as above, 12 / principal points, plus up to 0.005 for rounding a
    # three-decimal rate to two: about 0.01 at 1,200 and up to 0.125 at 100.
    disclosure = truth_in_lending(principal, rate, term, date(2024, 3, 10), date(2024, 4, 10))
    assert abs(disclosure.apr - rate) <= D("0.005") + D(12) / principal


# --- validation ----------------------------------------------------------------------

GOOD_PAYMENTS = [(date(2024, 2, 1), D(600)), (date(2024, 3, 1), D(600))]


@pytest.mark.parametrize(
    ("advance", "advance_date", "payments"),
    [
        (D(0), date(2024, 1, 1), GOOD_PAYMENTS),
        (D(-1000), date(2024, 1, 1), GOOD_PAYMENTS),
        (D("NaN"), date(2024, 1, 1), GOOD_PAYMENTS),
        (1000.0, date(2024, 1, 1), GOOD_PAYMENTS),
        (D(1000), date(2024, 1, 1), []),
        (D(1000), date(2024, 1, 1), [(date(2024, 2, 1), D(0))]),
        (D(1000), date(2024, 1, 1), [(date(2024, 2, 1), D(-5)), (date(2024, 3, 1), D(1100))]),
        (D(1000), date(2024, 1, 1), [(date(2023, 12, 31), D(1100))]),
        (D(1000), date(2024, 1, 1), [(date(2024, 1, 1), D(1100))]),
    ],
    ids=[
        "zero-advance",
        "negative-advance",
        "nan-advance",
        "float-advance",
        "no-payments",
        "zero-payment",
        "negative-payment",
        "payment-before-advance",
        "all-payments-on-advance-date",
    ],
)
def test_actuarial_apr_rejects_bad_input(
    advance: Decimal, advance_date: date, payments: Payments
) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        actuarial_apr(advance, advance_date, payments)


@pytest.mark.parametrize(
    ("principal", "rate", "term"),
    [(D(0), D(5), 12), (D(-1), D(5), 12), (D(1000), D(-1), 12), (D(1000), D(5), 0)],
)
def test_monthly_payment_rejects_bad_input(principal: Decimal, rate: Decimal, term: int) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        monthly_payment(principal, rate, term)


def test_schedule_rejects_bad_payment_and_fractional_cents() -> None:
    with pytest.raises(ValueError, match="payment"):
        amortization_schedule(D(1000), D(5), 12, date(2024, 1, 1), payment=D(0))
    with pytest.raises(ValueError, match="cents"):
        amortization_schedule(D("1000.005"), D(5), 12, date(2024, 1, 1))


@pytest.mark.parametrize(
    ("prepaid", "advance_date", "first_payment_date"),
    [
        (D("-1"), date(2024, 1, 1), date(2024, 2, 1)),
        (D("1000"), date(2024, 1, 1), date(2024, 2, 1)),
        (D("0"), date(2024, 2, 1), date(2024, 2, 1)),
        (D("0"), date(2024, 3, 1), date(2024, 2, 1)),
    ],
    ids=["negative-prepaid", "prepaid-eats-principal", "no-first-period", "payment-first"],
)
def test_truth_in_lending_rejects_bad_input(
    prepaid: Decimal, advance_date: date, first_payment_date: date
) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        truth_in_lending(D(1000), D(5), 12, advance_date, first_payment_date, prepaid)
