"""Period (statement) summaries: what came in, what went out, where, and what changed.

`period_summary` is a pure function over `Transaction` records, like the detectors: the
caller passes the period, the bank's timezone (a purchase at 23:30 local time belongs to
that local day) and the history. `summary_text` turns a summary into a few sentences:
by default a deterministic template; with a language model, through the prompt
`summarize_statement` v2, checked by the guardrails' output review (every figure must
trace to the summary) and replaced by the template on any failure.

What counts:
- money out is spending only: debits whose category (`categorize`) is not internal or
  income (`NOT_SPENDING`, which the assistant's spending summary uses too), so a
  transfer between the customer's own accounts or a card payment is not counted twice;
- money in is every credit except internal movements (transfers, card payments);
- uncategorized spending is `other`.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from openteller.core import ValidationFailed
from openteller.core.loans import add_months
from openteller.core.money import display_money
from openteller.guardrails.checked import checked_completion
from openteller.insights.merchants import categorize, merchant_key
from openteller.insights.records import Transaction

if TYPE_CHECKING:
    from openteller.guardrails import Guardrails
    from openteller.llm import LLMProvider, PromptRef

#: Categories that are not spending (the assistant's spending summary uses this set too).
NOT_SPENDING = frozenset({"transfer", "card_payment", "income"})
#: Movements between the customer's own accounts: neither money in nor money out.
INTERNAL = frozenset({"transfer", "card_payment"})
#: Spending that is not a "purchase" for the largest-purchases list (bills, fees, cash).
NOT_PURCHASES = frozenset({"housing", "utilities", "loan", "fees", "interest", "cash", "p2p"})
#: Spending that is not a "merchant" for the first-time-merchants list.
NOT_MERCHANTS = frozenset({"fees", "interest", "cash", "p2p", "loan"})  # not shops
OTHER = "other"
TOP_CATEGORIES = 3
LARGEST_PURCHASES = 3
NEW_MERCHANTS = 5
STATEMENT_PROMPT = "summarize_statement"
STATEMENT_PROMPT_VERSION = "2"

_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")
_ZERO = Decimal("0.00")

NotableKind = Literal["largest_purchase", "new_merchant", "fee", "interest"]


@dataclass(frozen=True)
class CategoryTotal:
    """Spending in one category this period and the previous one (amounts positive)."""

    category: str
    amount: Decimal
    previous: Decimal
    change: Decimal  # amount - previous
    change_pct: Decimal | None  # None when previous is 0
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "amount": str(self.amount),
            "previous": str(self.previous),
            "change": str(self.change),
            "change_pct": _opt(self.change_pct),
            "count": self.count,
        }


@dataclass(frozen=True)
class NotableItem:
    """A transaction worth a line: a large purchase, a first-time merchant, a fee."""

    kind: NotableKind
    transaction_id: int
    day: date  # in the bank's timezone
    merchant: str
    amount: Decimal  # what was charged, positive

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "transaction_id": self.transaction_id,
            "day": self.day.isoformat(),
            "merchant": self.merchant,
            "amount": str(self.amount),
        }


@dataclass(frozen=True)
class PeriodSummary:
    """One period's money in and out, by category, against the previous period."""

    start: date
    end: date
    previous_start: date
    previous_end: date
    label: str  # "October 2026" or "Oct 1, 2026 to Oct 14, 2026"
    previous_label: str
    currency: str
    money_in: Decimal
    money_out: Decimal
    previous_money_in: Decimal
    previous_money_out: Decimal
    change: Decimal  # money_out - previous_money_out
    change_pct: Decimal | None
    by_category: tuple[CategoryTotal, ...]  # largest first; previous-only ones last (0)
    notable: tuple[NotableItem, ...]
    fees_charged: Decimal
    interest_charged: Decimal
    transactions: int  # posted in the period, internal movements included
    purchases: int  # debits counted as spending
    deposits: int  # credits counted as money in
    previous_transactions: int

    @property
    def top_categories(self) -> tuple[CategoryTotal, ...]:
        return tuple(c for c in self.by_category if c.amount > 0)[:TOP_CATEGORIES]

    @property
    def biggest_change(self) -> CategoryTotal | None:
        """The category whose spending moved most (in money), when there is a previous
        period to compare with."""
        if self.previous_money_out == 0:
            return None
        moved = [c for c in self.by_category if c.change != 0]
        if not moved:
            return None
        return min(moved, key=lambda c: (-abs(c.change), c.category))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: amounts and percentages as strings, dates ISO."""
        biggest = self.biggest_change
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "previous_start": self.previous_start.isoformat(),
            "previous_end": self.previous_end.isoformat(),
            "label": self.label,
            "previous_label": self.previous_label,
            "currency": self.currency,
            "money_in": str(self.money_in),
            "money_out": str(self.money_out),
            "previous_money_in": str(self.previous_money_in),
            "previous_money_out": str(self.previous_money_out),
            "change": str(self.change),
            "change_pct": _opt(self.change_pct),
            "by_category": [c.to_dict() for c in self.by_category],
            "top_categories": [c.category for c in self.top_categories],
            "biggest_change": biggest.category if biggest is not None else None,
            "notable": [n.to_dict() for n in self.notable],
            "fees_charged": str(self.fees_charged),
            "interest_charged": str(self.interest_charged),
            "counts": {
                "transactions": self.transactions,
                "purchases": self.purchases,
                "deposits": self.deposits,
                "previous_transactions": self.previous_transactions,
            },
        }


EARLIEST = date(1900, 1, 1)  # before it (and after LATEST) the calendar math runs out
LATEST = date(9998, 12, 31)


def check_period(start: date, end: date) -> None:
    """`ValidationFailed` unless `start <= end`, both within EARLIEST..LATEST."""
    if end < start:
        raise ValidationFailed(
            "a period ends on or after its start", start=start.isoformat(), end=end.isoformat()
        )
    if start < EARLIEST or end > LATEST:
        raise ValidationFailed(
            f"dates must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}",
            start=start.isoformat(),
            end=end.isoformat(),
        )


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period before [start, end]: the same number of calendar months when the period
    is whole months (October -> September), else the same number of days just before."""
    if start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        first = add_months(start, -months)
        return first, start - timedelta(days=1)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def period_summary(
    txns: Sequence[Transaction],
    start: date,
    end: date,
    *,
    tz: ZoneInfo,
    previous: Sequence[Transaction] = (),
    previous_start: date | None = None,
    previous_end: date | None = None,
    currency: str = "USD",
) -> PeriodSummary:
    """Summarize [start, end] (inclusive, local dates in `tz`) against the previous period.

    `txns` and `previous` are pooled (by id and account: a transfer between two of the
    customer's accounts is one record per account) and filtered by date, so a caller may pass
    the whole history in `txns`. The previous period defaults to `previous_period`.
    First-time merchants are reported only when some history before `start` is known.
    """
    check_period(start, end)
    if (previous_start is None) != (previous_end is None):
        raise ValidationFailed("give both previous_start and previous_end, or neither")
    if previous_start is None or previous_end is None:
        previous_start, previous_end = previous_period(start, end)
    if previous_end < previous_start:
        raise ValidationFailed("the previous period ends before it starts")

    pool = {(t.id, t.account_id): t for t in (*previous, *txns)}
    dated = sorted(
        ((t.occurred_at.astimezone(tz).date(), t) for t in pool.values()),
        key=lambda dt: (dt[1].occurred_at, dt[1].id, dt[1].account_id),
    )
    now = [(d, t) for d, t in dated if start <= d <= end]
    before = [(d, t) for d, t in dated if previous_start <= d <= previous_end]
    history = [t for d, t in dated if d < start]

    cur = _totals(t for _, t in now)
    prev = _totals(t for _, t in before)
    categories = set(cur.by_category) | set(prev.by_category)
    by_category = sorted(
        (
            CategoryTotal(
                category=name,
                amount=_money(cur.by_category.get(name, _ZERO)),
                previous=_money(prev.by_category.get(name, _ZERO)),
                change=_money(cur.by_category.get(name, _ZERO) - prev.by_category.get(name, _ZERO)),
                change_pct=_pct(
                    cur.by_category.get(name, _ZERO), prev.by_category.get(name, _ZERO)
                ),
                count=cur.counts.get(name, 0),
            )
            for name in categories
        ),
        key=lambda c: (-c.amount, -c.previous, c.category),
    )
    money_out, previous_out = _money(cur.out), _money(prev.out)
    return PeriodSummary(
        start=start,
        end=end,
        previous_start=previous_start,
        previous_end=previous_end,
        label=period_label(start, end),
        previous_label=period_label(previous_start, previous_end),
        currency=currency,
        money_in=_money(cur.into),
        money_out=money_out,
        previous_money_in=_money(prev.into),
        previous_money_out=previous_out,
        change=_money(money_out - previous_out),
        change_pct=_pct(money_out, previous_out),
        by_category=tuple(by_category),
        notable=_notable(now, history),
        fees_charged=_money(cur.by_category.get("fees", _ZERO)),
        interest_charged=_money(cur.by_category.get("interest", _ZERO)),
        transactions=len(now),
        purchases=cur.purchases,
        deposits=cur.deposits,
        previous_transactions=len(before),
    )


