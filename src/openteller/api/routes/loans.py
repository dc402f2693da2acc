"""`POST /v1/loans/quote`: what a personal loan costs, by risk tier, with its Reg Z APR;
`GET /v1/loans`: the customer's loans."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from openteller.api.deps import ClockDep, CurrentCustomer, EngineDep
from openteller.api.routes import CustomerCore
from openteller.core import DEFAULT_LOAN_PRODUCT, LoanSummary, quote_tiers

router = APIRouter(prefix="/v1/loans", tags=["loans"])


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2, description="Amount to borrow.")
    term_months: int = Field(ge=1, le=600, description="Number of monthly payments.")
    product_code: str = Field(default=DEFAULT_LOAN_PRODUCT, max_length=40)


@router.post("/quote")
def quote(body: QuoteRequest, engine: EngineDep, clock: ClockDep) -> dict[str, Any]:
    """Payment, APR (Regulation Z, Appendix J), finance charge and total of payments for
    every risk tier of the product; the tier comes from a credit decision, not a quote."""
    priced = quote_tiers(
        engine, clock.now().date(), body.amount, body.term_months, body.product_code
    )
    return {
        "product_code": priced.product_code,
        "currency": priced.currency,
        "amount": str(body.amount),
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


@router.get("")
def list_loans(principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    """The customer's loans with their contract figures and next instalment."""
    principal.require("accounts:read")
    return {"loans": [_loan(loan) for loan in core.list_loans()]}
