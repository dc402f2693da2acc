"""The `CoreBanking` port's values: what channels send (`PaymentOrder`) and get back.

Frozen dataclasses; money is `Decimal`, never float. Accounts, balances, transactions and
payees use the core's own views (`AccountView`, `Balance`, `TransactionPage`,
`PayeeView`); the types here are the ones with no such view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from openteller.core.errors import ValidationFailed
from openteller.core.models import CardStatus, LoanStatus, TransferStatus
from openteller.core.money import to_minor

CardReason = Literal["lost", "stolen", "fraud_suspected", "customer_request", "damaged"]
DEFAULT_LOAN_PRODUCT = "personal_loan"
MAX_DESCRIPTION = 140


@dataclass(frozen=True)
class PaymentOrder:
    """Pay one of the customer's payees (ACH) or move money to another own account.

    Refuses at construction what no state of the bank could make valid, so both
    adapters refuse it the same way, before anything is sent or written.
    """

    from_account_id: int
    amount: Decimal
    to_account_id: int | None = None
    payee_id: int | None = None
    currency: str = "USD"
    description: str = ""

    def __post_init__(self) -> None:
        if (self.to_account_id is None) == (self.payee_id is None):
            raise ValidationFailed("give exactly one of to_account_id and payee_id")
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValidationFailed("currency must be an ISO 4217 code", currency=self.currency)
        to_minor(self.amount, self.currency)  # > 0, no sub-cent digits, not a float
        if len(self.description) > MAX_DESCRIPTION:
            raise ValidationFailed(f"description is longer than {MAX_DESCRIPTION} characters")


@dataclass(frozen=True)
class Payment:
    """A payment or own-account transfer made from one of the customer's accounts."""

    id: int
    status: TransferStatus
    from_account_id: int
    amount: Decimal
    currency: str
    description: str
    counterparty: str | None
    created_at: datetime
    idempotency_key: str | None = None  # the caller's key, in the answer to `pay` only
    replayed: bool = False  # True when the key had been used: nothing new was posted


@dataclass(frozen=True)
class CardInfo:
    """A card as a channel shows it: masked, no token, no number."""

    id: int
    account_id: int
    masked: str  # first 6 and last 4 digits
    last4: str
    network: str
    kind: str  # "debit" or "credit"
    expiry_month: int
    expiry_year: int
    status: CardStatus
    status_reason: str | None
    replaced_by_id: int | None


@dataclass(frozen=True)
class QuoteOffer:
    """One risk tier's price for the amount and term (Truth in Lending figures)."""

    tier: str
    annual_rate: Decimal
    apr: Decimal  # Regulation Z, Appendix J
    payment: Decimal
    number_of_payments: int
    origination_fee: Decimal
    amount_financed: Decimal
    finance_charge: Decimal
    total_of_payments: Decimal
    first_payment_date: date


@dataclass(frozen=True)
class LoanQuote:
    """What a loan costs at every tier; the tier itself comes from a credit decision."""

    product_code: str
    currency: str
    amount: Decimal
    term_months: int
    offers: tuple[QuoteOffer, ...]


@dataclass(frozen=True)
class Installment:
    number: int
    due_date: date
    amount: Decimal


@dataclass(frozen=True)
class LoanSummary:
    """A customer's loan: contract figures, what is owed now and the next instalment."""

    id: int
    account_id: int
    product_code: str
    principal: Decimal
    currency: str
    annual_rate: Decimal
    apr: Decimal
    term_months: int
    payment: Decimal
    status: LoanStatus
    outstanding: Decimal
    next_payment: Installment | None
