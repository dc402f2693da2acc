"""The `CoreBanking` port: what a channel may do for one signed-in customer.

Channels (the REST API, the assistant) act for a principal, never for "the bank". The
port is scoped to that customer: another customer's account, card, payee or payment id
is `NotFound` exactly like an unknown id. Two adapters implement it:

- `LocalCoreBanking` (here): in process, on the database. The REST API's routes call it,
  so the API and the assistant share one implementation of every operation.
- `openteller.core.remote.HttpCoreBanking`: a client of the REST API.

Both return the same frozen dataclasses (the core's views and `banking_types`; money is
`Decimal`, never float) and raise the same `openteller.core.errors`, so a caller cannot
tell them apart. Money moves only through `pay`, with the caller's idempotency key.
"""

from __future__ import annotations

import hashlib
import random
import re
from datetime import date
from decimal import Decimal
from typing import Protocol, cast, runtime_checkable
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Table, select

from openteller.core.accounts import (
    AccountView,
    PayeeView,
    add_payee,
    bank_account,
    customer_account,
    customer_accounts,
    customer_payees,
)
from openteller.core.banking_types import (
    DEFAULT_LOAN_PRODUCT,
    CardInfo,
    CardReason,
    Installment,
    LoanQuote,
    LoanSummary,
    Payment,
    PaymentOrder,
    QuoteOffer,
)
from openteller.core.cards import (
    BLOCK_REASONS,
    CardView,
    block_card,
    customer_card,
    customer_cards,
    replace_card,
    unblock_card,
)
from openteller.core.catalog import ProductInfo, read_catalog
from openteller.core.clock import Clock
from openteller.core.errors import NotFound, OpenTellerError, ValidationFailed
from openteller.core.ledger import Balance, Ledger, TransferRequest, TransferResult
from openteller.core.ledger_types import validate_key
from openteller.core.lending import quote_loan
from openteller.core.models import (
    Account,
    AccountKind,
    Loan,
    LoanInstallment,
    LoanStatus,
    Payee,
)
from openteller.core.money import from_minor, parse_amount, to_minor
from openteller.core.statements import (
    MAX_PAGE,
    TransactionPage,
    TransactionQuery,
    account_transactions,
)
from openteller.settings import Settings

accounts_t = cast(Table, Account.__table__)
loans_t = cast(Table, Loan.__table__)
schedule_t = cast(Table, LoanInstallment.__table__)
payees_t = cast(Table, Payee.__table__)

_ACCOUNT_NUMBER = re.compile(r"[0-9]{4,17}")
# Accounts a payment may leave; loans and card lines are drawn on only by their own flows.
PAYABLE_FROM = frozenset({AccountKind.CHECKING, AccountKind.SAVINGS})


# ------------------------------------------------------------------------------ port


@runtime_checkable
class CoreBanking(Protocol):
    """Banking operations for one customer. Errors are `openteller.core.errors`:
    `NotFound` for an unknown id or another customer's, `ValidationFailed` for bad input,
    `InsufficientFunds`, `IdempotencyConflict`, `InvalidState`, `AlreadyExists`..."""

    @property
    def customer_id(self) -> int:
        """The customer this session acts for."""
        ...

    def list_accounts(self) -> list[AccountView]:
        """The customer's accounts, oldest first."""
        ...

    def get_account(self, account_id: int) -> AccountView: ...

    def balance(self, account_id: int) -> Balance:
        """Ledger, held and available balance and the overdraft or credit headroom."""
        ...

    def transactions(
        self, account_id: int, query: TransactionQuery | None = None
    ) -> TransactionPage:
        """Posted transactions, newest first; pass `next_cursor` back for the next page."""
        ...

    def list_payees(self) -> list[PayeeView]:
        """The customer's payees, by name."""
        ...

    def add_payee(
        self, *, name: str, bank_name: str, routing_number: str, account_number: str
    ) -> PayeeView:
        """Add a payee at another bank; only the last 4 digits of the number are kept."""
        ...

    def pay(self, order: PaymentOrder, idempotency_key: str) -> Payment:
        """Move money exactly once per key: the same key and order answer the first
        payment (`replayed=True`); the same key with another order is
        `IdempotencyConflict`; a key whose payment failed keeps failing."""
        ...

    def get_payment(self, payment_id: int) -> Payment: ...

    def list_cards(self) -> list[CardInfo]:
        """The customer's cards, newest first (replaced ones included)."""
        ...

    def block_card(self, card_id: int, reason: CardReason) -> CardInfo:
        """Block at once (idempotent). Lost, stolen or fraud blocks are final."""
        ...

    def unblock_card(self, card_id: int) -> CardInfo: ...

    def replace_card(self, card_id: int, reason: CardReason) -> CardInfo:
        """Retire the card; the new one (returned, masked) is on the same account."""
        ...

    def products(self) -> list[ProductInfo]:
        """The products on offer, by code, with their rates, fees and limits."""
        ...

    def loan_quote(
        self, amount: Decimal, term_months: int, product_code: str = DEFAULT_LOAN_PRODUCT
    ) -> LoanQuote: ...

    def list_loans(self) -> list[LoanSummary]: ...


