"""Where an utterance speaks of a date, and what it says, before any clock is consulted.

`find_dates` returns expressions ("last 30 days" -> Rolling(30, "day")) with their token
and character spans; `dates.py` resolves them against the injected clock. Amount
extraction uses the spans too, so "June 15" and "the last 30 days" hold no amounts.
"""

from __future__ import annotations

import calendar

from openteller.assistant.entities._dateexpr import (
    Bad,
    Between,
    CalendarRef,
    Expr,
    Found,
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
from openteller.assistant.entities._lexer import Doc, Kind, Token
from openteller.assistant.entities._numwords import count_at, ordinal_word

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5,
    "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
# Words that are dates only next to a day, a year or a date word ("may I", "I sat").
_WEAK = frozenset({"may", "mar", "jan", "jun", "sat", "sun", "wed", "mon", "tue", "thu", "fri"})
_UNITS = {
    "day": ("day", 1), "days": ("day", 1), "week": ("week", 1), "weeks": ("week", 1),
    "wk": ("week", 1), "wks": ("week", 1), "fortnight": ("week", 2), "month": ("month", 1),
    "months": ("month", 1), "year": ("year", 1), "years": ("year", 1), "yr": ("year", 1),
    "yrs": ("year", 1),
}  # fmt: skip
_PERIODS = {
    "week": "week", "month": "month", "year": "year", "quarter": "quarter",
    "weekend": "weekend",
}  # fmt: skip
_MODS = {
    "this": "this", "current": "this", "last": "last", "previous": "last", "past": "past",
    "next": "next", "coming": "next", "following": "next",
}  # fmt: skip
_PREPS = frozenset({"on", "in", "during", "for", "over", "by", "of", "within", "throughout"})
# Words after which a weak month/weekday or a bare "15th" is read as a date.
_CONTEXT = _PREPS | {"since", "after", "before", "until", "till", "from", "between", "and", "to"}
_QUARTERS = frozenset({"1", "2", "3", "4"})
_RANGE_TO = frozenset({"to", "until", "till", "through", "thru", "-"})


def find_dates(doc: Doc) -> tuple[Found, ...]:
    """Every date expression in the utterance, left to right, none overlapping."""
    parser = _Parser(doc)
    out: list[Found] = []
    i = 0
    while i < len(doc.tokens):
        hit = parser.expr(i)
        if hit is None:
            i += 1
            continue
        expr, j = hit
        out.append(Found(expr, i, j, doc.tokens[i].start, doc.tokens[j - 1].end))
        i = j
    return tuple(out)


def date_tokens(found: tuple[Found, ...]) -> frozenset[int]:
    """Token indices inside any of the date expressions."""
    return frozenset(k for f in found for k in range(f.first, f.last))


def _month_day(month: int, day: int, year: int | None) -> Expr:
    limit = calendar.monthrange(year or 2024, month)[1]  # 2024: leap, so Feb 29 may exist
    if not 1 <= day <= limit:
        name = calendar.month_name[month]
        return Bad(f"{name}{f' {year}' if year else ''} has no day {day}")
    return MonthDayRef(month, day, year)


class _Parser:
    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.w = doc.word

    # ------------------------------------------------------------------ expressions

    def expr(self, i: int) -> tuple[Expr, int] | None:
        w = self.w(i)
        if w == "between" or w == "from":
            first = self.simple(i + 1)
            if first is None:
                return None
            rest = self._range_end(first, w)
            return rest if rest is not None else first
        if w in ("since", "after") or (w == "starting" and self.w(i + 1) in ("from", "on")):
            k = i + 2 if w == "starting" else i + 1
            anchor = self.simple(k)
            if anchor is None:
                return None
            return Since(anchor[0], after=w == "after"), anchor[1]
        if w == "in":
            ahead = self._count_unit(i + 1)
            if ahead is not None and self.w(ahead[2]) not in ("ago",):
                n, unit, j = ahead
                return _rel(unit, n), j
        if w in _PREPS:
            inner = self.simple(i + 1)
            if inner is not None:
                return self._range_end(inner, "") or inner
            return None
        found = self.simple(i)
        if found is None:
            return None
        return self._range_end(found, "") or found

    def _range_end(self, first: tuple[Expr, int], opener: str) -> tuple[Expr, int] | None:
        """The second half of "between X and Y", "from X to Y", "June 1 - 15"."""
        expr, j = first
        tok = self.doc.tokens[j].text if j < len(self.doc.tokens) else ""
        joiners = {"and", "&"} if opener == "between" else _RANGE_TO
        if tok not in joiners or isinstance(expr, Rolling | ToDate | Since | Between | Bad):
            return None
        if opener == "" and not isinstance(expr, MonthDayRef | MonthRef | WeekdayRef):
            return None
        last = self.simple(j + 1) or self._bare_day(j + 1)
        if last is None:
            return None
        return Between(expr, last[0]), last[1]

    def _bare_day(self, i: int) -> tuple[Expr, int] | None:
        """The end of "June 1 - 15": a day whose month comes from the start."""
        k = i + 1 if self.w(i) == "the" else i
        tok = self.doc.tokens[k] if k < len(self.doc.tokens) else None
        if tok is not None and tok.is_plain_int and k == i and len(tok.text) <= 2:
            day, j = int(tok.text), k + 1
        else:
            found = self._ordinal(k)
            if found is None:
                return None
            day, j = found
        return (MonthDayRef(None, day) if 1 <= day <= 31 else Bad(f"no day {day}")), j

    def simple(self, i: int) -> tuple[Expr, int] | None:
        if i >= len(self.doc.tokens):
            return None
        for rule in (
            self._named_day,
            self._to_date,
            self._modified,
            self._ago,
            self._month_first,
            self._day_first,
            self._numeric,
            self._weekday,
            self._month_alone,
            self._year,
            self._quarter,
            self._edge,
        ):
            hit = rule(i)
            if hit is not None:
                return hit
        return None

    # ------------------------------------------------------------------ rules

    def _named_day(self, i: int) -> tuple[Expr, int] | None:
        w = self.w(i)
        if w in ("today", "tonight"):
            return Rel(), i + 1
        if w == "yesterday":
            return Rel(days=-1), i + 1
        if w == "tomorrow":
            return Rel(days=1), i + 1
        k = i + 1 if w == "the" else i
        if self.w(k) == "day" and self.w(k + 1) in ("before", "after"):
            target = self.w(k + 2)
            if (self.w(k + 1), target) == ("before", "yesterday"):
                return Rel(days=-2), k + 3
            if (self.w(k + 1), target) == ("after", "tomorrow"):
                return Rel(days=2), k + 3
        if w == "the" and self.w(i + 1) == "weekend":
            return CalendarRef("weekend", None), i + 2
        return None

    def _to_date(self, i: int) -> tuple[Expr, int] | None:
        w = self.w(i)
        if w in ("ytd", "mtd"):
            return ToDate("year" if w == "ytd" else "month"), i + 1
        if w in ("year", "month", "week") and (self.w(i + 1), self.w(i + 2)) == ("to", "date"):
            return ToDate(w), i + 3
        so_far = (w, self.w(i + 1)) == ("so", "far") and self.w(i + 2) in ("this", "the")
        if so_far and self.w(i + 3) in ("week", "month", "year"):
            return ToDate(self.w(i + 3)), i + 4
        return None

    def _modified(self, i: int) -> tuple[Expr, int] | None:
        k = i + 1 if self.w(i) == "the" else i
        mod = _MODS.get(self.w(k))
        if mod is None:
            return None
        k += 1
        if mod == "this" and self.w(k) in ("past", "coming"):
            mod = "past" if self.w(k) == "past" else "next"
            k += 1
        counted = self._count_unit(k)
        if counted is not None and mod in ("last", "past"):
            n, (unit, mult), j = counted
            if self.w(j) != "ago":
                return Rolling(n * mult, unit), j
        period = _PERIODS.get(self.w(k))
        if period is not None:
            if mod == "past":
                if period == "weekend":
                    return CalendarRef("weekend", -1 if self.w(i) != "the" else None), k + 1
                return Rolling(1, period), k + 1
            return CalendarRef(period, {"this": 0, "last": -1, "next": 1}[mod]), k + 1
        if self.w(k) in WEEKDAYS:
            return WeekdayRef(WEEKDAYS[self.w(k)], "last" if mod == "past" else mod), k + 1
        if self.w(k) in MONTHS and self.w(i) != "the":
            return MonthRef(MONTHS[self.w(k)], None, "last" if mod == "past" else mod), k + 1
        return None

    def _count_unit(self, i: int) -> tuple[int, tuple[str, int], int] | None:
        counted = count_at(self.doc, i)
        if counted is None:
            return None
        n, j = counted
        unit = _UNITS.get(self.w(j))
        if unit is None:
            return None
        return n, unit, j + 1

    def _ago(self, i: int) -> tuple[Expr, int] | None:
        """ "3 days ago", "2 weeks and 3 days ago", "a month from now", "2 days later"."""
        parts: list[Rel] = []
        j = i
        while (counted := self._count_unit(j)) is not None:
            n, unit, j = counted
            parts.append(_rel(unit, n))
            if self.w(j) == "and" and self._count_unit(j + 1) is not None:
                j += 1
        if not parts:
            return None
        total = Rel(
            *(sum(getattr(p, f) for p in parts) for f in ("days", "weeks", "months", "years"))
        )
        if self.w(j) == "ago":
            return _scale(total, -1), j + 1
        if self.w(j) == "from" and self.w(j + 1) in ("now", "today"):
            return total, j + 2
        if self.w(j) in ("later", "hence"):
            return total, j + 1
        return None

    def _ordinal(self, i: int) -> tuple[int, int] | None:
        """A day as an ordinal at token i: "15th", "fifteenth", "twenty-first"."""
        tok = self.doc.tokens[i] if i < len(self.doc.tokens) else None
        if tok is not None and tok.kind is Kind.ORD and 1 <= int(tok.text[:-2]) <= 31:
            return int(tok.text[:-2]), i + 1
        return ordinal_word(self.doc, i)

    def _year_at(self, j: int) -> tuple[int | None, int]:
        k = j + 1 if j < len(self.doc.tokens) and self.doc.tokens[j].text == "," else j
        tok = self.doc.tokens[k] if k < len(self.doc.tokens) else None
        if tok is not None and _is_year(tok):
            return int(tok.text), k + 1
        return None, j

    def _month_word(self, i: int, *, followed: bool) -> int | None:
        w = self.w(i)
        if w not in MONTHS:
            return None
        if w in _WEAK and not followed and self.w(i - 1) not in _CONTEXT:
            return None
        return MONTHS[w]

    def _month_first(self, i: int) -> tuple[Expr, int] | None:
        """ "Nov 3", "November 3rd, 2025", "Nov. the 3rd"."""
        month = self._month_word(i, followed=True)
        if month is None:
            return None
        j = i + 2 if i + 1 < len(self.doc.tokens) and self.doc.tokens[i + 1].text == "." else i + 1
        tok = self.doc.tokens[j] if j < len(self.doc.tokens) else None
        if tok is not None and tok.is_plain_int and len(tok.text) <= 2:
            day, k = int(tok.text), j + 1
        else:
            found = self._ordinal(j + 1 if self.w(j) == "the" else j)
            if found is None:
                return None
            day, k = found
        year, k = self._year_at(k)
        return _month_day(month, day, year), k

    def _day_first(self, i: int) -> tuple[Expr, int] | None:
        """ "3rd of November", "3 March 2025", "the 15th", "the first of next month"."""
        k = i + 1 if self.w(i) == "the" else i
        tok = self.doc.tokens[k] if k < len(self.doc.tokens) else None
        plain = tok is not None and tok.is_plain_int and k == i and len(tok.text) <= 2
        found = (int(tok.text), k + 1) if tok is not None and plain else self._ordinal(k)
        if found is None:
            return None
        day, j = found
        m = j + 1 if self.w(j) == "of" else j
        month = self._month_word(m, followed=True)
        if month is not None:
            year, end = self._year_at(m + 1)
            return _month_day(month, day, year), end
        if plain:
            return None  # "3" alone is no date
        if self.w(j) == "of":
            rel = self.w(j + 1)
            m = j + 2 if rel in ("the", "this", "next", "last") else j + 1
            if self.w(m) == "month":
                offset = {"this": 0, "next": 1, "last": -1}.get(rel)  # "of the month": any
                return MonthDayRef(None, day, None, offset), m + 1
        # A bare "15th" is a date after a date word ("on the 15th", "by 15th"), or as
        # "the 15th" with no noun after it ("the first transaction" is no date).
        digits = tok is not None and tok.kind is Kind.ORD
        after_context = self.w(i - 1) in _CONTEXT
        if (after_context and (k > i or digits)) or (k > i and not self.w(j)):
            return MonthDayRef(None, day), j
        return None

    def _numeric(self, i: int) -> tuple[Expr, int] | None:
        tok = self.doc.tokens[i]
        if tok.kind is Kind.ISO:
            y, m, d = (int(p) for p in tok.text.replace("/", "-").split("-"))
        elif tok.kind is Kind.SLASH:
            parts = [int(p) for p in tok.text.split("/")]
            m, d = parts[0], parts[1]
            y = parts[2] if len(parts) == 3 else 0
            y = y + 2000 if 0 < y < 100 else y
        else:
            return None
        if not 1 <= m <= 12 or d < 1:
            return None  # "24/7" is not a date
        return _month_day(m, d, y or None), i + 1

    def _weekday(self, i: int) -> tuple[Expr, int] | None:
        w = self.w(i)
        if w not in WEEKDAYS or (w in _WEAK and self.w(i - 1) not in _CONTEXT):
            return None
        return WeekdayRef(WEEKDAYS[w]), i + 1

    def _month_alone(self, i: int) -> tuple[Expr, int] | None:
        month = self._month_word(i, followed=False)
        if month is None:
            return None
        year, j = self._year_at(i + 1)
        if year is None and self.w(i) in _WEAK and self.w(i - 1) not in _CONTEXT:
            return None
        return MonthRef(month, year), j

    def _year(self, i: int) -> tuple[Expr, int] | None:
        tok = self.doc.tokens[i]
        if self.w(i - 1) in _CONTEXT | {"year"} and _is_year(tok):
            return YearRef(int(tok.text)), i + 1
        return None

    def _quarter(self, i: int) -> tuple[Expr, int] | None:
        nxt = self.doc.tokens[i + 1] if i + 1 < len(self.doc.tokens) else None
        if (
            self.w(i) == "q"
            and nxt is not None
            and self.doc.attached(i + 1)
            and nxt.text in _QUARTERS
        ):
            year, j = self._year_at(i + 2)
            return QuarterRef(int(nxt.text), year), j
        return None

    def _edge(self, i: int) -> tuple[Expr, int] | None:
        k = i + 1 if self.w(i) == "the" else i
        if self.w(k) not in ("end", "start", "beginning") or self.w(k + 1) != "of":
            return None
        j = k + 2
        offset = {"next": 1, "last": -1, "this": 0, "the": 0}.get(self.w(j))
        j = j + 1 if offset is not None else j
        if self.w(j) != "month":
            return None
        return MonthEdge(offset or 0, end=self.w(k) == "end"), j + 1


def _is_year(tok: Token) -> bool:
    return tok.is_plain_int and len(tok.text) == 4 and 1900 <= int(tok.text) <= 2100


def _scale(rel: Rel, k: int) -> Rel:
    return Rel(rel.days * k, rel.weeks * k, rel.months * k, rel.years * k)


def _rel(unit: tuple[str, int], n: int) -> Rel:
    name, mult = unit
    return Rel(**{name + "s": n * mult})
