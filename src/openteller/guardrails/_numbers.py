"""Numbers in text: money, percentages, dates, times and bare numbers, with their spans.

The grounding rule checks each figure an answer states against the figures the turn may
quote; this module finds them. Identifiers are not figures: masked numbers ("****6239",
"ending in 6239"), references ("#12"), section signs ("§1026.24") and list markers are
skipped, and so are digits inside words ("SmolLM2", "24/7").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))


@dataclass(frozen=True)
class Figure:
    kind: str  # money | percent | date | time | number
    start: int
    end: int
    text: str
    value: Decimal | None = None
    day: date | None = None
    month_day: tuple[int, int] | None = None  # a date written without its year


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("skip", re.compile(r"\b\d{6}\*+\d{4}\b|\*{3}-\*{2}-\d{4}")),
    ("skip", re.compile(r"(?:\*{2,}|[xX]{2,}|•{2,})\d{2,4}\b")),
    (
        "skip",
        re.compile(
            r"\b(?:ending(?:\s+in)?|ends\s+in|last\s+(?:4|four)(?:\s+digits)?(?:\s+of)?|"
            r"x)\s*\d{4}\b",
            re.IGNORECASE,
        ),
    ),
    ("skip", re.compile(r"#\s?\d+|§+\s?\d+(?:\.\d+)*(?:\([a-z0-9]+\))*")),
    ("skip", re.compile(r"(?m)^\s*\d{1,2}[.)]\s")),
    (
        "money",
        re.compile(
            rf"-?(?:[$€£]|USD\s?|EUR\s?|GBP\s?)\s?(?:{_NUM})|(?:{_NUM})\s?(?:dollars|USD)\b",
            re.IGNORECASE,
        ),
    ),
    ("percent", re.compile(rf"(?:{_NUM})\s?(?:%|percent\b)", re.IGNORECASE)),
    ("date", re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b")),
    (
        "date",
        re.compile(
            rf"\b(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"
            rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH})\.?(?:,?\s+\d{{4}})?\b",
            re.IGNORECASE,
        ),
    ),
    (
        "time",
        re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)(?!\w)|\b\d{1,2}:\d{2}\b", re.I),
    ),
    ("number", re.compile(rf"(?<![\w.,/])(?:{_NUM})(?![\w/]|[.,]\d)")),
)


def _decimal(text: str) -> Decimal | None:
    digits = re.sub(r"[^\d.]", "", text)
    try:
        return Decimal(digits) if digits else None
    except InvalidOperation:
        return None


def _parse_date(text: str) -> tuple[date | None, tuple[int, int] | None]:
    t = text.lower().replace(",", " ").replace(".", " ")
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3])), None
        us = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2,4})", text)
        if us:
            century = 2000 if len(us[3]) == 2 else 0
            return date(int(us[3]) + century, int(us[1]), int(us[2])), None
        words = t.split()
        month = next((MONTHS[w] for w in words if w in MONTHS), None)
        nums = [int(re.sub(r"\D", "", w)) for w in words if re.search(r"\d", w)]
        if month is None or not nums:
            return None, None
        day = nums[0] if nums[0] <= 31 else (nums[1] if len(nums) > 1 else 0)
        year = next((n for n in nums if n > 31), None)
        if year is None:
            return None, (month, day)
        return date(year, month, day), None
    except ValueError:
        return None, None


def find_figures(text: str) -> list[Figure]:
    """The figures of `text` in order (identifiers excluded, see the module docstring)."""
    return list(_find(text))


@functools.lru_cache(maxsize=1024)
def _find(text: str) -> tuple[Figure, ...]:
    # Cached: passages and tool strings are scanned on every answer of a turn.
    taken: list[tuple[int, int]] = []
    figures: list[Figure] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(start < e and end > s for s, e in taken):
                continue
            taken.append((start, end))
            if kind == "skip":
                continue
            raw = m.group(0)
            if kind == "date":
                day, month_day = _parse_date(raw)
                figures.append(Figure(kind, start, end, raw, None, day, month_day))
            elif kind == "time":
                figures.append(Figure(kind, start, end, raw))
            else:
                figures.append(Figure(kind, start, end, raw, _decimal(raw)))
    return tuple(sorted(figures, key=lambda f: f.start))


def normalize_time(text: str) -> str:
    """'5:00 PM', '5 pm', '17:00' -> '17:00'."""
    t = text.lower().replace(".", "").replace(" ", "")
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(am|pm)?", t)
    if m is None:
        return t
    hour, minute = int(m[1]), int(m[2] or 0)
    if m[3] == "pm" and hour < 12:
        hour += 12
    if m[3] == "am" and hour == 12:
        hour = 0
    return f"{hour:02d}:{minute:02d}"
