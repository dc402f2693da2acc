"""Date expressions to local dates: the calendar rules `dates.py` documents."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from openteller.assistant.entities._dateexpr import (
    SINGLE_DAY,
    Bad,
    Between,
    CalendarRef,
    Expr,
    MonthDayRef,
    MonthEdge,
    MonthRef,
    QuarterRef,
    Rel,
    Rolling,
    Since,
    ToDate,
    WeekdayRef,
    YearRef,
)


def _days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(d.day, _days_in(year, month + 1)))


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, _days_in(year, month))


def _ok(d: date, anchor: date, direction: int) -> bool:
    return d <= anchor if direction < 0 else d >= anchor


def _nearest_month_day(month: int, day: int, anchor: date, direction: int) -> date | None:
    year = anchor.year
    for _ in range(9):  # Feb 29 may be up to 8 years away
        if day <= _days_in(year, month) and _ok(date(year, month, day), anchor, direction):
            return date(year, month, day)
        year += direction
    return None


def _nearest_day_of_month(day: int, anchor: date, direction: int) -> date | None:
    first = anchor.replace(day=1)
    for _ in range(13):
        if day <= _days_in(first.year, first.month):
            d = first.replace(day=day)
            if _ok(d, anchor, direction):
                return d
        first = _add_months(first, direction)
    return None


def _nearest_weekday(weekday: int, anchor: date, direction: int, strict: bool) -> date:
    if direction > 0:
        delta = (weekday - anchor.weekday()) % 7 or (7 if strict else 0)
        return anchor + timedelta(days=delta)
    delta = (anchor.weekday() - weekday) % 7 or (7 if strict else 0)
    return anchor - timedelta(days=delta)


def day_of(expr: Expr, today: date, anchor: date, direction: int) -> date | Bad:
    """A single-day expression as a date; year-less ones are placed from `anchor`."""
    if isinstance(expr, Rel):
        moved = _add_months(today, expr.months + 12 * expr.years)
        return moved + timedelta(days=expr.days + 7 * expr.weeks)
    if isinstance(expr, WeekdayRef):
        if expr.mod == "last":
            return _nearest_weekday(expr.weekday, today, -1, strict=True)
        if expr.mod == "next":
            return _nearest_weekday(expr.weekday, today, 1, strict=True)
        return _nearest_weekday(expr.weekday, anchor, direction, strict=False)
    if isinstance(expr, MonthEdge):
        start, end = _month_bounds(*_ym(_add_months(today.replace(day=1), expr.month_offset)))
        return end if expr.end else start
    if isinstance(expr, MonthDayRef):
        return _month_day(expr, today, anchor, direction)
    if isinstance(expr, Bad):
        return expr
    raise TypeError(f"not a single day: {expr!r}")  # pragma: no cover - callers check


def _ym(d: date) -> tuple[int, int]:
    return d.year, d.month


def _month_day(expr: MonthDayRef, today: date, anchor: date, direction: int) -> date | Bad:
    found: date | None
    if expr.month is not None and expr.year is not None:
        if expr.day > _days_in(expr.year, expr.month):
            return Bad(f"{calendar.month_name[expr.month]} {expr.year} has no day {expr.day}")
        return date(expr.year, expr.month, expr.day)
    if expr.month is not None:
        found = _nearest_month_day(expr.month, expr.day, anchor, direction)
    elif expr.month_offset is not None:
        year, month = _ym(_add_months(today.replace(day=1), expr.month_offset))
        if expr.day > _days_in(year, month):
            return Bad(f"{calendar.month_name[month]} {year} has no day {expr.day}")
        found = date(year, month, expr.day)
    else:
        found = _nearest_day_of_month(expr.day, anchor, direction)
    return found if found is not None else Bad(f"no day {expr.day} near {anchor.isoformat()}")


def _floating(expr: Expr) -> bool:
    """Said without a year, so placed relative to the other end of a range."""
    if isinstance(expr, MonthDayRef):
        return expr.year is None and expr.month_offset is None
    if isinstance(expr, MonthRef):
        return expr.year is None and expr.mod == ""
    if isinstance(expr, QuarterRef):
        return expr.year is None
    return isinstance(expr, WeekdayRef) and expr.mod in ("", "this")


def period_of(
    expr: Expr, today: date, week_start: int, anchor: date, direction: int
) -> tuple[date, date] | Bad:
    if isinstance(expr, SINGLE_DAY):
        day = day_of(expr, today, anchor, direction)
        return day if isinstance(day, Bad) else (day, day)
    if isinstance(expr, CalendarRef):
        return _calendar(expr, today, week_start)
    if isinstance(expr, MonthRef):
        return _month(expr, today, anchor, direction)
    if isinstance(expr, YearRef):
        return date(expr.year, 1, 1), date(expr.year, 12, 31)
    if isinstance(expr, QuarterRef):
        return _quarter(expr, anchor, direction)
    if isinstance(expr, Rolling):
        if expr.unit == "day":
            return today - timedelta(days=max(expr.count, 1) - 1), today
        if expr.unit == "week":
            return today - timedelta(days=7 * max(expr.count, 1) - 1), today
        months = expr.count * (12 if expr.unit == "year" else 1)
        return _add_months(today, -months) + timedelta(days=1), today
    if isinstance(expr, ToDate):
        start = _calendar(CalendarRef(expr.unit, 0), today, week_start)[0]
        return start, today
    if isinstance(expr, Since):
        anchored = period_of(expr.anchor, today, week_start, today, -1)
        if isinstance(anchored, Bad):
            return anchored
        start = anchored[1] + timedelta(days=1) if expr.after else anchored[0]
        return start, max(start, today)
    if isinstance(expr, Between):
        return _between(expr, today, week_start)
    raise TypeError(f"unknown date expression {expr!r}")  # pragma: no cover


def _between(expr: Between, today: date, week_start: int) -> tuple[date, date] | Bad:
    if _floating(expr.first) and not _floating(expr.last):
        last = period_of(expr.last, today, week_start, today, -1)
        if isinstance(last, Bad):
            return last
        first = period_of(expr.first, today, week_start, last[0], -1)
    else:
        first = period_of(expr.first, today, week_start, today, -1)
        if isinstance(first, Bad):
            return first
        last = period_of(expr.last, today, week_start, first[0], 1)
    if isinstance(first, Bad):
        return first
    if isinstance(last, Bad):
        return last
    if last[1] < first[0]:
        return last[0], first[1]
    return first[0], last[1]


def _calendar(expr: CalendarRef, today: date, week_start: int) -> tuple[date, date]:
    offset = expr.offset
    if expr.unit == "week":
        start = today - timedelta(days=(today.weekday() - week_start) % 7)
        start += timedelta(days=7 * (offset or 0))
        return start, start + timedelta(days=6)
    if expr.unit == "weekend":
        if offset is None:  # the most recent one that has begun
            saturday = today - timedelta(days=(today.weekday() - 5) % 7)
        else:
            saturday = today - timedelta(days=today.weekday() - 5 - 7 * offset)
        return saturday, saturday + timedelta(days=1)
    if expr.unit == "month":
        return _month_bounds(*_ym(_add_months(today.replace(day=1), offset or 0)))
    if expr.unit == "quarter":
        index = today.year * 4 + (today.month - 1) // 3 + (offset or 0)
        return _quarter_bounds(index // 4, index % 4 + 1)
    year = today.year + (offset or 0)
    return date(year, 1, 1), date(year, 12, 31)


def _month(expr: MonthRef, today: date, anchor: date, direction: int) -> tuple[date, date]:
    if expr.year is not None:
        return _month_bounds(expr.year, expr.month)
    if expr.mod == "this":
        return _month_bounds(today.year, expr.month)
    if expr.mod == "last":
        return _month_bounds(today.year - (expr.month >= today.month), expr.month)
    if expr.mod == "next":
        return _month_bounds(today.year + (expr.month <= today.month), expr.month)
    year = anchor.year
    if direction < 0 and date(year, expr.month, 1) > anchor:
        year -= 1
    if direction > 0 and date(year, expr.month, 1) < anchor.replace(day=1):
        year += 1
    return _month_bounds(year, expr.month)


def _quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * quarter - 2, 1)
    return start, _month_bounds(year, 3 * quarter)[1]


def _quarter(expr: QuarterRef, anchor: date, direction: int) -> tuple[date, date]:
    if expr.year is not None:
        return _quarter_bounds(expr.year, expr.quarter)
    year = anchor.year
    start = _quarter_bounds(year, expr.quarter)[0]
    if direction < 0 and start > anchor:
        year -= 1
    if direction > 0 and _quarter_bounds(year, expr.quarter)[1] < anchor:
        year += 1
    return _quarter_bounds(year, expr.quarter)