def period_label(start: date, end: date) -> str:
    """ "October 2026" for a calendar month, else "Oct 1, 2026 to Oct 14, 2026"."""
    if (
        start.day == 1
        and (start.year, start.month) == (end.year, end.month)
        and end.day == calendar.monthrange(end.year, end.month)[1]
    ):
        return f"{start:%B} {start.year}"
    return f"{_day(start)}, {start.year} to {_day(end)}, {end.year}"


@dataclass
class _Totals:
    into: Decimal = _ZERO
    out: Decimal = _ZERO
    purchases: int = 0
    deposits: int = 0
    by_category: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _totals(txns: Iterable[Transaction]) -> _Totals:
    totals = _Totals()
    txns = list(txns)
    # A transfer seen on two of the customer's accounts (a loan payment: out of checking,
    # into the loan account) is money moved between them: its credit is not money in.
    own = {t.id for t in txns if t.amount < 0}
    for t in txns:
        category = categorize(t) or OTHER
        if t.amount > 0 and category not in INTERNAL and t.id not in own:
            totals.into += t.amount
            totals.deposits += 1
        elif t.amount < 0 and category not in NOT_SPENDING:
            totals.out += -t.amount
            totals.purchases += 1
            totals.by_category[category] += -t.amount
            totals.counts[category] += 1
    return totals


