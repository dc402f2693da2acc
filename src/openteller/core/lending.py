"""Loan origination: a loan account, its contract, its schedule and its Reg Z disclosure.

Rates and fees come from the catalog (`personal_loan`: interest rate by risk tier,
origination fee as a percent of the amount, amount and term limits). The origination fee
is a prepaid finance charge, so the disclosed APR is above the contract rate.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from sqlalchemy import Connection, Table, insert

from openteller.core.accounts import open_account
from openteller.core.catalog import read_catalog
from openteller.core.errors import ValidationFailed
from openteller.core.loans import (
    LoanDisclosure,
    ScheduledPayment,
    add_months,
    amortization_schedule,
    truth_in_lending,
)
from openteller.core.models import Loan, LoanInstallment, LoanStatus
from openteller.core.money import to_minor

loans_t = cast(Table, Loan.__table__)
schedule_t = cast(Table, LoanInstallment.__table__)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class LoanOffer:
    product_code: str
    principal: Decimal
    term_months: int
    tier: str
    annual_rate: Decimal
    origination_fee: Decimal
    advance_date: date
    first_payment_date: date
    disclosure: LoanDisclosure
    schedule: list[ScheduledPayment]


@dataclass(frozen=True)
class Origination:
    loan_id: int
    account_id: int
    offer: LoanOffer


def quote_loan(
    conn: Connection,
    *,
    product_code: str,
    principal: Decimal,
    term_months: int,
    tier: str,
    advance_date: date,
) -> LoanOffer:
    """Price a loan from the catalog and compute its schedule and Truth in Lending box."""
    product = read_catalog(conn).product(product_code)
    low, high = product.limit("amount_min").amount, product.limit("amount_max").amount
    shortest = product.limit("term_min_months").count
    longest = product.limit("term_max_months").count
    to_minor(principal, product.currency)  # refuses <= 0 and sub-cent amounts
    if (low is not None and principal < low) or (high is not None and principal > high):
        raise ValidationFailed(
            f"loan amount must be between {low} and {high}", amount=str(principal)
        )
    if (shortest is not None and term_months < shortest) or (
        longest is not None and term_months > longest
    ):
        raise ValidationFailed(
            f"loan term must be between {shortest} and {longest} months", term=term_months
        )
    rate = product.rate("interest_rate", tier).percent
    fee_percent = product.fee("origination").percent or Decimal("0")
    fee = (principal * fee_percent / 100).quantize(CENT, ROUND_HALF_UP)
    first = add_months(advance_date, 1)
    disclosure = truth_in_lending(principal, rate, term_months, advance_date, first, fee)
    return LoanOffer(
        product_code=product_code,
        principal=principal,
        term_months=term_months,
        tier=tier,
        annual_rate=rate,
        origination_fee=fee,
        advance_date=advance_date,
        first_payment_date=first,
        disclosure=disclosure,
        schedule=amortization_schedule(principal, rate, term_months, first),
    )


def originate_loan(
    conn: Connection, *, customer_id: int, offer: LoanOffer, now: datetime, rng: random.Random
) -> Origination:
    """Book an accepted offer: loan account, contract row and schedule rows.

    The loan account may go as low as minus the total of payments plus the origination
    fee (the most that is ever owed); disbursing the proceeds is a ledger transfer the
    caller makes.
    """
    currency = read_catalog(conn).product(offer.product_code).currency
    owed_at_most = offer.disclosure.total_of_payments + offer.origination_fee
    account_id = open_account(
        conn,
        customer_id=customer_id,
        product_code=offer.product_code,
        now=now,
        rng=rng,
        name=f"Personal Loan {offer.term_months} mo",
        floor=-owed_at_most,
    )
    loan_id = conn.execute(
        insert(loans_t)
        .values(
            customer_id=customer_id,
            account_id=account_id,
            product_code=offer.product_code,
            principal_minor=to_minor(offer.principal, currency),
            currency=currency,
            annual_rate=offer.annual_rate,
            apr=offer.disclosure.apr,
            term_months=offer.term_months,
            payment_minor=to_minor(offer.disclosure.payment, currency),
            advance_date=offer.advance_date,
            first_payment_date=offer.first_payment_date,
            status=LoanStatus.ACTIVE,
            created_at=now,
        )
        .returning(loans_t.c.id)
    ).scalar_one()
    conn.execute(
        insert(schedule_t),
        [
            {
                "loan_id": loan_id,
                "number": row.number,
                "due_date": row.due_date,
                "payment_minor": to_minor(row.payment, currency),
                "principal_minor": to_minor(row.principal, currency, positive=False),
                "interest_minor": to_minor(row.interest, currency, positive=False),
                "balance_minor": to_minor(row.balance, currency, positive=False),
            }
            for row in offer.schedule
        ],
    )
    return Origination(int(loan_id), account_id, offer)
