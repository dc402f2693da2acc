"""Customers, accounts, payees and the bank's own accounts."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from argon2 import PasswordHasher
from sqlalchemy import Connection, Table, insert, select, update

from openteller.core.errors import AlreadyExists, InvalidState, NotFound, ValidationFailed
from openteller.core.models import (
    Account,
    AccountKind,
    AccountStatus,
    Customer,
    Payee,
    Product,
)
from openteller.core.money import to_minor
from openteller.core.security import verify_password, verify_unknown

accounts_t = cast(Table, Account.__table__)
customers_t = cast(Table, Customer.__table__)
payees_t = cast(Table, Payee.__table__)
products_t = cast(Table, Product.__table__)

# First digit of an account number by kind: readable and keeps kinds apart.
_NUMBER_PREFIX = {
    AccountKind.CHECKING: "1",
    AccountKind.SAVINGS: "2",
    AccountKind.CREDIT_CARD: "3",
    AccountKind.LOAN: "4",
}

# The bank's own accounts, by system code (suffixed with the currency).
BANK_ACCOUNTS: dict[str, tuple[AccountKind, str]] = {
    "settlement:ach": (AccountKind.SETTLEMENT, "ACH settlement"),
    "settlement:card": (AccountKind.SETTLEMENT, "Card network settlement"),
    "settlement:wire": (AccountKind.SETTLEMENT, "Wire settlement"),
    "settlement:cash": (AccountKind.SETTLEMENT, "Cash and ATM settlement"),
    "fee_income": (AccountKind.FEE_INCOME, "Fee income"),
    "interest_expense": (AccountKind.INTEREST_EXPENSE, "Interest paid on deposits"),
    "interest_income": (AccountKind.INTEREST_INCOME, "Interest earned on credit"),
    "equity": (AccountKind.EQUITY, "Shareholders' equity"),
}


@dataclass(frozen=True)
class NewCustomer:
    username: str
    password_hash: str
    full_name: str
    email: str
    phone: str
    date_of_birth: date
    street: str
    city: str
    state: str
    postal_code: str
    ssn_last4: str
    segment: str = "retail"


def luhn_check_digit(digits: str) -> str:
    """The Luhn (mod 10) check digit for a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


_DIGITS = re.compile(r"[0-9]+")


def luhn_valid(number: str) -> bool:
    return bool(_DIGITS.fullmatch(number)) and luhn_check_digit(number[:-1]) == number[-1]


def create_customer(conn: Connection, customer: NewCustomer, now: datetime) -> int:
    if "@" in customer.username:
        # "@" marks a staff login (openteller.core.staff): the two never share a name.
        raise ValidationFailed("a customer username may not contain '@'")
    taken = conn.execute(
        select(customers_t.c.id).where(customers_t.c.username == customer.username)
    ).first()
    if taken is not None:
        raise AlreadyExists("username is taken", username=customer.username)
    values = {**customer.__dict__, "created_at": now}
    return int(
        conn.execute(insert(customers_t).values(values).returning(customers_t.c.id)).scalar_one()
    )


def _new_number(conn: Connection, kind: AccountKind, rng: random.Random) -> str:
    prefix = _NUMBER_PREFIX.get(kind, "9")
    for _ in range(20):
        body = prefix + "".join(str(rng.randrange(10)) for _ in range(8))
        number = body + luhn_check_digit(body)
        clash = conn.execute(select(accounts_t.c.id).where(accounts_t.c.number == number)).first()
        if clash is None:
            return number
    raise AlreadyExists("could not allocate a free account number")


def open_account(
    conn: Connection,
    *,
    customer_id: int,
    product_code: str,
    now: datetime,
    rng: random.Random,
    name: str | None = None,
    floor: Decimal | None = Decimal("0"),
) -> int:
    """Open a customer account of a catalog product.

    `floor` is the lowest balance allowed: 0 for savings, minus the overdraft line for
    checking, minus the credit limit for a card, minus the amount owed for a loan.
    """
    product = conn.execute(select(products_t).where(products_t.c.code == product_code)).first()
    if product is None:
        raise NotFound("product not found", product=product_code)
    if not product.active:
        raise InvalidState("product is no longer offered", product=product_code)
    owner = conn.execute(select(customers_t.c.id).where(customers_t.c.id == customer_id)).first()
    if owner is None:
        raise NotFound("customer not found", customer_id=customer_id)
    if floor is not None and floor > 0:
        raise ValidationFailed("an account floor cannot be above zero", floor=str(floor))
    kind = AccountKind(product.kind)
    values = {
        "number": _new_number(conn, kind, rng),
        "customer_id": customer_id,
        "product_code": product_code,
        "kind": kind,
        "name": name or product.name,
        "currency": product.currency,
        "status": AccountStatus.OPEN,
        "balance_minor": 0,
        "held_minor": 0,
        "min_balance_minor": None
        if floor is None
        else -to_minor(-floor, product.currency, positive=False),
        "opened_at": now,
    }
    return int(
        conn.execute(insert(accounts_t).values(values).returning(accounts_t.c.id)).scalar_one()
    )


