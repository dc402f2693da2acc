"""Loan applications and their credit decisions; the staff review queue (GDPR Art. 22).

| route                                                | who                        |
|------------------------------------------------------|----------------------------|
| POST /v1/loan-applications                           | customer, `loans:write`    |
| GET  /v1/loan-applications/{id}                      | customer, `accounts:read`  |
| GET  /v1/staff/loan-applications                     | staff, compliance          |
| GET  /v1/staff/loan-applications/{id}                | staff, compliance          |
| POST /v1/staff/loan-applications/{id}/review         | staff, compliance          |

An optional `Idempotency-Key` header makes a retried POST answer the first decision
(200 with `Idempotency-Replayed: true`); the same key with another body is a 409.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from openteller.api.deps import ClockDep, CurrentCustomer, EngineDep, SettingsDep, StaffUser
from openteller.api.routes.loans import Offer
from openteller.api.schemas import (
    MAX_ID,
    NO_NUL,
    AmountIn,
    Currency,
    Id,
    IdPath,
    Money,
    Out,
    Timestamp,
    errors,
    mark_replayed,
    replayed,
)
from openteller.core import DEFAULT_LOAN_PRODUCT, StaffRole, from_minor, to_minor
from openteller.credit import ApplicationInput, CreditService, LoanApplicationView

router = APIRouter(tags=["loan applications"])

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,39}$"
_STAFF_FORBIDDEN = {403: "A customer's token, or a staff role other than compliance."}


def _service(engine: EngineDep, clock: ClockDep, settings: SettingsDep) -> CreditService:
    return CreditService(engine, clock, settings)


Credit = Annotated[CreditService, Depends(_service)]


class ApplicationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: AmountIn = Field(description="Amount to borrow.")
    term_months: int = Field(ge=1, le=600, description="Number of monthly payments.")
    purpose: Literal[
        "car_new",
        "car_used",
        "furniture",
        "electronics",
        "appliances",
        "repairs",
        "education",
        "retraining",
        "business",
        "other",
    ]
    monthly_income: AmountIn = Field(description="Gross monthly income.")
    employment: Literal["employed", "self_employed", "unemployed"]
    employment_years: int = Field(default=0, ge=0, le=80, description="With the current employer.")
    occupation: Literal["unskilled", "skilled", "management"] = "skilled"
    housing: Literal["rent", "own", "free"] = "rent"
    dependents: int = Field(default=0, ge=0, le=20)
    years_at_address: int = Field(default=0, ge=0, le=80)
    property: Literal["real_estate", "savings_insurance", "car_other", "none"] = Field(
        default="none", description="The most valuable asset."
    )
    other_installment_plans: Literal["none", "bank", "stores"] = "none"
    co_signer: Literal["none", "co_applicant", "guarantor"] = "none"
    credit_history: Literal[
        "no_credits", "all_paid_here", "paid_duly", "past_delays", "critical"
    ] = "paid_duly"
    product_code: str = Field(default=DEFAULT_LOAN_PRODUCT, max_length=40, pattern=NO_NUL)


class ReasonOut(Out):
    code: str = Field(examples=["checking_status"])
    statement: str = Field(examples=["Insufficient balance in checking account with us"])
    points_lost: int = Field(ge=0)
    factor: str


class NoticeOut(Out):
    text: str = Field(description="The adverse-action notice (Reg B 1002.9, FCRA 615).")
    html: str


class LoanApplicationOut(Out):
    id: Id
    status: Literal["approved", "declined", "referred"]
    decision: Literal["approve", "refer", "decline"] = Field(
        description="The automated decision; `status` changes after a person's review."
    )
    product_code: str
    amount: Money
    currency: Currency
    term_months: int = Field(ge=1)
    score: int
    tier: str | None = Field(description="Risk tier of an approval.")
    model_hash: str = Field(description="SHA-256 of the scorecard that decided.")
    offers: list[Offer] = Field(
        description="Truth in Lending figures; the first is the term asked."
    )
    reasons: list[ReasonOut] = Field(description="Principal reasons (at most 4) of a decline.")
    notice: NoticeOut | None
    explanation: str = Field(description="The decision in plain words.")
    created_at: Timestamp
    decided_at: Timestamp | None
    reviewed_at: Timestamp | None


class StaffApplicationOut(LoanApplicationOut):
    customer_id: Id
    probability_of_default: str = Field(examples=["0.2841"])
    key_factors: list[ReasonOut]
    review_note: str | None


class ReviewQueue(Out):
    applications: list[StaffApplicationOut]
    next_after: Id | None = Field(description="Pass as `after` for the next page.")


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "decline"]
    note: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)


def _out(a: LoanApplicationView) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "status": a.status,
        "decision": a.decision,
        "product_code": a.product_code,
        "amount": str(from_minor(to_minor(a.amount, a.currency), a.currency)),
        "currency": a.currency,
        "term_months": a.term_months,
        "score": a.score,
        "tier": a.tier,
        "model_hash": a.model_hash,
        "offers": [
            {
                "tier": o.tier,
                "annual_rate": str(o.annual_rate),
                "apr": str(o.apr),
                "payment": str(o.payment),
                "number_of_payments": o.number_of_payments,
                "origination_fee": str(o.origination_fee),
                "amount_financed": str(o.amount_financed),
                "finance_charge": str(o.finance_charge),
                "total_of_payments": str(o.total_of_payments),
                "first_payment_date": o.first_payment_date.isoformat(),
            }
            for o in a.offers
        ],
        "reasons": [r.to_dict() for r in a.reasons] if a.status == "declined" else [],
        "notice": None
        if a.notice_text is None or a.notice_html is None
        else {"text": a.notice_text, "html": a.notice_html},
        "explanation": a.explanation,
        "created_at": a.created_at.isoformat(),
        "decided_at": a.decided_at.isoformat() if a.decided_at else None,
        "reviewed_at": a.reviewed_at.isoformat() if a.reviewed_at else None,
    }


def _staff_out(a: LoanApplicationView) -> dict[str, Any]:
    return _out(a) | {
        "customer_id": str(a.customer_id),
        "probability_of_default": str(a.probability_of_default),
        "key_factors": [r.to_dict() for r in a.key_factors],
        "reasons": [r.to_dict() for r in a.reasons],
        "review_note": a.review_note,
    }


@router.post(
    "/v1/loan-applications",
    status_code=201,
    summary="Apply for a loan",
    response_model=LoanApplicationOut,
    responses={
        **replayed(LoanApplicationOut, "A replay: this key was used before with the same body."),
        **errors(
            400,
            401,
            403,
            404,
            409,
            413,
            422,
            429,
            503,
            notes={
                400: "A malformed Idempotency-Key header, or a body that cannot be decoded.",
                404: "No product with this code.",
                409: "The key was used with another body.",
                422: "Invalid input, or an amount or term outside the product's limits.",
            },
        ),
    },
)
def apply(
    body: ApplicationBody,
    response: Response,
    principal: CurrentCustomer,
    credit: Credit,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Optional. 1-40 letters, digits or `. _ : -`; a retry with the same "
            "key and body answers the first decision.",
            json_schema_extra={"pattern": KEY_PATTERN},
        ),
    ] = None,
) -> dict[str, Any]:
    """Decide a personal-loan application now: approved (with offers: payment, APR,
    finance charge, total of payments), referred to a person, or declined (with the
    adverse-action notice). Scope `loans:write`."""
    principal.require("loans:write")
    data = body.model_dump()
    application = ApplicationInput(**data)
    result = credit.apply(principal.id, application, idempotency_key)
    if result.replayed:
        mark_replayed(response)
    return _out(result)


@router.get(
    "/v1/loan-applications/{application_id}",
    summary="Get a loan application",
    response_model=LoanApplicationOut,
    responses=errors(401, 403, 404, 422, 429),
)
def get_application(
    application_id: IdPath, principal: CurrentCustomer, credit: Credit
) -> dict[str, Any]:
    """One of your loan applications: status, offers or notice. Scope `accounts:read`."""
    principal.require("accounts:read")
    return _out(credit.get(principal.id, application_id))


@router.get(
    "/v1/staff/loan-applications",
    tags=["staff console"],
    summary="Credit review queue",
    response_model=ReviewQueue,
    responses=errors(401, 403, 422, 429, notes=_STAFF_FORBIDDEN),
)
def review_queue(
    staff: StaffUser,
    credit: Credit,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="Last id of the previous page.")] = 0,
) -> dict[str, Any]:
    """Applications referred to a person, oldest first (compliance)."""
    staff.require_role(StaffRole.COMPLIANCE)
    page = credit.review_queue(limit=limit + 1, after=after)
    more = len(page) > limit
    page = page[:limit]
    return {
        "applications": [_staff_out(a) for a in page],
        "next_after": str(page[-1].id) if more else None,
    }


@router.get(
    "/v1/staff/loan-applications/{application_id}",
    tags=["staff console"],
    summary="Get any loan application",
    response_model=StaffApplicationOut,
    responses=errors(401, 403, 404, 422, 429, notes=_STAFF_FORBIDDEN),
)
def staff_application(application_id: IdPath, staff: StaffUser, credit: Credit) -> dict[str, Any]:
    """An application with its score, probability of default and key factors (compliance)."""
    staff.require_role(StaffRole.COMPLIANCE)
    return _staff_out(credit.staff_get(application_id))


@router.post(
    "/v1/staff/loan-applications/{application_id}/review",
    tags=["staff console"],
    summary="Decide a referred application",
    response_model=StaffApplicationOut,
    responses=errors(
        400,
        401,
        403,
        404,
        409,
        413,
        422,
        429,
        503,
        notes={**_STAFF_FORBIDDEN, 409: "The application is not waiting for review."},
    ),
)
def review(
    application_id: IdPath, body: ReviewBody, staff: StaffUser, credit: Credit
) -> dict[str, Any]:
    """Approve (priced at the last risk tier) or decline (with the adverse-action notice) a
    referred application, with a note; audited with the reviewer (compliance)."""
    staff.require_role(StaffRole.COMPLIANCE)
    decided = credit.review(
        application_id, staff_id=staff.id, approve=body.decision == "approve", note=body.note
    )
    return _staff_out(decided)
