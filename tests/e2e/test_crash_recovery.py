"""Crash test: during a payment load one worker is killed with SIGKILL (uvicorn replaces
it), then the whole server is (process group, SIGKILL). After a restart every request that
was not acknowledged is sent again with its key: each payment exists exactly once."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
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
from tests.e2e.server import group_members

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

MAX_PER_CLIENT = 400  # the load stops at the crash, long before this
MAX_AMOUNT_MINOR = 100
IMPATIENT = 0.2  # share of sends that give up on the answer after 1 ms


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


class Load:
    """One client per customer sending new payments, each once, until stopped."""

    def __init__(self, base_url: str, customers: list[Customer], seed: int) -> None:
        self.base_url = base_url
        self.customers = customers
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.sent: list[Payment] = []
        self.acked: dict[str, Answer] = {}
        self.other: list[Answer] = []  # answers that were neither 200 nor 201
        self.failures: list[BaseException] = []
        self.threads = [
            threading.Thread(target=self._run, args=(n, c, self.rng.getrandbits(32)), daemon=True)
            for n, c in enumerate(customers)
        ]

    def _run(self, n: int, customer: Customer, seed: int) -> None:
        rng = random.Random(seed)
        try:
            with httpx.Client(base_url=self.base_url) as client:
                for i in range(MAX_PER_CLIENT):
                    if self.stop.is_set():
                        return
                    payment = Payment(
                        key=f"crash-{n}-{i}",
                        customer=customer,
                        amount=Decimal(rng.randint(1, MAX_AMOUNT_MINOR)).scaleb(-2),
                        to_savings=rng.random() < 0.5,
                    )
                    self.sent.append(payment)
                    # Some clients give up early: those requests run on without an answer,
                    # so the resend after the restart must replay them, not pay again.
                    impatient = rng.random() < IMPATIENT
                    answer = send(client, payment, 0.001 if impatient else NORMAL_TIMEOUT)
                    if answer is None:
                        time.sleep(0.02)  # the server is down or restarting a worker
                    elif answer.status in OK:
                        self.acked[payment.key] = answer
                    else:
                        self.other.append(answer)
        except BaseException as exc:  # re-raised in the test's thread
            self.failures.append(exc)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)
        assert not any(t.is_alive() for t in self.threads), "a client thread hung"
        assert not self.failures, self.failures


def _resend_until_answered(base_url: str, payment: Payment) -> Answer:
    with httpx.Client(base_url=base_url) as client:
        for _ in range(10):
            answer = send(client, payment, NORMAL_TIMEOUT)
            if answer is not None:
                return answer
            time.sleep(0.1)
    raise AssertionError(f"{payment.key}: no answer after the restart")


def test_payments_survive_killed_workers_and_a_killed_server(
    logins: list[dict[str, Any]],
    pg_url: str,
    e2e_env: dict[str, str],
    start_server: StartServer,
) -> None:
    server = start_server(pg_url)
    engine = make_engine(pg_url)
    load: Load | None = None
    try:
        customers = [sign_in(server.url, engine, login) for login in logins]
        budget = Decimal(MAX_PER_CLIENT * MAX_AMOUNT_MINOR).scaleb(-2)
        for c in customers:
            assert available(engine, c.checking) > budget, "the seeded bank cannot fund the test"
        opening = balances(engine)
        after = last_transfer_id(engine)

        load = running = Load(server.url, customers, seed=20261130)
        running.start()
        _wait(lambda: len(running.acked) >= 20, 30, "the first payments")
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        replacement = server.wait_for_workers(avoid={victim})
        assert victim not in replacement
        served = len(running.acked)
        _wait(lambda: len(running.acked) >= served + 20, 30, "payments after the worker restart")

        pgid = server.pid
        server.kill()  # the whole server at once, in the middle of the load
        assert group_members(pgid) == [], "a worker outlived the killed server"
        time.sleep(0.2)  # a few more sends meet a dead server
        load.finish()
        assert not load.other, load.other[:5]

        unacked = [p for p in load.sent if p.key not in load.acked]
        assert unacked, "every request was answered: the crash interrupted nothing"
        server = start_server(pg_url)  # same database, new port; the tokens are still valid
        answers = {p.key: _resend_until_answered(server.url, p) for p in unacked}
        for key, answer in answers.items():
            # Either it never ran (201 now) or it ran and only the answer was lost (replay).
            assert answer.status in OK, (key, answer)
            assert answer.replayed == (None if answer.status == 201 else "true"), (key, answer)
        statuses = {a.status for a in answers.values()}
        assert statuses == {200, 201}, f"expected both replays and first runs: {statuses}"
        payment_ids = {key: str(a.payment_id) for key, a in {**load.acked, **answers}.items()}
        for p in load.sent[:: max(1, len(load.sent) // 10)]:
            again = _resend_until_answered(server.url, p)
            assert (again.status, again.replayed) == (200, "true"), (p.key, again)
            assert again.payment_id == payment_ids[p.key]

        assert_exactly_once(engine, load.sent, payment_ids, opening, after)
    finally:
        if load is not None:
            load.stop.set()
        engine.dispose()
    ledger_check(e2e_env, pg_url)
