"""Payments over real HTTP, and the exactly-once checks against the database.

Each payment's description is its idempotency key, so the transfers it produced can be
counted in the database without knowing how the API namespaces keys in the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, text

NORMAL_TIMEOUT = 15.0  # seconds: long enough for any answer on a busy 2-core machine
OK = (200, 201)


@dataclass(frozen=True)
class Customer:
    """A signed-in customer and the accounts the tests pay from and to."""

    customer_id: int
    token: str
    checking: int
    savings: int
    payee: int
    payee_account: int  # the bank's settlement account that a payee payment credits


@dataclass(frozen=True)
class Payment:
    """One payment request; resending it means the same key and the same body."""

    key: str
    customer: Customer
    amount: Decimal
    to_savings: bool

    @property
    def debit(self) -> int:
        return self.customer.checking

    @property
    def credit(self) -> int:
        return self.customer.savings if self.to_savings else self.customer.payee_account

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "from_account_id": self.customer.checking,
            "amount": str(self.amount),
            "currency": "USD",
            "description": self.key,
        }
        if self.to_savings:
            body["to_account_id"] = self.customer.savings
        else:
            body["payee_id"] = self.customer.payee
        return body


@dataclass(frozen=True)
class Answer:
    """What the server answered to one send (a send with no answer is None)."""

    status: int
    payment_id: str | None
    replayed: str | None  # the Idempotency-Replayed header
    text: str


def send(client: httpx.Client, payment: Payment, read_timeout: float) -> Answer | None:
    """POST the payment once; None when no answer came (timeout, refused, reset)."""
    try:
        response = client.post(
            "/v1/payments",
            json=payment.body(),
            headers={
                "Authorization": f"Bearer {payment.customer.token}",
                "Idempotency-Key": payment.key,
            },
            # Connect normally, give up early on the answer: the server goes on with the
            # request after the client left, which is what a retry has to cope with.
            timeout=httpx.Timeout(NORMAL_TIMEOUT, read=read_timeout),
        )
    except httpx.TransportError:
        return None
    payment_id = response.json().get("id") if response.status_code in OK else None
    return Answer(
        response.status_code,
        None if payment_id is None else str(payment_id),
        response.headers.get("Idempotency-Replayed"),
        response.text[:300],
    )


def sign_in(base_url: str, engine: Engine, login: dict[str, Any]) -> Customer:
    """A token from the password grant, and the customer's accounts and first payee."""
    response = httpx.post(
        f"{base_url}/v1/auth/token",
        data={
            "grant_type": "password",
            "username": login["username"],
            "password": login["password"],
        },
        timeout=NORMAL_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    cid = int(login["customer_id"])
    with engine.connect() as conn:
        accounts: dict[str, int] = dict(
            conn.execute(
                text(
                    "SELECT CAST(kind AS TEXT), min(id) FROM accounts WHERE customer_id = :c "
                    "GROUP BY kind"
                ),
                {"c": cid},
            ).all()
        )
        payee = conn.execute(
            text(
                "SELECT id, settlement_account_id FROM payees WHERE customer_id = :c "
                "ORDER BY id LIMIT 1"
            ),
            {"c": cid},
        ).one()
    return Customer(
        cid,
        str(response.json()["access_token"]),
        int(accounts["checking"]),
        int(accounts["savings"]),
        int(payee.id),
        int(payee.settlement_account_id),
    )


def balances(engine: Engine) -> dict[int, int]:
    """Every account's ledger balance in minor units."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, balance_minor FROM accounts")).all()
    return {int(r.id): int(r.balance_minor) for r in rows}


def available(engine: Engine, account_id: int) -> Decimal:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT balance_minor - held_minor FROM accounts WHERE id = :a"),
            {"a": account_id},
        ).scalar_one()
    return Decimal(int(row)).scaleb(-2)


def last_transfer_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM transfers")).scalar_one())


def assert_exactly_once(
    engine: Engine,
    payments: list[Payment],
    payment_ids: dict[str, str],
    opening: dict[int, int],
    after_id: int,
) -> None:
    """Each payment is exactly one posted transfer (the one the API acknowledged), nothing
    else was written, and every balance is its opening balance moved by exactly the sum
    of the payments' amounts (Decimal, to the cent)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, description, CAST(status AS TEXT) AS status, amount_minor, "
                "debit_account_id, credit_account_id FROM transfers WHERE id > :after"
            ),
            {"after": after_id},
        ).all()
    by_key: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_key[row.description].append(row)
    keys = {p.key for p in payments}
    assert len(keys) == len(payments), "the test made two payments with one key"
    assert set(by_key) == keys, f"unexpected transfers: {sorted(set(by_key) - keys)[:5]}"
    for p in payments:
        found = by_key[p.key]
        assert len(found) == 1, f"{p.key} executed {len(found)} times: {found}"
        row = found[0]
        assert (row.status, row.debit_account_id, row.credit_account_id) == (
            "posted",
            p.debit,
            p.credit,
        ), row
        assert Decimal(int(row.amount_minor)).scaleb(-2) == p.amount
        assert str(row.id) == payment_ids[p.key], (p.key, row.id, payment_ids[p.key])
    moved: dict[int, Decimal] = defaultdict(Decimal)
    for p in payments:
        moved[p.debit] -= p.amount
        moved[p.credit] += p.amount
    now = balances(engine)
    assert set(now) == set(opening)
    for account, minor in opening.items():
        expected = Decimal(minor).scaleb(-2) + moved[account]
        assert Decimal(now[account]).scaleb(-2) == expected, (account, now[account], expected)
