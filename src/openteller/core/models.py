"""The schema of the system of record (SQLAlchemy 2 declarative models).

Money columns are integer minor units (`*_minor`, BIGINT). Rates are exact decimals stored
as text (`DecimalText`) so SQLite never turns them into floats. Timestamps are stored in
UTC and come back timezone-aware. Postings are append-only: the migration installs
triggers that refuse UPDATE and DELETE on them.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DecimalText(TypeDecorator[Decimal]):
    """An exact Decimal stored as text (portable; no float on SQLite)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"DecimalText takes Decimal, got {type(value).__name__}")
        return format(value, "f")

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a CHECK constraint: portable and easy to migrate.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class AccountKind(enum.StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"
    CREDIT_CARD = "credit_card"
    LOAN = "loan"
    # The bank's own accounts.
    SETTLEMENT = "settlement"
    FEE_INCOME = "fee_income"
    INTEREST_EXPENSE = "interest_expense"
    INTEREST_INCOME = "interest_income"
    EQUITY = "equity"

    @property
    def is_customer(self) -> bool:
        return self in CUSTOMER_ACCOUNT_KINDS


CUSTOMER_ACCOUNT_KINDS = frozenset(
    {AccountKind.CHECKING, AccountKind.SAVINGS, AccountKind.CREDIT_CARD, AccountKind.LOAN}
)


class AccountStatus(enum.StrEnum):
    OPEN = "open"
    FROZEN = "frozen"
    CLOSED = "closed"


class TransferStatus(enum.StrEnum):
    POSTED = "posted"
    FAILED = "failed"


class HoldStatus(enum.StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    DECLINED = "declined"


class CardStatus(enum.StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    REPLACED = "replaced"


class LoanStatus(enum.StrEnum):
    ACTIVE = "active"
    PAID_OFF = "paid_off"


class StaffRole(enum.StrEnum):
    """What a member of staff does in the console; each role sees its own endpoints."""

    ANALYST = "analyst"  # conversation and product analytics, experiments
    COMPLIANCE = "compliance"  # audit, guardrails, fairness, customer records
    PRODUCT = "product"  # catalog, prompts, evaluation


class StaffUser(Base):
    """A bank employee who signs in to the console (never a customer)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole, "staff_role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(32))
    date_of_birth: Mapped[date] = mapped_column(Date)
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(10))
    ssn_last4: Mapped[str] = mapped_column(String(4))
    segment: Mapped[str] = mapped_column(String(32), default="retail")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Product(Base):
    """A catalog product. The catalog is the single source of truth for every quotable number."""

    __tablename__ = "products"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[AccountKind] = mapped_column(_enum(AccountKind, "account_kind"))
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(20))
    effective_date: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ProductRate(Base):
    __tablename__ = "product_rates"
    __table_args__ = (UniqueConstraint("product_code", "rate_code", "tier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_code: Mapped[str] = mapped_column(ForeignKey("products.code"))
    rate_code: Mapped[str] = mapped_column(String(40))  # apy, purchase_apr, cash_apr, ...
    tier: Mapped[str] = mapped_column(String(40), default="")
    percent: Mapped[Decimal] = mapped_column(DecimalText())
    variable: Mapped[bool] = mapped_column(Boolean, default=False)
    min_balance_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")


class ProductFee(Base):
    __tablename__ = "product_fees"
    __table_args__ = (UniqueConstraint("product_code", "fee_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_code: Mapped[str] = mapped_column(ForeignKey("products.code"))
    fee_code: Mapped[str] = mapped_column(String(40))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    percent: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    description: Mapped[str] = mapped_column(Text)
    waiver: Mapped[str] = mapped_column(Text, default="")


class ProductLimit(Base):
    __tablename__ = "product_limits"
    __table_args__ = (UniqueConstraint("product_code", "limit_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_code: Mapped[str] = mapped_column(ForeignKey("products.code"))
    limit_code: Mapped[str] = mapped_column(String(40))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    period: Mapped[str] = mapped_column(String(16), default="")
    description: Mapped[str] = mapped_column(Text)


class CutoffTime(Base):
    __tablename__ = "cutoff_times"

    rail: Mapped[str] = mapped_column(String(24), primary_key=True)
    local_time: Mapped[str] = mapped_column(String(5))  # HH:MM in the bank's timezone
    timezone: Mapped[str] = mapped_column(String(64))
    business_days_only: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(Text)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("min_balance_minor IS NULL OR balance_minor >= min_balance_minor", "floor"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    product_code: Mapped[str | None] = mapped_column(ForeignKey("products.code"))
    system_code: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[AccountKind] = mapped_column(_enum(AccountKind, "account_kind"))
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[AccountStatus] = mapped_column(
        _enum(AccountStatus, "account_status"), default=AccountStatus.OPEN
    )
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # Sum of this account's pending holds; available balance = balance - held.
    held_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # Lowest balance allowed (-overdraft or -credit limit); NULL = no floor (bank's own accounts).
    min_balance_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Transfer(Base):
    """One money movement: balanced postings, or a recorded failure (no postings)."""

    __tablename__ = "transfers"
    __table_args__ = (Index("ix_transfers_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(40), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[TransferStatus] = mapped_column(_enum(TransferStatus, "transfer_status"))
    kind: Mapped[str] = mapped_column(String(24))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    debit_account_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    credit_account_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    merchant: Mapped[str | None] = mapped_column(String(100), nullable=True)
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    channel: Mapped[str] = mapped_column(String(16), default="internal")
    location: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("transfers.id"), unique=True, nullable=True
    )
    hold_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failure_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    failure_message: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # When the customer made the payment (card swipe, transfer request): may precede
    # created_at, the booking time, as a card purchase precedes its posting.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Posting(Base):
    """One leg of a transfer. Append-only: never updated, never deleted."""

    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", "nonzero"),
        Index("ix_postings_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Balance of the account right after this posting: statements without a window scan.
    balance_after_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Hold(Base):
    """Funds reserved on an account (a card authorization); later posted or voided."""

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", "positive"),
        Index("ix_holds_account_id_status", "account_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    counterparty_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[HoldStatus] = mapped_column(_enum(HoldStatus, "hold_status"))
    description: Mapped[str] = mapped_column(String(200), default="")
    merchant: Mapped[str | None] = mapped_column(String(100), nullable=True)
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), nullable=True)
    failure_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    failure_message: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Payee(Base):
    __tablename__ = "payees"
    __table_args__ = (UniqueConstraint("customer_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    bank_name: Mapped[str] = mapped_column(String(120))
    routing_number: Mapped[str] = mapped_column(String(9))
    account_last4: Mapped[str] = mapped_column(String(4))
    # Where payments to this payee settle inside the ledger (another customer's account
    # for an on-us payee, the ACH settlement account otherwise).
    settlement_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Card(Base):
    """A payment card. The full number is never stored: a random token plus first 6/last 4."""

    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    # Keyed HMAC of the number: finds a card from a typed number without storing it.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    first6: Mapped[str] = mapped_column(String(6))
    last4: Mapped[str] = mapped_column(String(4))
    network: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8))  # debit | credit
    expiry_month: Mapped[int] = mapped_column(Integer)
    expiry_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[CardStatus] = mapped_column(_enum(CardStatus, "card_status"))
    status_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Loan(Base):
    __tablename__ = "loans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    product_code: Mapped[str] = mapped_column(ForeignKey("products.code"))
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    annual_rate: Mapped[Decimal] = mapped_column(DecimalText())
    apr: Mapped[Decimal] = mapped_column(DecimalText())
    term_months: Mapped[int] = mapped_column(Integer)
    payment_minor: Mapped[int] = mapped_column(BigInteger)
    advance_date: Mapped[date] = mapped_column(Date)
    first_payment_date: Mapped[date] = mapped_column(Date)
    status: Mapped[LoanStatus] = mapped_column(_enum(LoanStatus, "loan_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoanInstallment(Base):
    __tablename__ = "loan_schedule"

    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    due_date: Mapped[date] = mapped_column(Date)
    payment_minor: Mapped[int] = mapped_column(BigInteger)
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    interest_minor: Mapped[int] = mapped_column(BigInteger)
    balance_minor: Mapped[int] = mapped_column(BigInteger)


class SeedLabel(Base):
    """Ground truth the demo-bank seeder plants (duplicates, unusual, recurring series)."""

    __tablename__ = "seed_labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    label: Mapped[str] = mapped_column(String(24))
    series: Mapped[str | None] = mapped_column(String(80), nullable=True)
    detail: Mapped[str] = mapped_column(String(200), default="")


# ------------------------------------------------------------------ assistant
# The assistant's and analytics' tables live in this one schema too, so a single Alembic
# history migrates everything; their own packages read and write them.


class ChatSessionStatus(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"
    HANDED_OFF = "handed_off"


class ChatSession(Base):
    """One conversation: its dialogue state lives here, so any worker serves any turn."""

    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, unguessable
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[ChatSessionStatus] = mapped_column(_enum(ChatSessionStatus, "chat_status"))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)  # optimistic concurrency
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ChatMessage(Base):
    """The transcript: what the customer said and what the assistant answered."""

    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("session_id", "turn", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id"), index=True)
    turn: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))  # customer | assistant
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HandoffTicket(Base):
    """Work for a person: a dispute, a fraud report, a complaint, a request for a human."""

    __tablename__ = "handoff_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("chat_sessions.id"), nullable=True, index=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversationEventRow(Base):
    """Analytics events of conversations (`openteller.analytics.events` defines them)."""

    __tablename__ = "conversation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    schema_version: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(32), index=True)
    session_id: Mapped[str] = mapped_column(String(32), index=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    turn: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


# ------------------------------------------------------------------ llm and guardrails


class LLMCall(Base):
    """One language-model call (`openteller.llm` records every one)."""

    __tablename__ = "llm_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    session_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200))
    prompt_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    prompt_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    # Estimated cost in millionths of a US dollar (integer, never float).
    cost_micro_usd: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)


class AuditEntry(Base):
    """The guardrails' audit log: append-only, each entry hashes the one before it."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    session_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    rule_id: Mapped[str] = mapped_column(String(64), index=True)
    rule_version: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(32))
    excerpt: Mapped[str] = mapped_column(Text)  # redacted
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


def row_dict(obj: Any) -> dict[str, Any]:
    """Column values of an ORM object (for digests and debugging)."""
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


# ------------------------------------------------------------------ credit decisions
# `openteller.credit` writes these: one row per loan application, with everything the
# decision rested on (inputs, mapped characteristics, score, model hash) so that it can be
# explained, reviewed by a person (GDPR Art. 22) and reproduced later.


class LoanApplication(Base):
    """A loan application and its credit decision (approve, refer to a person, decline)."""

    __tablename__ = "loan_applications"
    __table_args__ = (UniqueConstraint("customer_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    # approved | declined | referred (waiting for a person)
    status: Mapped[str] = mapped_column(String(16), index=True)
    # The automated decision: approve | refer | decline (kept after a review).
    decision: Mapped[str] = mapped_column(String(16))
    product_code: Mapped[str] = mapped_column(String(40))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    term_months: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    probability_of_default: Mapped[Decimal] = mapped_column(DecimalText())
    tier: Mapped[str | None] = mapped_column(String(8), nullable=True)
    model_version: Mapped[str] = mapped_column(String(32))
    model_hash: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)  # as the applicant gave them
    characteristics: Mapped[dict[str, Any]] = mapped_column(JSON)  # what the model saw
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    offers: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    notice: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    explanation: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(40), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    review_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# ------------------------------------------------------------------ insights
# Alerts the insight detectors raise for a customer (`openteller.insights` writes them).


class Alert(Base):
    """One alert for a customer: a duplicate charge, an unusual purchase, a price rise..."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("customer_id", "dedupe_key"),
        Index("ix_alerts_customer_id_status", "customer_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), nullable=True)
    # duplicate_charge | unusual_transaction | price_increase | low_balance | bill_due
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))  # high | medium | low
    # What the alert is about, so a rerun of the detectors does not raise it twice.
    dedupe_key: Mapped[str] = mapped_column(String(160))
    title: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))  # new | seen | dismissed
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A forecast or a reminder stops mattering after its date; a finding never expires.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class InsightRun(Base):
    """One run of the detectors: a batch over every customer, or the new postings only."""

    __tablename__ = "insight_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # batch (every customer) | customers (the ones named) | incremental (new postings)
    mode: Mapped[str] = mapped_column(String(12))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    # The highest transfer id the run had seen: the next incremental run starts after the
    # highest of the finished batch and incremental runs.
    through_transfer_id: Mapped[int] = mapped_column(Integer)
    customers: Mapped[int] = mapped_column(Integer)
    transactions: Mapped[int] = mapped_column(Integer)
    alerts_created: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    duration_ms: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
