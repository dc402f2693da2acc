"""`POST /v1/loans/quote`: what a personal loan costs, by risk tier, with its Reg Z APR."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from openteller.api.deps import ClockDep, CurrentCustomer, EngineDep
from openteller.core import from_minor, read_catalog
from openteller.core.lending import quote_loan
from openteller.core.models import Account, Loan, LoanInstallment

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


@router.get("")
def list_loans(principal: CurrentCustomer, engine: EngineDep) -> dict[str, Any]:
    """The customer's loans with their contract figures and next instalment."""
    principal.require("accounts:read")
    loans, schedule = Loan.__table__, LoanInstallment.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(loans).where(loans.c.customer_id == principal.id).order_by(loans.c.id)
        ).all()
        out = []
        for loan in rows:
            balance = conn.execute(
                select(Account.balance_minor).where(Account.id == loan.account_id)
            ).scalar_one()
            upcoming = conn.execute(
                select(schedule)
                .where(schedule.c.loan_id == loan.id, schedule.c.balance_minor < -balance)
                .order_by(schedule.c.number)
                .limit(1)
            ).first()
            out.append(
                {
                    "id": str(loan.id),
                    "account_id": str(loan.account_id),
                    "product_code": loan.product_code,
                    "principal": str(from_minor(loan.principal_minor, loan.currency)),
                    "currency": loan.currency,
                    "annual_rate": str(loan.annual_rate),
                    "apr": str(loan.apr),
                    "term_months": loan.term_months,
                    "payment": str(from_minor(loan.payment_minor, loan.currency)),
                    "status": loan.status,
                    "outstanding": str(from_minor(max(0, -balance), loan.currency)),
                    "next_payment": None
                    if upcoming is None
                    else {
                        "number": upcoming.number,
                        "due_date": upcoming.due_date.isoformat(),
                        "amount": str(from_minor(upcoming.payment_minor, loan.currency)),
                    },
                }
            )
    return {"loans": out}