# ------------------------------------------------------------------ local adapter


class LocalCoreBanking:
    """`CoreBanking` in process, on the bank's database (the REST API's implementation)."""

    def __init__(
        self, engine: Engine, clock: Clock, customer_id: int, settings: Settings | None = None
    ) -> None:
        self.engine = engine
        self.clock = clock
        self._customer_id = customer_id
        # Without settings: the environment's, as the CLI and the app factory build them.
        self.settings = settings if settings is not None else Settings()
        self.ledger = Ledger(engine, clock)

    @property
    def customer_id(self) -> int:
        return self._customer_id

    def list_accounts(self) -> list[AccountView]:
        with self.engine.connect() as conn:
            return customer_accounts(conn, self._customer_id)

    def get_account(self, account_id: int) -> AccountView:
        with self.engine.connect() as conn:
            return customer_account(conn, self._customer_id, account_id)

    def balance(self, account_id: int) -> Balance:
        return self.ledger.balance(account_id, customer_id=self._customer_id)

    def transactions(
        self, account_id: int, query: TransactionQuery | None = None
    ) -> TransactionPage:
        query = query or TransactionQuery()
        _check_query(query)  # before the account, as the API validates its parameters
        with self.engine.connect() as conn:
            return account_transactions(
                conn, self._customer_id, account_id, query, ZoneInfo(self.settings.timezone)
            )

    def list_payees(self) -> list[PayeeView]:
        with self.engine.connect() as conn:
            return customer_payees(conn, self._customer_id)

    def add_payee(
        self, *, name: str, bank_name: str, routing_number: str, account_number: str
    ) -> PayeeView:
        if not _ACCOUNT_NUMBER.fullmatch(account_number):
            raise ValidationFailed("account number must be 4 to 17 digits")
        now = self.clock.now()
        last4 = account_number[-4:]
        with self.engine.begin() as conn:
            settlement = bank_account(conn, "settlement:ach", self.settings.base_currency, now)
            payee_id = add_payee(
                conn,
                customer_id=self._customer_id,
                name=name,
                bank_name=bank_name,
                routing_number=routing_number,
                account_last4=last4,
                settlement_account_id=settlement,
                now=now,
            )
        return PayeeView(payee_id, name.strip(), bank_name, routing_number, last4, now)

    def pay(self, order: PaymentOrder, idempotency_key: str) -> Payment:
        validate_key(idempotency_key)
        with self.engine.connect() as conn:
            source = customer_account(conn, self._customer_id, order.from_account_id)
            credit, channel, counterparty = self._destination(conn, order)
        if credit == source.id:
            raise ValidationFailed("the source and destination accounts are the same")
        if source.kind not in PAYABLE_FROM:
            # Drawing on a loan or a card line is borrowing, with its own terms and fees:
            # not something a payment may do on the side.
            raise ValidationFailed(
                "payments leave a checking or savings account",
                account_id=source.id,
                account_type=source.kind.value,
            )
        try:
            result = self._transfer(
                order, idempotency_key, source.id, credit, channel, counterparty
            )
        except OpenTellerError as exc:
            # The ledger names its own key; the customer knows theirs.
            if "idempotency_key" in exc.details:
                exc.details["idempotency_key"] = idempotency_key
            raise
        return _payment(result, idempotency_key)

    def _transfer(
        self,
        order: PaymentOrder,
        idempotency_key: str,
        source_id: int,
        credit: int,
        channel: str,
        counterparty: str,
    ) -> TransferResult:
        ach = channel == "ach"
        return self.ledger.transfer(
            TransferRequest(
                idempotency_key=ledger_key(self._customer_id, idempotency_key),
                debit_account_id=source_id,
                credit_account_id=credit,
                amount=order.amount,
                currency=order.currency,
                kind="payment" if ach else "transfer",
                description=order.description or f"Payment to {counterparty}",
                merchant=counterparty,
                category="p2p" if ach else "transfer",
                channel=channel,
            )
        )

    def _destination(self, conn: Connection, order: PaymentOrder) -> tuple[int, str, str]:
        """(credit account, channel, counterparty name) of the order."""
        if order.to_account_id is not None:
            own = customer_account(conn, self._customer_id, order.to_account_id)
            return own.id, "internal", own.name
        payee = conn.execute(
            select(payees_t.c.settlement_account_id, payees_t.c.name).where(
                payees_t.c.id == order.payee_id, payees_t.c.customer_id == self._customer_id
            )
        ).first()
        if payee is None:
            raise NotFound("payee not found", payee_id=order.payee_id)
        return int(payee.settlement_account_id), "ach", str(payee.name)

    def get_payment(self, payment_id: int) -> Payment:
        try:
            result = self.ledger.get_transfer(payment_id)
        except NotFound:
            raise NotFound("payment not found", payment_id=payment_id) from None
        with self.engine.connect() as conn:
            owner = conn.execute(
                select(accounts_t.c.customer_id).where(accounts_t.c.id == result.debit_account_id)
            ).scalar_one_or_none()
        if owner != self._customer_id:
            raise NotFound("payment not found", payment_id=payment_id)
        return _payment(result, None)  # the caller's key is kept only as a digest

    def list_cards(self) -> list[CardInfo]:
        with self.engine.connect() as conn:
            return [card_info(c) for c in customer_cards(conn, self._customer_id)]

    def block_card(self, card_id: int, reason: CardReason) -> CardInfo:
        _check_reason(reason)
        with self.engine.begin() as conn:
            customer_card(conn, self._customer_id, card_id)
            return card_info(block_card(conn, card_id, reason, self.clock.now()))

    def unblock_card(self, card_id: int) -> CardInfo:
        with self.engine.begin() as conn:
            customer_card(conn, self._customer_id, card_id)
            return card_info(unblock_card(conn, card_id, self.clock.now()))

    def replace_card(self, card_id: int, reason: CardReason) -> CardInfo:
        _check_reason(reason)
        with self.engine.begin() as conn:
            customer_card(conn, self._customer_id, card_id)
            issued = replace_card(
                conn,
                card_id,
                reason,
                now=self.clock.now(),
                rng=random.SystemRandom(),
                secret=self.settings.secret_key.get_secret_value(),
            )
        return card_info(issued.card)  # the new number is mailed, never shown

    def products(self) -> list[ProductInfo]:
        return [p for p in read_catalog(self.engine).products.values() if p.active]

    def loan_quote(
        self, amount: Decimal, term_months: int, product_code: str = DEFAULT_LOAN_PRODUCT
    ) -> LoanQuote:
        return quote_tiers(self.engine, self.clock.now().date(), amount, term_months, product_code)

    def list_loans(self) -> list[LoanSummary]:
        with self.engine.connect() as conn:
            return customer_loans(conn, self._customer_id)


