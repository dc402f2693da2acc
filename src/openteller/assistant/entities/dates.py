"""Dates and date ranges, resolved against the injected clock in the bank's timezone.

Two readings of the same words:

- `extract_date_range` is for history ("what did I spend last month"): a range of local
  dates, both ends inclusive, never past today (a range that starts after today comes
  back with `in_future=True`).
- `extract_date` is for scheduling ("pay her next Friday"): one local date, with
  `in_past` when it lies before today.

Rules (documented, tested):

- Weeks start on Monday (ISO 8601) unless `week_start` says otherwise; weekends are the
  Saturday and Sunday of that Monday-based week.
- A date without a year ("Nov 3", "the 15th", "Friday", "in March") is the nearest one
  on or before today for history and on or after today for scheduling. "last Friday" is
  strictly before today, "next Friday" strictly after (the first Friday after today).
  A scheduled date that went to next year because this year's had passed is
  `rolled_over` so the dialogue can check.
- "last week/month/year" is the previous calendar period; "last N days/weeks/months"
  and "past week" are rolling windows ending today ("last 7 days" = today and the six
  days before it; "last 3 months" starts the day after the same date three months ago).
- "between June 1 and 15", "from Dec 20 to Jan 5": the start is placed first (nearest on
  or before today) and the end follows it; reversed ends are swapped.
- "since March" runs from March 1 to today; "after X" from the day after X.
- Slashed dates are US month/day ("11/3" is November 3); "13/5" is not a date.
- A date that cannot exist ("February 30", "2/30") is an `InvalidDate` with a reason.

- "the 15th" is a date after a date word ("on the 15th", "by the 15th") or with no noun
  after it; "the first transaction" is not.

The grammar (`_dategrammar`) finds and reads the words itself: it is exact, fast (well
under a millisecond a sentence) and knows what it does not know. dateparser is only the
fallback for relative phrases with an "ago"/"from now"/"later" the grammar does not read
("36 hours ago"), with its relative-time parser only, English only, the local now as its
base; it is imported on first need (its first call costs ~0.2 s: `warm_up()` pays that
at startup).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from openteller.assistant.entities._dateexpr import SINGLE_DAY, Bad, Found, MonthDayRef, Since
from openteller.assistant.entities._dategrammar import find_dates
from openteller.assistant.entities._dateresolve import day_of, period_of
from openteller.assistant.entities._lexer import Doc, Span, lex

Prefer = Literal["past", "future"]


@dataclass(frozen=True)
class DateRange:
    """Local dates, both inclusive, and the words that said them."""

    start: date
    end: date
    text: str
    span: Span
    in_future: bool = False  # starts after today: no history to show yet


@dataclass(frozen=True)
class ScheduledDate:
    """One local date for a payment or transfer, and the words that said it."""

    date: date
    text: str
    span: Span
    in_past: bool  # before today: cannot be scheduled
    rolled_over: bool = False  # no year said and this year's had passed: next year's


@dataclass(frozen=True)
class InvalidDate:
    """Words that name a date that cannot exist ("February 30")."""

    text: str
    span: Span
    reason: str


def local_today(now: datetime, tz: ZoneInfo) -> date:
    """Today's date in the bank's timezone. `now` must be timezone-aware."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(tz).date()


def extract_date_range(
    text: str, now: datetime, tz: ZoneInfo, *, week_start: int = 0
) -> DateRange | InvalidDate | None:
    """The first date or range in `text`, read as history; None when there is none."""
    doc = lex(text)
    return range_of(doc, find_dates(doc), now, tz, week_start=week_start)


def extract_date(
    text: str, now: datetime, tz: ZoneInfo, prefer: Prefer = "future"
) -> ScheduledDate | InvalidDate | None:
    """The first single date in `text` ("tomorrow", "next Friday", "on the 15th")."""
    doc = lex(text)
    return single_of(doc, find_dates(doc), now, tz, prefer)


def range_of(
    doc: Doc, found: tuple[Found, ...], now: datetime, tz: ZoneInfo, *, week_start: int = 0
) -> DateRange | InvalidDate | None:
    today = local_today(now, tz)
    if not found:
        fallback = _fallback(doc, now, tz, "past")
        if fallback is None:
            return None
        day, span = fallback
        return DateRange(day, day, doc.raw(*span), span, in_future=day > today)
    first = found[0]
    span = (first.start, first.end)
    period = period_of(first.expr, today, week_start, today, -1)
    if isinstance(period, Bad):
        return InvalidDate(doc.raw(*span), span, period.reason)
    start, end = period
    if start > today:
        return DateRange(start, end, doc.raw(*span), span, in_future=True)
    return DateRange(start, min(end, today), doc.raw(*span), span)


def single_of(
    doc: Doc, found: tuple[Found, ...], now: datetime, tz: ZoneInfo, prefer: Prefer = "future"
) -> ScheduledDate | InvalidDate | None:
    today = local_today(now, tz)
    direction = 1 if prefer == "future" else -1
    for hit in found:
        expr = hit.expr
        if isinstance(expr, Since) and not expr.after:
            expr = expr.anchor  # "starting on the 3rd": the 3rd
        if not isinstance(expr, SINGLE_DAY):
            continue
        span = (hit.start, hit.end)
        day = day_of(expr, today, today, direction)
        if isinstance(day, Bad):
            return InvalidDate(doc.raw(*span), span, day.reason)
        rolled = (
            isinstance(expr, MonthDayRef)
            and expr.month is not None
            and expr.year is None
            and day.year > today.year
        )
        return ScheduledDate(day, doc.raw(*span), span, in_past=day < today, rolled_over=rolled)
    fallback = _fallback(doc, now, tz, prefer) if not found else None
    if fallback is None:
        return None
    day, span = fallback
    return ScheduledDate(day, doc.raw(*span), span, in_past=day < today)


# ---------------------------------------------------------------------- dateparser fallback

_FALLBACK_CUES = ("ago", "fortnight", "hence", "from now", "later")


def _fallback(doc: Doc, now: datetime, tz: ZoneInfo, prefer: Prefer) -> tuple[date, Span] | None:
    """A compound relative phrase the grammar does not read, via dateparser."""
    if not any(cue in doc.norm for cue in _FALLBACK_CUES):
        return None
    from dateparser.search import search_dates  # type: ignore[import-untyped]

    base = now.astimezone(tz).replace(tzinfo=None)
    settings = {
        "PREFER_DATES_FROM": prefer,
        "RELATIVE_BASE": base,
        "PARSERS": ["relative-time"],
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        hits = search_dates(doc.norm, languages=["en"], settings=settings) or []
    except (ValueError, OverflowError, TypeError):  # dateparser's own failures: no date
        return None
    for phrase, when in hits:
        if any(cue in phrase for cue in _FALLBACK_CUES):
            start = doc.norm.find(phrase)
            if start >= 0 and isinstance(when, datetime):
                return when.date(), (start, start + len(phrase))
    return None


def warm_up() -> None:
    """Import dateparser and run it once, so the first customer does not wait for it."""
    extract_date("36 hours ago", datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")), ZoneInfo("UTC"))