def _notable(
    now: list[tuple[date, Transaction]], history: list[Transaction]
) -> tuple[NotableItem, ...]:
    spending = [(d, t, categorize(t) or OTHER) for d, t in now if t.amount < 0]
    spending = [(d, t, c) for d, t, c in spending if c not in NOT_SPENDING]

    def item(kind: NotableKind, d: date, t: Transaction) -> NotableItem:
        return NotableItem(kind, t.id, d, _merchant(t), _money(-t.amount))

    largest = sorted(
        ((d, t) for d, t, c in spending if c not in NOT_PURCHASES),
        key=lambda dt: (dt[1].amount, dt[0], dt[1].id),
    )[:LARGEST_PURCHASES]
    items = [item("largest_purchase", d, t) for d, t in largest]
    if history:
        seen = {merchant_key(t) for t in history}
        first: dict[str, tuple[date, Transaction]] = {}
        for d, t, c in spending:
            key = merchant_key(t)
            if key and c not in NOT_MERCHANTS and key not in seen and key not in first:
                first[key] = (d, t)
        newest = sorted(first.values(), key=lambda dt: (dt[1].amount, dt[0], dt[1].id))
        items += [item("new_merchant", d, t) for d, t in newest[:NEW_MERCHANTS]]
    for d, t, c in spending:
        if c == "fees":
            items.append(item("fee", d, t))
        elif c == "interest":
            items.append(item("interest", d, t))
    return tuple(items)


# ---------------------------------------------------------------- text