# ----------------------------------------------------------------- shared pieces


def ledger_key(customer_id: int, key: str) -> str:
    """The customer's key in the ledger's global key space (40 characters), so two
    customers' keys never collide."""
    digest = hashlib.sha256(f"{customer_id}:{key}".encode()).hexdigest()
    return f"api:{digest[:36]}"


def card_info(card: CardView) -> CardInfo:
    return CardInfo(
        id=card.id,
        account_id=card.account_id,
        masked=card.masked,
        last4=card.last4,
        network=card.network,
        kind=card.kind,
        expiry_month=card.expiry_month,
        expiry_year=card.expiry_year,
        status=card.status,
        status_reason=card.status_reason,
        replaced_by_id=card.replaced_by_id,
    )


def quote_tiers(
    engine: Engine, today: date, amount: Decimal, term_months: int, product_code: str
) -> LoanQuote:
    """Price `amount` over `term_months` at every risk tier of the product (public: a
    quote needs no customer)."""
    amount = parse_amount(amount)
    with engine.connect() as conn:
        product = read_catalog(conn).product(product_code)
        if product.kind != AccountKind.LOAN:
            raise ValidationFailed(
                f"{product.code} is not a loan product", product_code=product.code
            )
        to_minor(amount, product.currency)  # > 0 and no sub-cent digits, whatever the tiers
        tiers = [r.tier for r in product.rates if r.code == "interest_rate"]
        offers = [
            quote_loan(
                conn,
                product_code=product.code,
                principal=amount,
                term_months=term_months,
                tier=tier,
                advance_date=today,
            )
            for tier in tiers
        ]
    return LoanQuote(
        product_code=product.code,
        currency=product.currency,
        amount=amount,
        term_months=term_months,
        offers=tuple(
            QuoteOffer(
                tier=o.tier,
                annual_rate=o.annual_rate,
                apr=o.disclosure.apr,
                payment=o.disclosure.payment,
                number_of_payments=o.disclosure.number_of_payments,
                origination_fee=o.origination_fee,
                amount_financed=o.disclosure.amount_financed,
                finance_charge=o.disclosure.finance_charge,
                total_of_payments=o.disclosure.total_of_payments,
                first_payment_date=o.first_payment_date,
            )
            for o in offers
        ),
    )


