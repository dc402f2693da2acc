"""The transaction record the insight detectors read.

A small, storage-free value object: the detectors are pure functions over lists of these,
so they run the same on rows from the ledger, on the demo seeder's plan, or on a test's
hand-built series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from openteller.core.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Transaction:
    """One posted transaction seen from the customer's side.

    `amount` is signed: negative is money out of the customer's account (a purchase, a
    bill), positive is money in (salary, a refund). `occurred_at` must be timezone-aware.
    `location` ("Austin, TX") and `channel` ("card", "ach", "atm", "internal") are the
    core's `transfers.location` and `transfers.channel` when known.
    """

    id: int
    account_id: int
    customer_id: int
    occurred_at: datetime
    amount: Decimal
    merchant: str | None
    description: str
    category: str | None = None
    location: str | None = None  # where a card purchase or ATM withdrawal happened
    channel: str | None = None  # "card", "ach", "atm", "internal"

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValidationFailed("occurred_at must be timezone-aware", transaction_id=self.id)
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise ValidationFailed("amount must be a finite Decimal", transaction_id=self.id)

    @property
    def is_debit(self) -> bool:
        """True when money leaves the customer's account."""
        return self.amount < 0
