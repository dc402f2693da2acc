"""What a date expression says, before any clock: the values `_dategrammar` produces.

`_dateresolve` turns them into dates against today; spans live in `Found`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rel:
    """A day counted from today: today, yesterday, "3 days ago", "in 2 weeks"."""

    days: int = 0
    weeks: int = 0
    months: int = 0
    years: int = 0


@dataclass(frozen=True)
class WeekdayRef:
    weekday: int  # Monday = 0
    mod: str = ""  # "", "this", "last", "next"


@dataclass(frozen=True)
class MonthDayRef:
    """A day of a month: "Nov 3" (month), "the 15th" (no month), "the 1st of next month"."""

    month: int | None
    day: int
    year: int | None = None
    month_offset: int | None = None  # relative to this month, for "of next month"


@dataclass(frozen=True)
class MonthEdge:
    """The first or last day of a month relative to this one ("end of the month")."""

    month_offset: int
    end: bool


@dataclass(frozen=True)
class CalendarRef:
    """A calendar period relative to today ("last week"); offset None: the most recent."""

    unit: str  # week, month, year, quarter, weekend
    offset: int | None


@dataclass(frozen=True)
class MonthRef:
    month: int
    year: int | None = None
    mod: str = ""


@dataclass(frozen=True)
class YearRef:
    year: int


@dataclass(frozen=True)
class QuarterRef:
    quarter: int
    year: int | None = None


@dataclass(frozen=True)
class Rolling:
    """The last `count` units up to today ("last 30 days", "past 3 months")."""

    count: int
    unit: str


@dataclass(frozen=True)
class ToDate:
    unit: str  # "year to date", "so far this month"


@dataclass(frozen=True)
class Since:
    anchor: Expr
    after: bool = False


@dataclass(frozen=True)
class Between:
    first: Expr
    last: Expr


@dataclass(frozen=True)
class Bad:
    """A date that cannot exist ("February 30")."""

    reason: str


Expr = (
    Rel | WeekdayRef | MonthDayRef | MonthEdge | CalendarRef | MonthRef | YearRef
    | QuarterRef | Rolling | ToDate | Since | Between | Bad
)  # fmt: skip
SINGLE_DAY = (Rel, WeekdayRef, MonthDayRef, MonthEdge, Bad)


@dataclass(frozen=True)
class Found:
    expr: Expr
    first: int  # token indices [first, last)
    last: int
    start: int  # character offsets
    end: int
