"""`POST /v1/loans/quote`: what a personal loan costs, by risk tier, with its Reg Z APR."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from openteller.api.deps import ClockDep, EngineDep
from openteller.core import read_catalog
from openteller.core.lending import quote_loan

router = APIRouter(prefix="/v1/loans", tags=["loans"])


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2, description="Amount to borrow.")
    term_months: int = Field(ge=1, le=600, description="Number of monthly payments.")
    product_code: str = Field(default="personal_loan", max_length=40)


@router.post("/quote")
def quote(body: QuoteRequest, engine: EngineDep, clock: ClockDep) -> dict[str, Any]:
    """Payment, APR (Regulation Z, Appendix J), finance charge and total of payments for
    every risk tier of the product; the tier comes from a credit decision, not a quote."""
    today: date = clock.now().date()
    with engine.connect() as conn:
        product = read_catalog(conn).product(body.product_code)
        tiers = [r.tier for r in product.rates if r.code == "interest_rate"]
        offers = [
            quote_loan(
                conn,
                product_code=product.code,
                principal=body.amount,
                term_months=body.term_months,
                tier=tier,
                advance_date=today,
            )
            for tier in tiers
        ]
    return {
        "product_code": product.code,
        "currency": product.currency,
        "amount": str(body.amount),
        "term_months": body.term_months,
        "quotes": [
            {
                "tier": offer.tier,
                "annual_rate": str(offer.annual_rate),
                "apr": str(offer.disclosure.apr),
                "payment": str(offer.disclosure.payment),
                "number_of_payments": offer.disclosure.number_of_payments,
                "origination_fee": str(offer.origination_fee),
                "amount_financed": str(offer.disclosure.amount_financed),
                "finance_charge": str(offer.disclosure.finance_charge),
                "total_of_payments": str(offer.disclosure.total_of_payments),
                "first_payment_date": offer.first_payment_date.isoformat(),
            }
            for offer in offers
        ],
    }
