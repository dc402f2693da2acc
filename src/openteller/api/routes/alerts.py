"""The signed-in customer's alerts: duplicate charges, unusual purchases, price rises,
low-balance forecasts, bills due.

| route                                  | who                          |
|----------------------------------------|------------------------------|
| GET  /v1/alerts                        | customer, `accounts:read`    |
| POST /v1/alerts/{alert_id}/dismiss     | customer, `accounts:read`    |

Dismissing is the customer tidying their own feed, not a change to their money, so it
needs no write scope. Another customer's alert is a 404, like a missing one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from openteller.api.deps import ClockDep, CurrentCustomer, EngineDep, SettingsDep
from openteller.api.schemas import Currency, Id, IdPath, Money, Out, Timestamp, errors
from openteller.insights.service import AlertView, InsightsService

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])


def _service(engine: EngineDep, clock: ClockDep, settings: SettingsDep) -> InsightsService:
    return InsightsService(engine, clock, settings)


Insights = Annotated[InsightsService, Depends(_service)]


class AlertOut(Out):
    id: Id
    account_id: Id | None
    transaction_id: Id | None = Field(description="The transaction the alert is about.")
    kind: Literal[
        "duplicate_charge", "unusual_transaction", "price_increase", "low_balance", "bill_due"
    ]
    severity: Literal["high", "medium", "low"]
    title: str = Field(examples=["Possible duplicate charge"])
    message: str = Field(
        examples=["Costco charged you $54.20 twice: on Oct 3, 2026 at 10:15 AM and 10:47 AM."]
    )
    amount: Money | None
    currency: Currency
    status: Literal["new", "seen", "dismissed"]
    created_at: Timestamp
    expires_at: Timestamp | None = Field(
        description="A forecast or a reminder stops showing after this time."
    )


class AlertList(Out):
    alerts: list[AlertOut]


def _out(a: AlertView) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "account_id": None if a.account_id is None else str(a.account_id),
        "transaction_id": None if a.transaction_id is None else str(a.transaction_id),
        "kind": a.kind,
        "severity": a.severity,
        "title": a.title,
        "message": a.message,
        "amount": None if a.amount is None else str(a.amount),
        "currency": a.currency,
        "status": a.status,
        "created_at": a.created_at.isoformat(),
        "expires_at": None if a.expires_at is None else a.expires_at.isoformat(),
    }


@router.get(
    "",
    summary="List alerts",
    response_model=AlertList,
    responses=errors(401, 403, 422, 429),
)
def list_alerts(
    principal: CurrentCustomer,
    insights: Insights,
    status: Annotated[
        Literal["new", "seen", "dismissed", "active"] | None,
        Query(description="`active` is new and seen (not dismissed); default: all."),
    ] = None,
) -> dict[str, Any]:
    """The customer's alerts, newest first; expired forecasts and reminders are left out.
    Scope `accounts:read`."""
    principal.require("accounts:read")
    return {"alerts": [_out(a) for a in insights.alerts(principal.id, status=status)]}


@router.post(
    "/{alert_id}/dismiss",
    summary="Dismiss an alert",
    response_model=AlertOut,
    responses=errors(401, 403, 404, 422, 429),
)
def dismiss(alert_id: IdPath, principal: CurrentCustomer, insights: Insights) -> dict[str, Any]:
    """Mark the alert dealt with; it stays listed as `dismissed`. Dismissing twice is
    the same as once. Scope `accounts:read`."""
    principal.require("accounts:read")
    return _out(insights.dismiss(principal.id, alert_id))
