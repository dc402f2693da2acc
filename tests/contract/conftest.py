"""One seeded bank, reached through either `CoreBanking` adapter.

`open_core` is parametrized: "local" opens `LocalCoreBanking` on the database; "http"
starts a real uvicorn server on a free loopback port, serving the API on the same
database, and opens `HttpCoreBanking` with a token from the password grant.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, text

from openteller.api import create_app
from openteller.core import (
    CoreBanking,
    FixedClock,
    HttpCoreBanking,
    Ledger,
    LocalCoreBanking,
    TransferRequest,
    make_engine,
    request_token,
    upgrade,
)
from openteller.core.demo.seeder import Login, SeedOptions, seed_bank
from openteller.core.lending import originate_loan, quote_loan
from openteller.core.models import Base
from openteller.settings import Settings
from tests.api.conftest import SETTINGS
from tests.conftest import NOW

SEED = SeedOptions(2, 1, 11, as_of=date(2026, 11, 14))
LOAN_AMOUNT = Decimal("10000.00")  # lent to the second customer: 36 months at tier B

Opener = Callable[[Login], CoreBanking]


@dataclass
class SeededBank:
    engine: Engine  # for readings independent of the adapters
    settings: Settings
    clock: FixedClock
    logins: list[Login]

    def ledger_balance(self, account_id: int) -> Decimal:
        """The account's balance straight from the accounts table."""
        with self.engine.connect() as conn:
            minor = conn.execute(
                text("SELECT balance_minor FROM accounts WHERE id = :id"), {"id": account_id}
            ).scalar_one()
        return Decimal(minor) / 100

    def rows(self, sql: str, **params: object) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def ids(self, sql: str, **params: object) -> list[int]:
        return [int(row[0]) for row in self.rows(sql, **params)]


class ApiServer:
    """The API under uvicorn in a background thread, on a loopback port the OS picked."""

    def __init__(self, app: FastAPI) -> None:
        # Bound here and handed to uvicorn: no window in which another process takes it.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(20)
        self._socket.close()


def truncate_all(engine: Engine) -> None:
    """Empty the shared PostgreSQL test database, ids restarting at 1."""
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def _lend(engine: Engine, clock: FixedClock, customer_id: int) -> None:
    """A personal loan of LOAN_AMOUNT: 9,900.00 paid to checking, the 1 % fee to the bank."""
    with engine.begin() as conn:
        offer = quote_loan(
            conn,
            product_code="personal_loan",
            principal=LOAN_AMOUNT,
            term_months=36,
            tier="B",
            advance_date=clock.now().date(),
        )
        booked = originate_loan(
            conn, customer_id=customer_id, offer=offer, now=clock.now(), rng=random.Random(5)
        )
        checking = conn.execute(
            text("SELECT id FROM accounts WHERE customer_id = :c AND kind = 'checking'"),
            {"c": customer_id},
        ).scalar_one()
        fee_income = conn.execute(
            text("SELECT id FROM accounts WHERE system_code = 'fee_income:USD'")
        ).scalar_one()
    ledger = Ledger(engine, clock)
    for key, credit, amount in (
        ("test-loan-disburse", checking, LOAN_AMOUNT - offer.origination_fee),
        ("test-loan-fee", fee_income, offer.origination_fee),
    ):
        ledger.transfer(
            TransferRequest(
                idempotency_key=key,
                debit_account_id=booked.account_id,
                credit_account_id=credit,
                amount=amount,
                currency="USD",
                kind="loan_disbursement",
            )
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def bank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SeededBank]:
    """The same small bank on each backend (ids restart, so they match too)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'contract.db'}"
        engine = make_engine(url)
        upgrade(engine)
    else:
        engine = request.getfixturevalue("postgres_engine")
        url = engine.url.render_as_string(hide_password=False)
        truncate_all(engine)
    settings = Settings(database_url=url, **SETTINGS)
    clock = FixedClock(NOW)
    seeded = seed_bank(engine, settings, SEED, clock=clock)
    _lend(engine, clock, seeded.logins[1].customer_id)
    yield SeededBank(engine, settings, clock, seeded.logins)
    if request.param == "sqlite":
        engine.dispose()


@pytest.fixture
def server(bank: SeededBank) -> Iterator[ApiServer]:
    running = ApiServer(create_app(bank.settings, bank.clock))
    running.start()
    yield running
    running.stop()


def local_opener(bank: SeededBank) -> Opener:
    def open_local(login: Login) -> CoreBanking:
        return LocalCoreBanking(bank.engine, bank.clock, login.customer_id, bank.settings)

    return open_local


@pytest.fixture(params=["local", "http"])
def open_core(request: pytest.FixtureRequest, bank: SeededBank) -> Iterator[Opener]:
    """Opens the port for a customer through the adapter under test."""
    if request.param == "local":
        yield local_opener(bank)
        return
    server: ApiServer = request.getfixturevalue("server")
    opened: list[HttpCoreBanking] = []

    def open_http(login: Login) -> CoreBanking:
        token = request_token(server.base_url, login.username, login.password)
        core = HttpCoreBanking(server.base_url, token.access_token)
        opened.append(core)
        return core

    yield open_http
    for core in opened:
        core.close()


@pytest.fixture
def me(open_core: Opener, bank: SeededBank) -> CoreBanking:
    """The first seeded customer: checking, credit card, a seeded loan, four payees."""
    return open_core(bank.logins[0])


@pytest.fixture
def them(open_core: Opener, bank: SeededBank) -> CoreBanking:
    """The second seeded customer, with the LOAN_AMOUNT loan."""
    return open_core(bank.logins[1])
