"""Annual percentage rate by the actuarial method of Regulation Z, Appendix J.

12 CFR 1026, Appendix J, single-advance transactions. The paragraphs this module
follows, in the order they are used:

* (b)(2): the term begins on the advance date (the consummation date here).
* (b)(3)/(b)(4): a *period* is the interval between the start of the term and the
  first payment, or between two payments; a *common period* occurs more than once.
  The unit-period is the most frequent common period (not over one year); ties go
  to the shorter period; with no common period it is the average of all periods
  rounded to the nearest standard interval (a day, week, semimonth, month, or a
  multiple of a week or month up to one year), ties to the lower. In a single
  advance, single payment transaction the unit-period is the term, at most a year.
* (b)(5): full unit-periods and the remaining fraction between the start of the term
  and each payment. Months are counted back from the later date and the days left
  over are divided by 30; semimonths and multi-month units count 30 days a month
  plus the remaining days, divided by 15 or by 30 x months; days and weeks divide
  the exact number of days; a year counts whole years back, then the remaining
  months / 12, or the remaining days / 365 when they are not whole months. A
  single payment due in under a year is one unit-period, with 12 / months (whole
  months) or 365 / days unit-periods a year.
* (b)(6)/(b)(8): a fraction f of a unit-period earns simple interest, so each
  payment P due t full unit-periods plus f after the advance is discounted by
  (1 + f*i)(1 + i)^t, and the periodic rate i solves
  advance = sum of P / ((1 + f*i)(1 + i)^t).
* (b)(1): APR = i x unit-periods per year, here in percent rounded to 2 decimals.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import Enum, StrEnum

__all__ = ["UnitPeriod", "actuarial_apr"]

# Digits carried while solving. Appendix J only needs the rate right to two decimals;
# forty digits leave the rounding of thousands of compounded periods far below that.
_PRECISION = 40
_TOLERANCE = Decimal("1e-30")
_MAX_ITERATIONS = 200
_HUNDREDTH = Decimal("0.01")


class _Kind(Enum):
    DAY = "day"
    WEEK = "week"
    SEMIMONTH = "semimonth"
    MONTH = "month"


@dataclass(frozen=True)
class _Unit:
    """A standard interval of time: one day or semimonth, or a multiple of a week or month."""

    kind: _Kind
    multiple: int = 1

    @property
    def per_year(self) -> Decimal:
        """Unit-periods per year, (b)(5)(ii)-(v)."""
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            if self.kind is _Kind.DAY:
                return Decimal(365)
            if self.kind is _Kind.WEEK:
                return Decimal(52) / self.multiple
            if self.kind is _Kind.SEMIMONTH:
                return Decimal(24)
            return Decimal(12) / self.multiple

    @property
    def length(self) -> int:
        """Average length in 24ths of a day, to rank intervals without fractions.

        A month counts as 365/12 days so that twelve of them are a year, ahead of
        52 weeks; this only orders intervals, it is never used to count time.
        """
        if self.kind is _Kind.DAY:
            return 24
        if self.kind is _Kind.WEEK:
            return 168 * self.multiple
        if self.kind is _Kind.SEMIMONTH:
            return 365
        return 730 * self.multiple


_YEAR = _Unit(_Kind.MONTH, 12)

# Every standard interval of (b)(3): the candidates of the averaging rule in (b)(4).
_STANDARD_INTERVALS: tuple[_Unit, ...] = (
    _Unit(_Kind.DAY),
    _Unit(_Kind.SEMIMONTH),
    *(_Unit(_Kind.WEEK, weeks) for weeks in range(1, 53)),
    *(_Unit(_Kind.MONTH, months) for months in range(1, 13)),
)


class UnitPeriod(StrEnum):
    """The unit-periods a caller can name; inference may pick any standard interval."""

    DAY = "day"
    WEEK = "week"
    BIWEEK = "biweek"
    FOUR_WEEKS = "four_weeks"
    SEMIMONTH = "semimonth"
    MONTH = "month"
    TWO_MONTHS = "two_months"
    QUARTER = "quarter"
    FOUR_MONTHS = "four_months"
    SIX_MONTHS = "six_months"
    YEAR = "year"

    @property
    def periods_per_year(self) -> Decimal:
        """How many of this unit-period make a year (365 days, 52 weeks, 24, 12/months)."""
        return _UNITS[self].per_year

    @property
    def unit_periods_per_year(self) -> Decimal:
        """Alias of `periods_per_year`, in Appendix J's own words."""
        return self.periods_per_year


