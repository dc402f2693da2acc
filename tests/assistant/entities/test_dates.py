"""Dates and ranges against a fixed clock: Sunday 2026-11-15, 07:00 in New York."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openteller.assistant.entities import (
    DateRange,
    InvalidDate,
    ScheduledDate,
    extract_date,
    extract_date_range,
    local_today,
)

from .conftest import NOW, TZ

TODAY = date(2026, 11, 15)


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


@pytest.mark.parametrize(
    ("text", "start", "end", "raw"),
    [
        ("today", d(11, 15), d(11, 15), "today"),
        ("yesterday", d(11, 14), d(11, 14), "yesterday"),
        ("the day before yesterday", d(11, 13), d(11, 13), "the day before yesterday"),
        ("this week", d(11, 9), d(11, 15), "this week"),
        ("last week", d(11, 2), d(11, 8), "last week"),
        ("previous week", d(11, 2), d(11, 8), "previous week"),
        ("this month", d(11, 1), d(11, 15), "this month"),
        ("what did I spend last month", d(10, 1), d(10, 31), "last month"),
        ("last month's spending", d(10, 1), d(10, 31), "last month's"),
        ("this year", d(1, 1), d(11, 15), "this year"),
        ("last year", d(1, 1, 2025), d(12, 31, 2025), "last year"),
        ("last 30 days", d(10, 17), d(11, 15), "last 30 days"),
        ("in the last 7 days", d(11, 9), d(11, 15), "in the last 7 days"),
        ("the past 2 weeks", d(11, 2), d(11, 15), "the past 2 weeks"),
        ("last three months", d(8, 16), d(11, 15), "last three months"),
        ("past week", d(11, 9), d(11, 15), "past week"),
        ("past month", d(10, 16), d(11, 15), "past month"),
        ("last couple of days", d(11, 14), d(11, 15), "last couple of days"),
        ("since March", d(3, 1), d(11, 15), "since March"),
        ("since last week", d(11, 2), d(11, 15), "since last week"),
        ("since yesterday", d(11, 14), d(11, 15), "since yesterday"),
        ("since Nov 3rd", d(11, 3), d(11, 15), "since Nov 3rd"),
        ("after June 3", d(6, 4), d(11, 15), "after June 3"),
        ("in March", d(3, 1), d(3, 31), "in March"),
        ("during December", d(12, 1, 2025), d(12, 31, 2025), "during December"),
        ("in November", d(11, 1), d(11, 15), "in November"),
        ("last November", d(11, 1, 2025), d(11, 30, 2025), "last November"),
        ("in may", d(5, 1), d(5, 31), "in may"),
        ("March 2025", d(3, 1, 2025), d(3, 31, 2025), "March 2025"),
        ("in 2025", d(1, 1, 2025), d(12, 31, 2025), "in 2025"),
        ("between June 1 and 15", d(6, 1), d(6, 15), "between June 1 and 15"),
        ("June 1-15", d(6, 1), d(6, 15), "June 1-15"),
        ("from June 1 to 15", d(6, 1), d(6, 15), "from June 1 to 15"),
        ("from Dec 20 to Jan 5", d(12, 20, 2025), d(1, 5), "from Dec 20 to Jan 5"),
        ("between Nov 10 and Nov 20", d(11, 10), d(11, 15), "between Nov 10 and Nov 20"),
        ("between March and May", d(3, 1), d(5, 31), "between March and May"),
        ("from the 1st to the 15th", d(11, 1), d(11, 15), "from the 1st to the 15th"),
        ("from last Monday to yesterday", d(11, 9), d(11, 14), "from last Monday to yesterday"),
        ("from yesterday to last monday", d(11, 9), d(11, 14), "from yesterday to last monday"),
        ("from monday to wednesday", d(11, 9), d(11, 11), "from monday to wednesday"),
        ("on March 3", d(3, 3), d(3, 3), "on March 3"),
        ("on Dec 3", d(12, 3, 2025), d(12, 3, 2025), "on Dec 3"),
        ("the 3rd of November", d(11, 3), d(11, 3), "the 3rd of November"),
        ("3 march 2025", d(3, 3, 2025), d(3, 3, 2025), "3 march 2025"),
        ("November 3rd, 2025", d(11, 3, 2025), d(11, 3, 2025), "November 3rd, 2025"),
        ("11/3", d(11, 3), d(11, 3), "11/3"),
        ("12/24", d(12, 24, 2025), d(12, 24, 2025), "12/24"),
        ("11/3/25", d(11, 3, 2025), d(11, 3, 2025), "11/3/25"),
        ("2026-03-04", d(3, 4), d(3, 4), "2026-03-04"),
        ("on the 15th", d(11, 15), d(11, 15), "on the 15th"),
        ("on the 20th", d(10, 20), d(10, 20), "on the 20th"),
        ("on the 31st", d(10, 31), d(10, 31), "on the 31st"),
        ("last Friday", d(11, 13), d(11, 13), "last Friday"),
        ("on Friday", d(11, 13), d(11, 13), "on Friday"),
        ("last Sunday", d(11, 8), d(11, 8), "last Sunday"),
        ("on Sunday", d(11, 15), d(11, 15), "on Sunday"),
        ("a week ago", d(11, 8), d(11, 8), "a week ago"),
        ("3 days ago", d(11, 12), d(11, 12), "3 days ago"),
        ("3 weeks and 2 days ago", d(10, 23), d(10, 23), "3 weeks and 2 days ago"),
        ("ytd", d(1, 1), d(11, 15), "ytd"),
        ("year to date", d(1, 1), d(11, 15), "year to date"),
        ("so far this month", d(11, 1), d(11, 15), "so far this month"),
        ("the weekend", d(11, 14), d(11, 15), "the weekend"),
        ("last weekend", d(11, 7), d(11, 8), "last weekend"),
        ("this past weekend", d(11, 7), d(11, 8), "this past weekend"),
        ("Q3", d(7, 1), d(9, 30), "Q3"),
        ("q1 2025", d(1, 1, 2025), d(3, 31, 2025), "q1 2025"),
        ("last quarter", d(7, 1), d(9, 30), "last quarter"),
        ("transactions from last week", d(11, 2), d(11, 8), "from last week"),
    ],
)
def test_ranges(text: str, start: date, end: date, raw: str) -> None:
    found = extract_date_range(text, NOW, TZ)
    assert isinstance(found, DateRange), found
    assert (found.start, found.end, found.text, found.in_future) == (start, end, raw, False)
    assert text[found.span[0] : found.span[1]] == raw


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("tomorrow", d(11, 16), d(11, 16)),
        ("next week", d(11, 16), d(11, 22)),
        ("next month", d(12, 1), d(12, 31)),
    ],
)
def test_ranges_in_the_future_are_flagged(text: str, start: date, end: date) -> None:
    found = extract_date_range(text, NOW, TZ)
    assert isinstance(found, DateRange)
    assert (found.start, found.end, found.in_future) == (start, end, True)


def test_weeks_can_start_on_sunday() -> None:
    found = extract_date_range("this week", NOW, TZ, week_start=6)
    assert isinstance(found, DateRange)
    assert (found.start, found.end) == (d(11, 15), d(11, 15))
    found = extract_date_range("last week", NOW, TZ, week_start=6)
    assert isinstance(found, DateRange)
    assert (found.start, found.end) == (d(11, 8), d(11, 14))


@pytest.mark.parametrize(
    "text",
    [
        "what's my balance",
        "may I see my card",
        "I sat down",
        "24/7 support",
        "13/5",
        "pay 50 for 3 months",
        "my 2nd card",
        "the first transaction",
        "$20",
        "my card ending 4821",
        "",
    ],
)
def test_no_dates(text: str) -> None:
    assert extract_date_range(text, NOW, TZ) is None
    assert extract_date(text, NOW, TZ) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Feb 30", "February has no day 30"),
        ("2/30", "February has no day 30"),
        ("February 29, 2025", "February 2025 has no day 29"),
        ("on the 31st of this month", "November 2026 has no day 31"),
    ],
)
def test_invalid_dates(text: str, reason: str) -> None:
    for found in (extract_date(text, NOW, TZ), extract_date_range(text, NOW, TZ)):
        assert isinstance(found, InvalidDate), found
        assert found.reason == reason
        assert text[found.span[0] : found.span[1]] == found.text


@pytest.mark.parametrize(
    ("text", "day", "in_past", "rolled_over"),
    [
        ("tomorrow", d(11, 16), False, False),
        ("today", d(11, 15), False, False),
        ("the day after tomorrow", d(11, 17), False, False),
        ("next Friday", d(11, 20), False, False),
        ("friday", d(11, 20), False, False),
        ("this friday", d(11, 20), False, False),
        ("on Sunday", d(11, 15), False, False),
        ("next Sunday", d(11, 22), False, False),
        ("on the 15th", d(11, 15), False, False),
        ("on the 3rd", d(12, 3), False, False),
        ("by the 30th", d(11, 30), False, False),
        ("the first of next month", d(12, 1), False, False),
        ("on the 31st of next month", d(12, 31), False, False),
        ("end of the month", d(11, 30), False, False),
        ("start of next month", d(12, 1), False, False),
        ("in 3 days", d(11, 18), False, False),
        ("in two weeks", d(11, 29), False, False),
        ("2 weeks from now", d(11, 29), False, False),
        ("a month from now", d(12, 15), False, False),
        ("pay 50 on 12/1", d(12, 1), False, False),
        ("Dec 24", d(12, 24), False, False),
        ("Jan 5", d(1, 5, 2027), False, True),
        ("Nov 3", d(11, 3, 2027), False, True),
        ("yesterday", d(11, 14), True, False),
        ("last Friday", d(11, 13), True, False),
        ("March 3 2025", d(3, 3, 2025), True, False),
        ("2026-11-01", d(11, 1), True, False),
        ("11/3/2026", d(11, 3), True, False),
    ],
)
def test_scheduling(text: str, day: date, in_past: bool, rolled_over: bool) -> None:
    found = extract_date(text, NOW, TZ)
    assert isinstance(found, ScheduledDate), found
    assert (found.date, found.in_past, found.rolled_over) == (day, in_past, rolled_over)


def test_scheduling_prefers_the_past_when_asked() -> None:
    found = extract_date("on the 3rd", NOW, TZ, prefer="past")
    assert isinstance(found, ScheduledDate)
    assert (found.date, found.in_past) == (d(11, 3), True)


def test_periods_are_not_scheduled_dates() -> None:
    assert extract_date("next month", NOW, TZ) is None
    assert extract_date("last 30 days", NOW, TZ) is None


def test_first_single_date_after_a_period() -> None:
    found = extract_date("pay every month, starting on the 3rd", NOW, TZ)
    assert isinstance(found, ScheduledDate)
    assert found.date == d(12, 3)


def test_dateparser_fallback_for_phrases_the_grammar_does_not_read() -> None:
    # 07:00 New York minus 36 hours is Friday evening.
    found = extract_date_range("what did I buy 36 hours ago", NOW, TZ)
    assert isinstance(found, DateRange)
    assert (found.start, found.text) == (d(11, 13), "36 hours ago")


def test_today_is_the_banks_local_date() -> None:
    # 03:00 UTC on the 16th is still the 15th in New York.
    late = datetime(2026, 11, 16, 3, 0, tzinfo=UTC)
    assert local_today(late, TZ) == TODAY
    found = extract_date_range("today", late, TZ)
    assert isinstance(found, DateRange)
    assert found.start == TODAY
    assert local_today(late, ZoneInfo("Asia/Tokyo")) == d(11, 16)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        extract_date_range("today", datetime(2026, 11, 15, 12, 0), TZ)


@given(st.integers(min_value=-1000, max_value=1000))
def test_explicit_dates_resolve_exactly(offset: int) -> None:
    day = TODAY + timedelta(days=offset)
    for text in (
        f"on {day:%B} {day.day}, {day.year}",
        f"{day.month}/{day.day}/{day.year}",
        day.isoformat(),
        f"the {day.day}{_suffix(day.day)} of {day:%b} {day.year}",
    ):
        found = extract_date(text, NOW, TZ)
        assert isinstance(found, ScheduledDate), text
        assert (found.date, found.in_past) == (day, day < TODAY)
        period = extract_date_range(text, NOW, TZ)
        assert isinstance(period, DateRange)
        assert period.start == day


@given(st.integers(min_value=1, max_value=400), st.sampled_from(["day", "week"]))
def test_rolling_windows_have_the_length_said(n: int, unit: str) -> None:
    found = extract_date_range(f"last {n} {unit}s", NOW, TZ)
    assert isinstance(found, DateRange)
    assert found.end == TODAY
    assert (found.end - found.start).days + 1 == n * (7 if unit == "week" else 1)


@given(st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=800))
def test_year_less_dates_are_never_after_today_in_history(month: int, back: int) -> None:
    now = NOW - timedelta(days=back)
    found = extract_date_range(f"in {_month_name(month)}", now, TZ)
    assert isinstance(found, DateRange)
    today = local_today(now, TZ)
    assert found.start <= today
    assert today - found.start < timedelta(days=366)


def _suffix(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _month_name(month: int) -> str:
    return date(2000, month, 1).strftime("%B")
