"""Concurrent payments against `openteller serve --workers 2` on PostgreSQL: clients retry
every request with its key, also after giving up early on the answer, and sometimes send
the same request twice at once. Each key must execute exactly once."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from decimal import Decimal
from typing import Any

import httpx
import pytest

from openteller.core import make_engine
from tests.e2e.conftest import StartServer, ledger_check
from tests.e2e.payments import (
    NORMAL_TIMEOUT,
    OK,
    Answer,
    Customer,
    Payment,
    assert_exactly_once,
    available,
    balances,
    last_transfer_id,
    send,
    sign_in,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

THREADS_PER_CUSTOMER = 2
CUSTOMERS = 2
PAYMENTS_PER_THREAD = 15
# Read timeouts of a deliberately impatient client: 1 ms never gets the answer, the
# others sometimes do, so retries meet requests that are still running on the server.
SHORT_TIMEOUTS = (0.001, 0.005, 0.02, 0.05)


def _client(
    base_url: str,
    payments: list[Payment],
    rng: random.Random,
    answers: dict[str, list[Answer | None]],
) -> None:
    """Send each payment 1-4 times (some impatient, some twice at once), then until a
    send is answered; every send of a payment reuses its key and body."""

    def record(payment: Payment, answer: Answer | None) -> None:
        answers[payment.key].append(answer)  # list.append is atomic: no lock needed

    def twice(client: httpx.Client, payment: Payment, timeout: float) -> None:
        # A double click: the same request on another connection at the same moment.
        def other() -> None:
            with httpx.Client(base_url=base_url) as second:
                record(payment, send(second, payment, timeout))

        thread = threading.Thread(target=other)
        thread.start()
        record(payment, send(client, payment, timeout))
        thread.join()

    with httpx.Client(base_url=base_url) as client:
        for payment in payments:
            for _ in range(rng.randint(1, 4)):
                impatient = rng.random() < 0.4
                timeout = rng.choice(SHORT_TIMEOUTS) if impatient else NORMAL_TIMEOUT
                if rng.random() < 0.15:
                    twice(client, payment, timeout)
                else:
                    record(payment, send(client, payment, timeout))
            for _ in range(20):
                if any(a is not None and a.status in OK for a in answers[payment.key]):
                    break
                record(payment, send(client, payment, NORMAL_TIMEOUT))


def _plan(customers: list[Customer], rng: random.Random) -> list[list[Payment]]:
    plans = []
    for t in range(len(customers) * THREADS_PER_CUSTOMER):
        customer = customers[t % len(customers)]
        plans.append(
            [
                Payment(
                    key=f"e2e-{t}-{i}-{rng.getrandbits(32):08x}",
                    customer=customer,
                    amount=Decimal(rng.randint(1, 999)).scaleb(-2),
                    to_savings=rng.random() < 0.5,
                )
                for i in range(PAYMENTS_PER_THREAD)
            ]
        )
    return plans


def test_each_key_executes_exactly_once_under_concurrent_retries(
    logins: list[dict[str, Any]], pg_url: str, e2e_env: dict[str, str], start_server: StartServer
) -> None:
    server = start_server(pg_url)
    engine = make_engine(pg_url)
    try:
        customers = [sign_in(server.url, engine, login) for login in logins[:CUSTOMERS]]
        rng = random.Random(20261129)
        plans = _plan(customers, rng)
        payments = [p for plan in plans for p in plan]
        for c in customers:
            spent = sum((p.amount for p in payments if p.customer == c), Decimal(0))
            assert available(engine, c.checking) > spent, "the seeded bank cannot fund the test"
        opening = balances(engine)
        after = last_transfer_id(engine)

        answers: dict[str, list[Answer | None]] = defaultdict(list)
        failures: list[BaseException] = []

        def run(plan: list[Payment], seed: int) -> None:
            try:
                _client(server.url, plan, random.Random(seed), answers)
            except BaseException as exc:  # re-raised in the test's thread
                failures.append(exc)

        threads = [threading.Thread(target=run, args=(plan, rng.getrandbits(32))) for plan in plans]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not any(t.is_alive() for t in threads), "a client thread hung"
        assert not failures, failures

        payment_ids: dict[str, str] = {}
        for p in payments:
            got = [a for a in answers[p.key] if a is not None]
            assert got, f"{p.key} was never answered:\n{server.tail()}"
            assert all(a.status in OK for a in got), (p.key, got)
            assert len({a.payment_id for a in got}) == 1, (p.key, got)
            assert sum(a.status == 201 for a in got) <= 1, (p.key, got)
            for a in got:  # the first execution is 201; every replay says so, with 200
                assert a.replayed == (None if a.status == 201 else "true"), (p.key, a)
            payment_ids[p.key] = str(got[0].payment_id)
        sends = [a for p in payments for a in answers[p.key]]
        assert any(a is None for a in sends), "no client timed out: the retries were not tested"
        assert sum(a is not None and a.status == 200 for a in sends) >= len(payments) // 2

        assert_exactly_once(engine, payments, payment_ids, opening, after)
        for c in customers:  # the API shows the same exact balances
            body = httpx.get(
                f"{server.url}/v1/accounts/{c.checking}/balances",
                headers={"Authorization": f"Bearer {c.token}"},
                timeout=NORMAL_TIMEOUT,
            ).json()
            assert Decimal(body["ledger"]) == Decimal(balances(engine)[c.checking]).scaleb(-2)
    finally:
        engine.dispose()
    ledger_check(e2e_env, pg_url)
