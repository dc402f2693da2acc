"""The ledger's value objects: requests, results, balances, and idempotency keys."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from openteller.core.errors import InvalidIdempotencyKey
from openteller.core.models import HoldStatus, TransferStatus
from openteller.core.money import from_minor

MAX_KEY_LENGTH = 40
_KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]*")


def validate_key(key: str) -> str:
    """An idempotency key: 1–40 characters of letters, digits and ``. _ : -``."""
    if not isinstance(key, str) or not key:
        raise InvalidIdempotencyKey("an idempotency key is required")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(
            f"idempotency key is longer than {MAX_KEY_LENGTH} characters", length=len(key)
        )
    if not _KEY_PATTERN.fullmatch(key):
        raise InvalidIdempotencyKey(
            "idempotency key may contain only letters, digits and . _ : -", key=key
        )
    return key


@dataclass(frozen=True)
class TransferRequest:
    """Move `amount` of `currency` from `debit_account_id` to `credit_account_id`."""

    idempotency_key: str
    debit_account_id: int
    credit_account_id: int
    amount: Decimal
    currency: str
    kind: str = "transfer"
    description: str = ""
    merchant: str | None = None
    category: str | None = None
    channel: str = "internal"
    location: str | None = None
    hold_id: int | None = None  # set when this transfer captures a hold
    reverses_id: int | None = None  # set when this transfer reverses another
    occurred_at: datetime | None = None  # when the customer acted; default: booking time

    def request_hash(self) -> str:
        """SHA-256 of every field but the key (amount normalized: 10.0 == 10.00)."""
        return _digest(
            self.debit_account_id,
            self.credit_account_id,
            Decimal(self.amount).normalize(),
            self.currency,
            self.kind,
            self.description,
            self.merchant,
            self.category,
            self.channel,
            self.location,
            self.hold_id,
            self.reverses_id,
            None if self.occurred_at is None else self.occurred_at.isoformat(),
        )


@dataclass(frozen=True)
class TransferResult:
    id: int
    idempotency_key: str
    status: TransferStatus
    kind: str
    amount: Decimal
    currency: str
    debit_account_id: int
    credit_account_id: int
    description: str
    merchant: str | None
    category: str | None
    created_at: datetime
    occurred_at: datetime
    reverses_id: int | None = None
    hold_id: int | None = None
    replayed: bool = False


@dataclass(frozen=True)
class HoldRequest:
    """Reserve `amount` on `account_id`, to be captured later towards `counterparty_account_id`."""

    reference: str
    account_id: int
    counterparty_account_id: int
    amount: Decimal
    currency: str
    description: str = ""
    merchant: str | None = None
    category: str | None = None
    card_id: int | None = None  # a card authorization: the card is checked in the transaction

    def request_hash(self) -> str:
        return _digest(
            self.account_id,
            self.counterparty_account_id,
            Decimal(self.amount).normalize(),
            self.currency,
            self.description,
            self.merchant,
            self.category,
            self.card_id,
        )


@dataclass(frozen=True)
class HoldResult:
    id: int
    reference: str
    account_id: int
    counterparty_account_id: int
    amount: Decimal
    currency: str
    status: HoldStatus
    description: str
    merchant: str | None
    created_at: datetime
    transfer_id: int | None = None
    replayed: bool = False


@dataclass(frozen=True)
class Balance:
    account_id: int
    currency: str
    ledger: Decimal
    held: Decimal
    available: Decimal  # ledger - held
    spendable: Decimal | None  # available - floor (overdraft/credit headroom); None = no floor


def transfer_result(row: Any) -> TransferResult:
    m = row._mapping if isinstance(row, Row) else row
    return TransferResult(
        id=m["id"],
        idempotency_key=m["idempotency_key"],
        status=TransferStatus(m["status"]),
        kind=m["kind"],
        amount=from_minor(m["amount_minor"], m["currency"]),
        currency=m["currency"],
        debit_account_id=m["debit_account_id"],
        credit_account_id=m["credit_account_id"],
        description=m["description"],
        merchant=m["merchant"],
        category=m["category"],
        created_at=m["created_at"],
        occurred_at=m["occurred_at"],
        reverses_id=m["reverses_id"],
        hold_id=m["hold_id"],
    )


def hold_result(m: Any) -> HoldResult:
    return HoldResult(
        id=m["id"],
        reference=m["reference"],
        account_id=m["account_id"],
        counterparty_account_id=m["counterparty_account_id"],
        amount=from_minor(m["amount_minor"], m["currency"]),
        currency=m["currency"],
        status=HoldStatus(m["status"]),
        description=m["description"],
        merchant=m["merchant"],
        created_at=m["created_at"],
        transfer_id=m["transfer_id"],
    )


def _digest(*fields: object) -> str:
    # repr() keeps None apart from "None" and quotes strings, so fields cannot run together.
    return hashlib.sha256(repr(fields).encode()).hexdigest()