def customer_loans(conn: Connection, customer_id: int) -> list[LoanSummary]:
    """The customer's loans; outstanding is what the loan account owes now, and the next
    instalment is the first whose scheduled balance is below it."""
    rows = conn.execute(
        select(loans_t, accounts_t.c.balance_minor)
        .join(accounts_t, accounts_t.c.id == loans_t.c.account_id)
        .where(loans_t.c.customer_id == customer_id)
        .order_by(loans_t.c.id)
    ).all()
    out = []
    for loan in rows:
        owed = max(0, -loan.balance_minor)
        upcoming = conn.execute(
            select(schedule_t)
            .where(schedule_t.c.loan_id == loan.id, schedule_t.c.balance_minor < owed)
            .order_by(schedule_t.c.number)
            .limit(1)
        ).first()
        currency = loan.currency
        out.append(
            LoanSummary(
                id=loan.id,
                account_id=loan.account_id,
                product_code=loan.product_code,
                principal=from_minor(loan.principal_minor, currency),
                currency=currency,
                annual_rate=loan.annual_rate,
                apr=loan.apr,
                term_months=loan.term_months,
                payment=from_minor(loan.payment_minor, currency),
                status=LoanStatus(loan.status),
                outstanding=from_minor(owed, currency),
                next_payment=None
                if upcoming is None
                else Installment(
                    upcoming.number,
                    upcoming.due_date,
                    from_minor(upcoming.payment_minor, currency),
                ),
            )
        )
    return out


def _payment(result: TransferResult, key: str | None) -> Payment:
    return Payment(
        id=result.id,
        status=result.status,
        from_account_id=result.debit_account_id,
        amount=result.amount,
        currency=result.currency,
        description=result.description,
        counterparty=result.merchant,
        created_at=result.created_at,
        idempotency_key=key,
        replayed=result.replayed,
    )


def _check_reason(reason: str) -> None:
    if reason not in BLOCK_REASONS:
        raise ValidationFailed(f"unknown card reason {reason!r}", reasons=sorted(BLOCK_REASONS))


def _check_query(query: TransactionQuery) -> None:
    """The API's parameter rules, so both adapters refuse the same queries."""
    if not 1 <= query.limit <= MAX_PAGE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE}", limit=query.limit)
    for bound in (query.min_amount, query.max_amount):
        if bound is not None and parse_amount(bound) < 0:
            raise ValidationFailed("amount filters apply to the absolute amount: use >= 0")
    if query.text is not None and len(query.text) > 100:
        raise ValidationFailed("search text is longer than 100 characters")
    if query.category is not None and len(query.category) > 40:
        raise ValidationFailed("category is longer than 40 characters")
    if query.cursor is not None and len(query.cursor) > 200:
        raise ValidationFailed("invalid cursor")