_UNITS: dict[UnitPeriod, _Unit] = {
    UnitPeriod.DAY: _Unit(_Kind.DAY),
    UnitPeriod.WEEK: _Unit(_Kind.WEEK, 1),
    UnitPeriod.BIWEEK: _Unit(_Kind.WEEK, 2),
    UnitPeriod.FOUR_WEEKS: _Unit(_Kind.WEEK, 4),
    UnitPeriod.SEMIMONTH: _Unit(_Kind.SEMIMONTH),
    UnitPeriod.MONTH: _Unit(_Kind.MONTH, 1),
    UnitPeriod.TWO_MONTHS: _Unit(_Kind.MONTH, 2),
    UnitPeriod.QUARTER: _Unit(_Kind.MONTH, 3),
    UnitPeriod.FOUR_MONTHS: _Unit(_Kind.MONTH, 4),
    UnitPeriod.SIX_MONTHS: _Unit(_Kind.MONTH, 6),
    UnitPeriod.YEAR: _YEAR,
}


# --- calendar measurement, (b)(3)(iv) and (b)(5) -------------------------------------


def _months_earlier(d: date, months: int, day: int) -> date:
    """The date `months` before `d` on day-of-month `day`, clamped to that month's end."""
    index = d.year * 12 + d.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day, calendar.monthrange(year, month + 1)[1]))


def _months_back(start: date, end: date, day: int) -> tuple[int, int]:
    """Full months measured back from `end` without passing `start`, and the days left.

    The days left run from `start` to the beginning of the first full month.
    """
    months = max(0, (end.year - start.year) * 12 + end.month - start.month)
    # The estimate lands in start's month; one step back is always enough.
    while months > 0 and _months_earlier(end, months, day) < start:
        months -= 1
    return months, (_months_earlier(end, months, day) - start).days


def _nominal_days(dates: list[date]) -> dict[date, int]:
    """The day-of-month each payment date stands for when months are counted back.

    (b)(3)(iv): payments due on the last day of each month are measured month end to
    month end, and for payments due on the 29th or 30th the last day of February is
    used. So a payment on a month's last day stands for the latest day-of-month of
    the schedule at or after its own day (Feb 28 in a series on the 30th stands for
    the 30th); any other payment stands for its own day.
    """
    days = {d.day for d in dates}
    nominal: dict[date, int] = {}
    for d in dates:
        if d.day == calendar.monthrange(d.year, d.month)[1]:
            nominal[d] = max(day for day in days if day >= d.day)
        else:
            nominal[d] = d.day
    return nominal


def _split(unit: _Unit, start: date, end: date, day: int) -> tuple[int, Decimal]:
    """Full unit-periods t and the fraction f from `start` to `end`, (b)(5)(ii)-(v)."""
    if unit.kind is _Kind.DAY:
        return (end - start).days, Decimal(0)
    if unit.kind is _Kind.WEEK:
        divisor = 7 * unit.multiple
        full, rest = divmod((end - start).days, divisor)
        return full, _fraction(rest, divisor)
    months, days = _months_back(start, end, day)
    if unit == _YEAR:
        years, spare_months = divmod(months, 12)
        if days == 0:
            return years, _fraction(spare_months, 12)
        first_full_year = _months_earlier(end, 12 * years, day)
        return years, _fraction((first_full_year - start).days, 365)
    # Semimonths and (multiples of) months: 30 days a month plus the days left over.
    divisor = 15 if unit.kind is _Kind.SEMIMONTH else 30 * unit.multiple
    full, rest = divmod(30 * months + days, divisor)
    return full, _fraction(rest, divisor)


