"""`POST /v1/loans/quote`: what a personal loan costs, by risk tier, with its Reg Z APR;
`GET /v1/loans`: the customer's loans."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from openteller.api.deps import ClockDep, CurrentCustomer, EngineDep
from openteller.api.routes import CustomerCore
from openteller.api.schemas import NO_NUL, AmountIn, Currency, Day, Id, Money, Out, Percent, errors
from openteller.core import (
    DEFAULT_LOAN_PRODUCT,
    LoanSummary,
    from_minor,
    quote_tiers,
    to_minor,
)

router = APIRouter(prefix="/v1/loans", tags=["loans"])


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: AmountIn = Field(description="Amount to borrow.")
    term_months: int = Field(ge=1, le=600, description="Number of monthly payments.")
    product_code: str = Field(default=DEFAULT_LOAN_PRODUCT, max_length=40, pattern=NO_NUL)


class Offer(Out):
    """One risk tier's Truth in Lending figures."""

    tier: str = Field(examples=["B"])
    annual_rate: Percent = Field(description="Contract (note) rate.")
    apr: Percent = Field(description="Annual percentage rate, Regulation Z Appendix J.")
    payment: Money = Field(description="Monthly payment.")
    number_of_payments: int = Field(ge=1)
    origination_fee: Money = Field(description="A prepaid finance charge.")
    amount_financed: Money
    finance_charge: Money
    total_of_payments: Money
    first_payment_date: Day


class Quote(Out):
    product_code: str = Field(examples=["personal_loan"])
    currency: Currency
    amount: Money
    term_months: int = Field(ge=1)
    quotes: list[Offer] = Field(description="One offer per risk tier, best tier first.")


class NextPayment(Out):
    number: int = Field(ge=1, description="Instalment number, from 1.")
    due_date: Day
    amount: Money


class Loan(Out):
    id: Id
    account_id: Id = Field(description="The loan account (its balance is what is owed).")
    product_code: str = Field(examples=["personal_loan"])
    principal: Money
    currency: Currency
    annual_rate: Percent
    apr: Percent
    term_months: int = Field(ge=1)
    payment: Money
    status: Literal["active", "paid_off"]
    outstanding: Money = Field(description="What is owed now.")
    next_payment: NextPayment | None


class LoanList(Out):
    loans: list[Loan]


@router.post(
    "/quote",
    summary="Quote a personal loan",
    response_model=Quote,
    responses=errors(
        400,
        404,
        413,
        422,
        429,
        503,
        notes={
            404: "No product with this code.",
            422: "Invalid input, or an amount or term outside the product's limits.",
        },
    ),
)
def quote(body: QuoteRequest, engine: EngineDep, clock: ClockDep) -> dict[str, Any]:
    """Payment, APR (Regulation Z, Appendix J), finance charge and total of payments for
    every risk tier of the product; the tier comes from a credit decision, not a quote.
    Public: no token needed."""
    priced = quote_tiers(
        engine, clock.now().date(), body.amount, body.term_months, body.product_code
    )
    return {
        "product_code": priced.product_code,
        "currency": priced.currency,
        # As given it may read "5E+3" or "5000.5": money goes out in the currency's form.
        "amount": str(from_minor(to_minor(priced.amount, priced.currency), priced.currency)),
        "term_months": priced.term_months,
        "quotes": [
            {
                "tier": offer.tier,
                "annual_rate": str(offer.annual_rate),
                "apr": str(offer.apr),
                "payment": str(offer.payment),
                "number_of_payments": offer.number_of_payments,
                "origination_fee": str(offer.origination_fee),
                "amount_financed": str(offer.amount_financed),
                "finance_charge": str(offer.finance_charge),
                "total_of_payments": str(offer.total_of_payments),
                "first_payment_date": offer.first_payment_date.isoformat(),
            }
            for offer in priced.offers
        ],
    }


def _loan(loan: LoanSummary) -> dict[str, Any]:
    upcoming = loan.next_payment
    return {
        "id": str(loan.id),
        "account_id": str(loan.account_id),
        "product_code": loan.product_code,
        "principal": str(loan.principal),
        "currency": loan.currency,
        "annual_rate": str(loan.annual_rate),
        "apr": str(loan.apr),
        "term_months": loan.term_months,
        "payment": str(loan.payment),
        "status": loan.status.value,
        "outstanding": str(loan.outstanding),
        "next_payment": None
        if upcoming is None
        else {
            "number": upcoming.number,
            "due_date": upcoming.due_date.isoformat(),
            "amount": str(upcoming.amount),
        },
    }


@router.get(
    "",
    summary="List loans",
    response_model=LoanList,
    responses=errors(401, 403, 429),
)
def list_loans(principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    """The customer's loans with their contract figures and next instalment. Scope
    `accounts:read`."""
    principal.require("accounts:read")
    return {"loans": [_loan(loan) for loan in core.list_loans()]}
