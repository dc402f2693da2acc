"""The signed-in customer's money, explained: a period summary and recurring charges.

| route                          | who                            |
|--------------------------------|--------------------------------|
| GET /v1/insights/summary       | customer, `transactions:read`  |
| GET /v1/insights/recurring     | customer, `transactions:read`  |
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from openteller.api.deps import ClockDep, CurrentCustomer, EngineDep, SettingsDep
from openteller.api.schemas import Currency, Id, Money, Out, errors
from openteller.core import ValidationFailed
from openteller.insights.recurring import monthly_cost
from openteller.insights.service import InsightsService

router = APIRouter(prefix="/v1/insights", tags=["insights"])

MAX_DAYS = 366  # a summary covers at most a year


def _service(engine: EngineDep, clock: ClockDep, settings: SettingsDep) -> InsightsService:
    return InsightsService(engine, clock, settings)


Insights = Annotated[InsightsService, Depends(_service)]


class CategoryOut(Out):
    category: str
    amount: Money
    previous: Money
    change: str = Field(description="Signed decimal string: this period minus the previous.")
    change_pct: str | None = Field(description="Percent, one decimal; null when previous is 0.")
    count: int


class NotableOut(Out):
    kind: Literal["largest_purchase", "new_merchant", "fee", "interest"]
    transaction_id: Id
    day: str = Field(examples=["2026-10-07"])
    merchant: str
    amount: Money


class SummaryOut(Out):
    start: str
    end: str
    previous_start: str
    previous_end: str
    label: str = Field(examples=["October 2026"])
    currency: Currency
    money_in: Money
    money_out: Money = Field(description="Spending: transfers between own accounts excluded.")
    previous_money_in: Money
    previous_money_out: Money
    change: str
    change_pct: str | None
    categories: list[CategoryOut]
    notable: list[NotableOut]
    fees_charged: Money
    interest_charged: Money
    transactions: int
    text: str = Field(description="The summary in words (every figure from the data).")
    text_source: Literal["template", "llm"]


class SeriesOut(Out):
    merchant: str = Field(description="The payee's normalized name.", examples=["NETFLIX"])
    account_id: Id
    period: Literal["weekly", "biweekly", "monthly", "quarterly", "yearly"]
    amount: Money = Field(description="The typical charge, since its last price change.")
    monthly_cost: Money = Field(description="What it costs per month on average.")
    fixed_amount: bool
    last_date: str
    next_expected: str
    price_change: dict[str, str] | None = Field(
        description="`old`, `new` and `since` when the amount changed.",
        examples=[{"old": "15.49", "new": "17.99", "since": "2026-11-08"}],
    )


class RecurringOut(Out):
    currency: Currency
    series: list[SeriesOut]
    monthly_total: Money


@router.get(
    "/summary",
    summary="A period summary",
    response_model=SummaryOut,
    responses=errors(401, 403, 422, 429),
)
def get_summary(
    principal: CurrentCustomer,
    insights: Insights,
    clock: ClockDep,
    start: Annotated[date | None, Query(description="First day (default: last month's).")] = None,
    end: Annotated[date | None, Query(description="Last day (default: last month's).")] = None,
) -> dict[str, Any]:
    """Money in and out over the period against the one before it, by category, with
    the notable items and the summary in words. Default: the last full month. Scope
    `transactions:read`."""
    principal.require("transactions:read")
    if (start is None) != (end is None):
        raise ValidationFailed("give both start and end, or neither")
    if start is None or end is None:
        first = clock.now().astimezone(insights.tz).date().replace(day=1)
        end = first - timedelta(days=1)
        start = end.replace(day=1)
    if start > end:
        raise ValidationFailed(
            "the start date is after the end date", start=start.isoformat(), end=end.isoformat()
        )
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed(f"a summary covers at most {MAX_DAYS} days")
    summary = insights.summary(principal.id, start, end)
    words = insights.describe(summary)
    data = summary.to_dict()
    return {
        "start": data["start"],
        "end": data["end"],
        "previous_start": data["previous_start"],
        "previous_end": data["previous_end"],
        "label": summary.label,
        "currency": summary.currency,
        "money_in": str(summary.money_in),
        "money_out": str(summary.money_out),
        "previous_money_in": str(summary.previous_money_in),
        "previous_money_out": str(summary.previous_money_out),
        "change": str(summary.change),
        "change_pct": None if summary.change_pct is None else str(summary.change_pct),
        "categories": [c.to_dict() for c in summary.by_category],
        "notable": [
            {**n.to_dict(), "transaction_id": str(n.transaction_id)} for n in summary.notable
        ],
        "fees_charged": str(summary.fees_charged),
        "interest_charged": str(summary.interest_charged),
        "transactions": summary.transactions,
        "text": words.text,
        "text_source": words.source,
    }


@router.get(
    "/recurring",
    summary="Recurring charges",
    response_model=RecurringOut,
    responses=errors(401, 403, 429),
)
def get_recurring(principal: CurrentCustomer, insights: Insights) -> dict[str, Any]:
    """The regular payments going out of the customer's accounts (subscriptions, bills,
    rent, loan payments) that are still running, most expensive first, with their next
    date and price changes. Scope `transactions:read`."""
    principal.require("transactions:read")
    charges = insights.recurring_charges(principal.id)
    return {
        "currency": insights.currency,
        "series": [
            {
                "merchant": s.merchant,
                "account_id": str(s.account_id),
                "period": s.period.value,
                "amount": str(-s.typical_amount),
                "monthly_cost": str(monthly_cost(s)),
                "fixed_amount": s.fixed_amount,
                "last_date": s.last_date.isoformat(),
                "next_expected": s.next_expected.isoformat(),
                "price_change": None
                if s.price_change is None
                else {
                    "old": str(abs(s.price_change.old)),
                    "new": str(abs(s.price_change.new)),
                    "since": s.price_change.first_charged.isoformat(),
                },
            }
            for s in charges.series
        ],
        "monthly_total": str(charges.monthly_total),
    }