def _fraction(numerator: int, denominator: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return Decimal(numerator) / Decimal(denominator)


# --- the unit-period, (b)(4) ---------------------------------------------------------


def _classify(start: date, end: date, day: int) -> list[_Unit]:
    """The standard intervals a period is exactly equal to (it can be more than one)."""
    days = (end - start).days
    kinds: list[_Unit] = []
    if days == 1:
        kinds.append(_Unit(_Kind.DAY))
    if days % 7 == 0 and 1 <= days // 7 <= 52:
        kinds.append(_Unit(_Kind.WEEK, days // 7))
    # Half-month gaps run from 13 days (16 Feb to 1 Mar) to 17 (15 Jan to 1 Feb); a
    # 14-day gap is also two weeks, and the tie rule then prefers the two weeks.
    if 13 <= days <= 17:
        kinds.append(_Unit(_Kind.SEMIMONTH))
    months, rest = _months_back(start, end, day)
    if rest == 0 and 1 <= months <= 12:
        kinds.append(_Unit(_Kind.MONTH, months))
    return kinds


def _infer_unit(advance_date: date, dates: list[date], nominal: dict[date, int]) -> _Unit:
    """The unit-period of a transaction with payments on two or more dates, (b)(4)(i)."""
    periods = [
        (start, end)
        for start, end in zip([advance_date, *dates], dates, strict=False)
        if end > start
    ]
    counts: dict[_Unit, int] = {}
    for start, end in periods:
        for unit in _classify(start, end, nominal[end]):
            counts[unit] = counts.get(unit, 0) + 1
    common = {unit: count for unit, count in counts.items() if count > 1}
    if common:
        # (b)(4)(i)(A): the most frequent; of equally frequent ones, the smaller.
        return min(common, key=lambda unit: (-common[unit], unit.length))
    # (b)(4)(i)(B): the average period, rounded to the nearest standard interval and
    # to the lower one when exactly halfway. Compared as n x length against the
    # total so that no division (and no rounding) happens.
    total = 24 * (dates[-1] - advance_date).days
    count = len(periods)
    return min(
        _STANDARD_INTERVALS,
        key=lambda unit: (abs(total - count * unit.length), unit.length),
    )


# --- the general equation, (b)(8) ----------------------------------------------------

_Flow = tuple[Decimal, int, Decimal]  # amount, full unit-periods t, fraction f


def _present_value(flows: list[_Flow], rate: Decimal) -> tuple[Decimal, Decimal]:
    """Sum of P / ((1 + f*i)(1 + i)^t) at i = `rate`, and its derivative in i.

    `flows` are sorted by t, so (1 + i)^t grows by one multiplication per step
    instead of a fresh power per payment.
    """
    growth = 1 + rate
    power = Decimal(1)
    exponent = 0
    value = Decimal(0)
    slope = Decimal(0)
    for amount, full, fraction in flows:
        if full != exponent:
            power *= growth ** (full - exponent)
            exponent = full
        simple = 1 + fraction * rate
        discounted = amount / (simple * power)
        value += discounted
        slope -= discounted * (fraction / simple + full / growth)
    return value, slope


def _solve_rate(advance: Decimal, flows: list[_Flow]) -> Decimal:
    """The unit-period rate i solving the general equation: safeguarded Newton.

    The present value falls as i rises and is convex, so the root is unique and a
    bracket [low, high] around it is kept; a Newton step that leaves the bracket is
    replaced by bisection.
    """
    low = Decimal("-0.99")
    value_low, _ = _present_value(flows, low)
    if value_low <= advance:
        raise ValueError("the payments are too small against the advance to give a rate")
    high = Decimal(1)
    while _present_value(flows, high)[0] > advance:
        high *= 2
        if high > 2**64:
            raise ValueError("the payments are too large against the advance to give a rate")
    rate = Decimal(0)
    for _ in range(_MAX_ITERATIONS):
        value, slope = _present_value(flows, rate)
        excess = value - advance
        if excess == 0:
            return rate
        if excess > 0:
            low = rate
        else:
            high = rate
        candidate = rate - excess / slope
        if not low < candidate < high:
            candidate = (low + high) / 2
        if abs(candidate - rate) < _TOLERANCE or high - low < _TOLERANCE:
            return candidate
        rate = candidate
    return rate  # pragma: no cover - Newton on a convex function converges long before


# --- public entry point --------------------------------------------------------------


def _positive_amount(value: object, what: str) -> Decimal:
    # Floats are refused outright: a binary fraction is not an amount of money.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValueError(f"{what} must be a Decimal, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"{what} must be a finite amount greater than zero, got {value}")
    return amount


def actuarial_apr(
    advance: Decimal,
    advance_date: date,
    payments: list[tuple[date, Decimal]],
    unit_period: UnitPeriod | None = None,
) -> Decimal:
    """APR in percent, 2 decimals, of one advance repaid by `payments` (Reg Z App. J).

    `payments` are (due date, amount) pairs in any order, each on or after
    `advance_date`. Without `unit_period` the unit-period is inferred as Appendix J
    (b)(4) prescribes; with it, that unit-period is used. A single payment (or all
    payments on one date) is priced over its term as (b)(4)(ii) and (b)(5)(vi)-(vii)
    describe. Raises `ValueError` on a non-positive advance or payment, no payments,
    a payment before the advance, or payments that all fall on the advance date.
    """
    amount = _positive_amount(advance, "the advance")
    if not payments:
        raise ValueError("at least one payment is needed to compute an APR")
    schedule: list[tuple[date, Decimal]] = []
    for due, payment in payments:
        if due < advance_date:
            raise ValueError(f"payment due {due} falls before the advance date {advance_date}")
        schedule.append((due, _positive_amount(payment, f"the payment due {due}")))
    schedule.sort(key=lambda item: item[0])
    dates = [due for due, _ in schedule]
    if dates[-1] == advance_date:
        raise ValueError("every payment falls on the advance date, so no time elapses")
    nominal = _nominal_days(dates)

    with localcontext() as ctx:
        ctx.prec = _PRECISION
        flows: list[_Flow]
        if unit_period is None and dates[0] == dates[-1]:
            flows, per_year = _single_payment(advance_date, schedule, nominal)
        else:
            unit = (
                _UNITS[unit_period]
                if unit_period is not None
                else _infer_unit(advance_date, dates, nominal)
            )
            per_year = unit.per_year
            flows = [
                (payment, *_split(unit, advance_date, due, nominal[due]))
                for due, payment in schedule
            ]
        flows.sort(key=lambda flow: flow[1])
        rate = _solve_rate(amount, flows)
        apr = (rate * per_year * 100).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    # A rate that is zero up to solver noise must not print as "-0.00".
    return apr if apr != 0 else Decimal("0.00")


def _single_payment(
    advance_date: date,
    schedule: list[tuple[date, Decimal]],
    nominal: dict[date, int],
) -> tuple[list[_Flow], Decimal]:
    """Flows and unit-periods per year when every payment is due on one date."""
    due = schedule[0][0]
    months, days = _months_back(advance_date, due, nominal[due])
    if months >= 12:
        # (b)(4)(ii): the unit-period is the term but never more than a year.
        flows = [
            (payment, *_split(_YEAR, advance_date, due, nominal[due])) for _, payment in schedule
        ]
        return flows, _YEAR.per_year
    # (b)(5)(vi)/(vii): under a year the whole term is one unit-period.
    one_term = [(payment, 1, Decimal(0)) for _, payment in schedule]
    if days == 0:
        return one_term, Decimal(12) / months
    return one_term, Decimal(365) / (due - advance_date).days