@dataclass(frozen=True)
class SummaryText:
    """A summary in words and where they came from."""

    text: str
    prompt: PromptRef | None  # the prompt behind a model-written text
    source: Literal["template", "llm"]
    facts: list[str]  # every figure the text may state, as displayed
    fallback_reason: str | None = None  # why the template was used though a model was given

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "prompt": str(self.prompt) if self.prompt is not None else None,
            "source": self.source,
            "facts": list(self.facts),
            "fallback_reason": self.fallback_reason,
        }


def summary_text(
    summary: PeriodSummary,
    *,
    provider: LLMProvider | None = None,
    guard: Guardrails | None = None,
    session_id: str | None = None,
) -> SummaryText:
    """The summary in a few sentences: the template's, or a model's when a provider other
    than the extractive one is given and its answer passes the output review."""
    facts = summary_facts(summary)
    template = statement_template(summary)
    if provider is None or provider.name == "extractive":
        return SummaryText(template, None, "template", facts)
    values = {
        "month": summary.label,
        "previous_month": summary.previous_label,
        "currency": summary.currency,
        "total_spent": _fmt(summary.money_out, summary.currency),
        "money_in": _fmt(summary.money_in, summary.currency),
        "previous_total": _fmt(summary.previous_money_out, summary.currency),
        "change": _change_words(summary.change, summary.change_pct, summary.currency),
        "totals": [
            {"category": _name(c.category), "amount": _fmt(c.amount, summary.currency)}
            for c in summary.top_categories
        ],
        "notable": _notable_lines(summary),
    }
    checked = checked_completion(
        provider,
        guard,
        STATEMENT_PROMPT,
        STATEMENT_PROMPT_VERSION,
        values,
        facts=facts,
        grounds=(summary,),
        session_id=session_id,
    )
    if checked.text is None:
        return SummaryText(template, checked.prompt, "template", facts, checked.reason)
    wrong = misattributed(checked.text, summary)
    if wrong is not None:
        return SummaryText(template, checked.prompt, "template", facts, wrong)
    return SummaryText(checked.text, checked.prompt, "llm", facts)


_CLAUSES = re.compile(r"[,;.!?:]\s|\band\b|\n")
_AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+\.\d{2}|\d+\.\d{2}")


def misattributed(text: str, summary: PeriodSummary) -> str | None:
    """Why a figure sits beside the wrong category, or None. The output review checks
    that every figure exists, not what it is said to be: the bundled model wrote "spent
    $2,082.83 on housing" (the month's total). A clause that names one category may only
    state that category's amounts (this period, the previous one, the change)."""
    allowed = {
        _name(c.category): {c.amount, c.previous, abs(c.change)}
        for c in summary.by_category
        if c.category != OTHER  # "other" is an everyday word
    }
    for clause in _CLAUSES.split(text):
        named = [n for n in allowed if re.search(rf"\b{re.escape(n)}\b", clause, re.I)]
        if len(named) != 1:
            continue
        for figure in _AMOUNT.findall(clause):
            if Decimal(figure.replace(",", "")) not in allowed[named[0]]:
                return f"figure {figure} is not the {named[0]} amount"
    return None


def statement_template(summary: PeriodSummary) -> str:
    """The deterministic text: totals against the previous period, the top categories,
    the biggest change, the notable items."""
    cur = summary.currency
    parts: list[str] = []
    if summary.money_out == 0:
        parts.append(f"In {summary.label} you had no spending")
    else:
        parts.append(f"In {summary.label} you spent {_fmt(summary.money_out, cur)}")
    parts[-1] += f" and received {_fmt(summary.money_in, cur)}."
    if summary.previous_money_out == 0:
        parts.append(f"There is no spending in {summary.previous_label} to compare with.")
    elif summary.change == 0:
        parts.append(f"That is the same as in {summary.previous_label}.")
    else:
        parts.append(
            f"That is {_change_words(summary.change, summary.change_pct, cur)} from "
            f"{_fmt(summary.previous_money_out, cur)} in {summary.previous_label}."
        )
    top = summary.top_categories
    if top:
        listed = [f"{_name(c.category)} {_fmt(c.amount, cur)}" for c in top]
        joined = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
        parts.append(f"Top categories: {joined}.")
    biggest = summary.biggest_change
    if biggest is not None:
        if biggest.change_pct is None:
            parts.append(
                f"The biggest change was {_name(biggest.category)}: "
                f"{_fmt(biggest.amount, cur)}, with none in {summary.previous_label}."
            )
        else:
            parts.append(
                f"The biggest change was {_name(biggest.category)}, "
                f"{_change_words(biggest.change, biggest.change_pct, cur)} "
                f"to {_fmt(biggest.amount, cur)}."
            )
    parts.extend(_notable_lines(summary))
    return " ".join(parts)


