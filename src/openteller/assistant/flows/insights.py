"""Flows that explain the customer's own money: recurring charges and subscriptions,
unusual activity (duplicate charges, purchases out of the ordinary), period summaries.

Every figure comes from the insights service (`TurnContext.insights`), called through
`ctx.call` so the grounding rail sees the findings, and is listed in `Reply.facts`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from openteller.assistant import understand as u
from openteller.assistant.context import Reply, TurnContext, day, money
from openteller.assistant.flows.base import Flow, FlowState, register
from openteller.insights import (
    DuplicateCharge,
    Findings,
    Period,
    RecurringSeries,
    UnusualTransaction,
    normalize_merchant,
)
from openteller.insights.alerts import REASON_WORDS
from openteller.insights.recurring import monthly_cost

if TYPE_CHECKING:
    from openteller.insights.service import AlertView, InsightsService

UNUSUAL_DAYS = 90  # how far back "anything unusual?" looks
UNAVAILABLE = "I can't review your {what} in the chat yet; a member of our team can."


def _service(ctx: TurnContext) -> InsightsService | None:
    service: InsightsService | None = ctx.insights
    return service


def _findings(ctx: TurnContext, service: InsightsService) -> Findings:
    return ctx.call("insights_findings", lambda: service.findings(ctx.customer_id))


def _unavailable(what: str) -> Reply:
    return Reply(UNAVAILABLE.format(what=what), "insights_unavailable", ["Talk to a person"])


def _names(ctx: TurnContext, service: InsightsService, ids: list[int]) -> dict[int, str]:
    """The merchants of the transactions a reply names, as the customer's statement shows
    them ("Netflix", not the detectors' key "NETFLIX")."""
    return ctx.call("insights_names", lambda: service.names(ctx.customer_id, ids))


def _series_line(series: RecurringSeries, name: str, *, with_change: bool = True) -> str:
    line = f"{name}: {money(abs(series.typical_amount))} {series.period.value}"
    if series.period is not Period.MONTHLY:
        line += f" (about {money(monthly_cost(series))} a month)"
    if not series.fixed_amount:
        line += " on average"
    line += f", next on {day(series.next_expected)}"
    change = series.price_change
    if with_change and change is not None and change.is_increase:
        line += (
            f" (up from {money(abs(change.old))} to {money(abs(change.new))} since "
            f"{day(change.first_charged)})"
        )
    return line


def _series_facts(series: RecurringSeries) -> list[object]:
    facts: list[object] = [
        abs(series.typical_amount),
        monthly_cost(series),
        series.next_expected,
    ]
    if series.price_change is not None:
        change = series.price_change
        facts += [abs(change.old), abs(change.new), change.first_charged]
    return facts


@register
class RecurringCharges(Flow):
    """Active outgoing recurring series (subscriptions, bills, rent, loan payments), with
    their monthly-equivalent total and price rises called out; about one merchant when
    the customer names it ("did netflix raise their price")."""

    name = "recurring_charges"
    title = "recurring charges"
    slots = ("merchant",)
    optional = frozenset(slots)

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        merchant = u.find_merchant(text)
        if merchant:
            state.slots["merchant"] = merchant
            return ["merchant"]
        return []

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        service = _service(ctx)
        if service is None:
            return _unavailable("recurring charges")
        charges = ctx.call("insights_recurring", lambda: service.recurring_charges(ctx.customer_id))
        active = charges.series
        if not active:
            return Reply(
                "I don't see any regular payments going out of your accounts at the moment.",
                "recurring_none",
                suggestions=["Show my spending this month"],
            )
        names = _names(ctx, service, [s.transaction_ids[-1] for s in active])

        def name(series: RecurringSeries) -> str:
            return names.get(series.transaction_ids[-1]) or series.merchant.title()

        asked = state.slots.get("merchant")
        if asked:
            return _about_one(str(asked), active, name)
        total = charges.monthly_total
        rises = [s for s in active if s.price_increase]
        lines = [_series_line(s, name(s)) for s in active]
        text = (
            f"You have {len(active)} regular payment{'s' if len(active) != 1 else ''} "
            f"going out, about {money(total)} a month in all:\n"
            + "\n".join(f"• {line}" for line in lines)
        )
        if rises:
            which = ", ".join(name(s) for s in rises)
            text += f"\nPrice went up: {which}."
        return Reply(
            text,
            "recurring_charges",
            suggestions=["Anything unusual on my accounts?", "Show my spending this month"],
            facts=[len(active), total, *(f for s in active for f in _series_facts(s))],
        )


def _about_one(
    asked: str, active: list[RecurringSeries], name: Callable[[RecurringSeries], str]
) -> Reply:
    """The answer about one merchant's recurring charge."""
    key = normalize_merchant(asked)
    series = next((s for s in active if s.merchant == key or key in s.merchant), None)
    if series is None:
        return Reply(
            f"I don't see a regular payment to {asked} on your accounts.",
            "recurring_not_found",
            suggestions=["What subscriptions do I have?"],
        )
    label = name(series)
    change = series.price_change
    if change is not None and change.is_increase:
        head = (
            f"Yes: {label} went up from {money(abs(change.old))} to {money(abs(change.new))}, "
            f"first charged on {day(change.first_charged)}."
        )
    else:
        head = f"No price rise from {label} that I can see."
    return Reply(
        f"{head} {_series_line(series, label, with_change=False)}.",
        "recurring_one",
        facts=_series_facts(series),
    )


def _local(ctx: TurnContext, when: datetime) -> date:
    return when.astimezone(ctx.tz).date()


def _duplicate_line(ctx: TurnContext, dup: DuplicateCharge, names: dict[int, str]) -> str:
    merchant = names.get(dup.duplicate_id) or dup.merchant.title()
    return (
        f"Possible duplicate: {merchant} charged {money(abs(dup.amount))} twice on "
        f"{day(_local(ctx, dup.duplicate_at))}"
    )


def _unusual_line(ctx: TurnContext, found: UnusualTransaction, names: dict[int, str]) -> str:
    merchant = names.get(found.transaction_id) or found.merchant.title()
    line = (
        f"Unusual purchase: {money(abs(found.amount))} at {merchant} on "
        f"{day(_local(ctx, found.occurred_at))}"
    )
    reasons = [REASON_WORDS.get(r, r.replace("_", " ")) for r in found.reasons]
    return line + (f" ({', '.join(reasons)})" if reasons else "")


@register
class UnusualActivity(Flow):
    """Duplicate charges and unusual purchases of the last `UNUSUAL_DAYS` days, with an
    offer to dispute a charge or block the card; or "nothing unusual", with the period
    checked."""

    name = "unusual_activity"
    title = "activity check"

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        service = _service(ctx)
        if service is None:
            return _unavailable("account activity")
        start = ctx.today - timedelta(days=UNUSUAL_DAYS)
        findings = _findings(ctx, service)
        duplicates = [d for d in findings.duplicates if _local(ctx, d.duplicate_at) >= start]
        unusual = [x for x in findings.unusual if _local(ctx, x.occurred_at) >= start]
        period = f"from {day(start)} to {day(ctx.today)}"
        if not duplicates and not unusual:
            return Reply(
                f"I checked your transactions {period} and found nothing unusual: no "
                "duplicate charges and no purchases out of the ordinary.",
                "unusual_none",
                suggestions=["Show my recent transactions"],
                facts=[start, ctx.today, UNUSUAL_DAYS],
            )
        names = _names(
            ctx,
            service,
            [d.duplicate_id for d in duplicates] + [x.transaction_id for x in unusual],
        )
        items = sorted(
            [(_local(ctx, d.duplicate_at), _duplicate_line(ctx, d, names)) for d in duplicates]
            + [(_local(ctx, x.occurred_at), _unusual_line(ctx, x, names)) for x in unusual],
            key=lambda pair: pair[0],
            reverse=True,
        )
        count = len(items)
        return Reply(
            f"I found {count} thing{'s' if count != 1 else ''} worth a look {period}:\n"
            + "\n".join(f"• {line}" for _, line in items)
            + "\nIf you don't recognise a charge, I can help you dispute it or block your card.",
            "unusual_found",
            suggestions=["Dispute a charge", "Block my card"],
            facts=[
                count,
                start,
                ctx.today,
                *(abs(d.amount) for d in duplicates),
                *(abs(x.amount) for x in unusual),
            ],
        )


ALERTS_SHOWN = 3  # alerts named in the line at session start; the rest are counted
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


def new_alerts(ctx: TurnContext) -> tuple[str, list[object], list[int]] | None:
    """The line that tells a customer, at the start of a session, about the alerts they
    have not seen ("You have 2 new alerts: possible duplicate charge at COSTCO ($54.20);
    ..."), the figures it states, and the ids of the alerts it names. None when there
    are none (or no insights service)."""
    service = _service(ctx)
    if service is None:
        return None
    found = ctx.call("insights_alerts", lambda: service.alerts(ctx.customer_id, status="new"))
    if not found:
        return None
    # The most serious first (a possible fraud before a bill reminder), newest first within.
    ranked = sorted(found, key=lambda a: SEVERITY_RANK.get(a.severity, len(SEVERITY_RANK)))
    shown = ranked[:ALERTS_SHOWN]
    parts = [_alert_part(a) for a in shown]
    more = len(found) - len(shown)
    text = (
        f"You have {len(found)} new alert{'s' if len(found) != 1 else ''}: "
        + "; ".join(parts)
        + (f"; and {more} more" if more > 0 else "")
        + "."
    )
    facts: list[object] = [len(found), more, *(a.amount for a in shown if a.amount is not None)]
    return text, facts, [a.id for a in shown]


def _alert_part(alert: AlertView) -> str:
    part = alert.title[:1].lower() + alert.title[1:]
    merchant = alert.facts.get("merchant")
    if merchant:
        part += f" at {merchant}"
    if alert.amount is not None:
        part += f" ({money(alert.amount, alert.currency)})"
    return part


SUMMARY_WORDS = re.compile(
    r"\b(summar(?:y|ies|ise|ize|ised|ized)|recap|overview|round-?up|wrap-?up|statement)\b", re.I
)
SPENDING_WORDS = re.compile(r"\b(spen[dt]|spending|expenses?|categor(?:y|ies))\b", re.I)


def asks_for_summary(text: str) -> bool:
    """ "Summarize my October", "a recap of last month": the whole period (money in and out,
    changes, notable items), not only the spending breakdown ("summary of my spending")."""
    return bool(SUMMARY_WORDS.search(text)) and not SPENDING_WORDS.search(text)


def period_summary_reply(ctx: TurnContext, start: date, end: date) -> Reply | None:
    """The period's summary in words (the statement template), every figure from the
    summary; None without the insights service (the caller answers with spending)."""
    service = _service(ctx)
    if service is None:
        return None
    summary = ctx.call("period_summary", lambda: service.summary(ctx.customer_id, start, end))
    written = service.describe(summary, ctx.session_id)
    return Reply(
        written.text,
        "period_summary",
        suggestions=["Show my spending by category", "What subscriptions do I have?"],
        prompt=str(written.prompt) if written.prompt is not None else None,
        facts=[summary, *written.facts],
    )