def bank_account(conn: Connection, code: str, currency: str, now: datetime) -> int:
    """Id of one of the bank's own accounts (`BANK_ACCOUNTS`), opened on first use."""
    if code not in BANK_ACCOUNTS:
        raise NotFound("unknown bank account", code=code)
    system_code = f"{code}:{currency}"
    found = conn.execute(
        select(accounts_t.c.id).where(accounts_t.c.system_code == system_code)
    ).scalar_one_or_none()
    if found is not None:
        return int(found)
    kind, name = BANK_ACCOUNTS[code]
    index = list(BANK_ACCOUNTS).index(code)
    values = {
        "number": f"9{index:02d}{currency}".ljust(10, "0"),
        "system_code": system_code,
        "customer_id": None,
        "product_code": None,
        "kind": kind,
        "name": f"{name} ({currency})",
        "currency": currency,
        "status": AccountStatus.OPEN,
        "balance_minor": 0,
        "held_minor": 0,
        "min_balance_minor": None,
        "opened_at": now,
    }
    return int(
        conn.execute(insert(accounts_t).values(values).returning(accounts_t.c.id)).scalar_one()
    )


def set_account_status(
    conn: Connection, account_id: int, status: AccountStatus, now: datetime
) -> None:
    """Freeze, reopen or close an account. Closing needs a zero balance and no holds."""
    row = conn.execute(select(accounts_t).where(accounts_t.c.id == account_id)).first()
    if row is None:
        raise NotFound("account not found", account_id=account_id)
    if row.status == AccountStatus.CLOSED:
        raise InvalidState("account is closed", account_id=account_id)
    if status == AccountStatus.CLOSED and (row.balance_minor != 0 or row.held_minor != 0):
        raise InvalidState(
            "only an account with a zero balance can be closed", account_id=account_id
        )
    conn.execute(
        update(accounts_t)
        .where(accounts_t.c.id == account_id)
        .values(status=status, closed_at=now if status == AccountStatus.CLOSED else None)
    )


def add_payee(
    conn: Connection,
    *,
    customer_id: int,
    name: str,
    bank_name: str,
    routing_number: str,
    account_last4: str,
    settlement_account_id: int,
    now: datetime,
) -> int:
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationFailed("payee name must be 1-120 characters")
    if not (
        _DIGITS.fullmatch(routing_number)
        and len(routing_number) == 9
        and _aba_valid(routing_number)
    ):
        raise ValidationFailed("routing number must be a valid 9-digit ABA number")
    if not (_DIGITS.fullmatch(account_last4) and len(account_last4) == 4):
        raise ValidationFailed("account_last4 must be 4 digits")
    if not bank_name.strip() or len(bank_name) > 120:
        raise ValidationFailed("bank name must be 1-120 characters")
    clash = conn.execute(
        select(payees_t.c.id).where(payees_t.c.customer_id == customer_id, payees_t.c.name == name)
    ).first()
    if clash is not None:
        raise AlreadyExists("a payee with this name exists", name=name)
    values = {
        "customer_id": customer_id,
        "name": name,
        "bank_name": bank_name,
        "routing_number": routing_number,
        "account_last4": account_last4,
        "settlement_account_id": settlement_account_id,
        "created_at": now,
    }
    return int(conn.execute(insert(payees_t).values(values).returning(payees_t.c.id)).scalar_one())


def _aba_valid(routing: str) -> bool:
    """ABA routing number checksum (weights 3, 7, 1)."""
    d = [int(c) for c in routing]
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return total % 10 == 0


def aba_check_digit(first8: str) -> str:
    d = [int(c) for c in first8]
    partial = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5])
    return str((10 - partial % 10) % 10)


@dataclass(frozen=True)
class AccountView:
    """A customer account as channels show it (the full number is never needed there)."""

    id: int
    customer_id: int
    number_last4: str
    kind: AccountKind
    product_code: str
    name: str
    currency: str
    status: AccountStatus
    opened_at: datetime


def _view(row: Any) -> AccountView:
    return AccountView(
        id=row.id,
        customer_id=row.customer_id,
        number_last4=row.number[-4:],
        kind=AccountKind(row.kind),
        product_code=row.product_code,
        name=row.name,
        currency=row.currency,
        status=AccountStatus(row.status),
        opened_at=row.opened_at,
    )


def customer_accounts(conn: Connection, customer_id: int) -> list[AccountView]:
    """The customer's own accounts, oldest first."""
    rows = conn.execute(
        select(accounts_t).where(accounts_t.c.customer_id == customer_id).order_by(accounts_t.c.id)
    )
    return [_view(r) for r in rows]


def customer_account(conn: Connection, customer_id: int, account_id: int) -> AccountView:
    """One of the customer's accounts; another customer's id is `NotFound` like a missing one."""
    row = conn.execute(
        select(accounts_t).where(
            accounts_t.c.id == account_id, accounts_t.c.customer_id == customer_id
        )
    ).first()
    if row is None:
        raise NotFound("account not found", account_id=account_id)
    return _view(row)


@dataclass(frozen=True)
class PayeeView:
    id: int
    name: str
    bank_name: str
    routing_number: str
    account_last4: str
    created_at: datetime


def customer_payees(conn: Connection, customer_id: int) -> list[PayeeView]:
    """The customer's payees, by name."""
    rows = conn.execute(
        select(payees_t).where(payees_t.c.customer_id == customer_id).order_by(payees_t.c.name)
    )
    return [
        PayeeView(r.id, r.name, r.bank_name, r.routing_number, r.account_last4, r.created_at)
        for r in rows
    ]


def authenticate_customer(
    conn: Connection, hasher: PasswordHasher, username: str, password: str
) -> int | None:
    """The customer's id when the password is theirs; None for a wrong password or an
    unknown name (both cost one hash verification)."""
    row = conn.execute(
        select(customers_t.c.id, customers_t.c.password_hash).where(
            customers_t.c.username == username
        )
    ).first()
    if row is None:
        verify_unknown(hasher, password)
        return None
    return int(row.id) if verify_password(hasher, row.password_hash, password) else None