def _notable_lines(summary: PeriodSummary) -> list[str]:
    cur = summary.currency
    lines: list[str] = []
    largest = [n for n in summary.notable if n.kind == "largest_purchase"]
    if largest:
        n = largest[0]
        lines.append(
            f"Your largest purchase was {_fmt(n.amount, cur)} at {n.merchant} on {_day(n.day)}."
        )
    new = [n for n in summary.notable if n.kind == "new_merchant"]
    if new:
        listed = ", ".join(f"{n.merchant} ({_fmt(n.amount, cur)})" for n in new)
        lines.append(f"First purchases at: {listed}.")
    fees = [n for n in summary.notable if n.kind == "fee"]
    if fees:
        listed = ", ".join(f"{n.merchant} on {_day(n.day)}" for n in fees)
        lines.append(f"Fees charged: {_fmt(summary.fees_charged, cur)} ({listed}).")
    if summary.interest_charged:
        lines.append(f"Interest charged: {_fmt(summary.interest_charged, cur)}.")
    return lines


def summary_facts(summary: PeriodSummary) -> list[str]:
    """Every figure of the summary as the texts display it (for grounding and audit)."""
    cur = summary.currency
    facts = [
        summary.label,
        summary.previous_label,
        _fmt(summary.money_out, cur),
        _fmt(summary.money_in, cur),
        _fmt(summary.previous_money_out, cur),
        _fmt(abs(summary.change), cur),
    ]
    if summary.change_pct is not None:
        facts.append(f"{abs(summary.change_pct)}%")
    for c in summary.by_category:
        facts += [_fmt(c.amount, cur), _fmt(c.previous, cur), _fmt(abs(c.change), cur)]
        if c.change_pct is not None:
            facts.append(f"{abs(c.change_pct)}%")
    for n in summary.notable:
        facts += [_fmt(n.amount, cur), _day(n.day)]
    if summary.fees_charged:
        facts.append(_fmt(summary.fees_charged, cur))
    if summary.interest_charged:
        facts.append(_fmt(summary.interest_charged, cur))
    return list(dict.fromkeys(facts))


# ---------------------------------------------------------------- helpers


def _fmt(amount: Decimal, currency: str) -> str:
    """`$1,234.50`, never a sign: the words around it say which way money went."""
    return display_money(abs(amount), currency)


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def _pct(now: Decimal, before: Decimal) -> Decimal | None:
    if before == 0:
        return None
    return ((now - before) / before * 100).quantize(_TENTH, rounding=ROUND_HALF_UP)


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _change_words(change: Decimal, pct: Decimal | None, currency: str) -> str:
    """ "up $120.00 (10.8%)", "down $5.00 (2.0%)", "up $40.00" when there is no percent."""
    if change == 0:
        return "unchanged"
    words = f"{'up' if change > 0 else 'down'} {_fmt(change, currency)}"
    return words + (f" ({abs(pct)}%)" if pct is not None else "")


def _day(d: date) -> str:
    return f"{d:%b} {d.day}"


def _name(category: str) -> str:
    return category.replace("_", " ")


def _merchant(t: Transaction) -> str:
    """The merchant as the customer knows it: the recorded name when it is clean
    ("Costco", "Disney+"), else the normalized name in title case ("SQ *BLUE BOTTLE #12"
    -> "Blue Bottle", "BEST BUY 00123" -> "Best Buy")."""
    key = merchant_key(t)
    raw = " ".join((t.merchant or "").split())
    if raw and raw.upper() == key:
        return raw
    return key.title() or " ".join(t.description.split())
