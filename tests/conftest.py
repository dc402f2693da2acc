"""Shared fixtures: real SQLite files and a real PostgreSQL database per test session."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from openteller.core.accounts import NewCustomer, bank_account, create_customer, open_account
from openteller.core.catalog import load_catalog, read_spec
from openteller.core.clock import FixedClock
from openteller.core.db import make_engine, normalize_url
from openteller.core.ledger import Ledger, TransferRequest
from openteller.core.models import Base
from openteller.core.schema import upgrade

POSTGRES_URL = os.environ.get(
    "OPENTELLER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
# The newest migration: bump it with each new file in core/migrations/versions.
HEAD_REVISION = "0006"
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (xdist worker), dropped afterwards."""
    admin = create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES_URL}: {exc.orig}")
    name = f"ot_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalize_url(POSTGRES_URL)).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "bank.db"
        eng = make_engine(f"sqlite:///{path}")
        upgrade(eng)
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("postgres_engine")
        _truncate(eng)
        yield eng


@pytest.fixture
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("db") / "bank.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def luhn_ok(number: str) -> bool:
    """Independent Luhn check (not the code under test): double every second digit."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@dataclass
class Bank:
    """A tiny bank: catalog loaded, bank accounts open, helpers to add customers."""

    engine: Engine
    clock: FixedClock
    ledger: Ledger
    settlement: int
    rng: random.Random

    def customer(self, username: str) -> int:
        with self.engine.begin() as conn:
            return create_customer(
                conn,
                NewCustomer(
                    username=username,
                    password_hash="not-a-real-hash",
                    full_name=username.title(),
                    email=f"{username}@example.com",
                    phone="+1 555 0100",
                    date_of_birth=date(1990, 1, 1),
                    street="1 Main St",
                    city="Springfield",
                    state="IL",
                    postal_code="62701",
                    ssn_last4="1234",
                ),
                self.clock.now(),
            )

    def account(
        self, customer_id: int, product: str = "everyday_checking", floor: str = "0"
    ) -> int:
        with self.engine.begin() as conn:
            return open_account(
                conn,
                customer_id=customer_id,
                product_code=product,
                now=self.clock.now(),
                rng=self.rng,
                floor=Decimal(floor),
            )

    def fund(self, account_id: int, amount: str, key: str | None = None) -> None:
        self.ledger.transfer(
            TransferRequest(
                idempotency_key=key or f"fund-{account_id}-{uuid.uuid4().hex[:8]}",
                debit_account_id=self.settlement,
                credit_account_id=account_id,
                amount=Decimal(amount),
                currency="USD",
                kind="deposit",
            )
        )


@pytest.fixture
def bank(engine: Engine, clock: FixedClock) -> Bank:
    with engine.begin() as conn:
        load_catalog(conn, read_spec())
        settlement = bank_account(conn, "settlement:ach", "USD", clock.now())
    return Bank(engine, clock, Ledger(engine, clock), settlement, random.Random(7))
