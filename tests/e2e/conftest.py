"""End-to-end fixtures: a fresh PostgreSQL database per test, seeded by the CLI, and
`openteller serve` subprocesses that are always killed (process group) afterwards."""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from openteller.core.db import normalize_url
from tests.conftest import POSTGRES_URL
from tests.e2e.server import Server, cli

SEED = "7"  # fixed: the same demo bank (and opening balances) on every run


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards (FORCE: a killed
    server's sessions may still be closing)."""
    admin = create_engine(
        normalize_url(POSTGRES_URL),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES_URL}: {exc.orig}")
    name = f"ot_e2e_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    """Environment of the CLI and server subprocesses: cheap password hashing, a random
    secret, and TMPDIR inside the test's directory (the server's metrics directory lands
    there, so even a server killed by SIGKILL leaves nothing behind in /tmp)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENTELLER_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        {
            "OPENTELLER_ENVIRONMENT": "test",
            "OPENTELLER_SECRET_KEY": secrets.token_urlsafe(48),
            "OPENTELLER_PASSWORD_HASH_MEMORY_KIB": "64",
            "OPENTELLER_PASSWORD_HASH_TIME_COST": "1",
            # These tests count requests and retries themselves: a 429 would only add
            # noise (the limiter has its own tests).
            "OPENTELLER_RATE_LIMIT_PER_MINUTE": "0",
            "TMPDIR": str(tmp),
            "COLUMNS": "200",
        }
    )
    return env


@pytest.fixture
def e2e_env(base_env: dict[str, str], pg_url: str) -> dict[str, str]:
    """The subprocess environment pointed at the test's PostgreSQL database."""
    return {**base_env, "OPENTELLER_DATABASE_URL": pg_url}


@pytest.fixture
def logins(e2e_env: dict[str, str], pg_url: str) -> list[dict[str, Any]]:
    """Seed a small demo bank with the CLI; its logins (username, password, customer_id)."""
    done = cli(e2e_env, "seed", "--customers", "4", "--months", "1", "--seed", SEED,
               "--as-of", "2026-10-31", "--reset", "--json", "--db", pg_url)  # fmt: skip
    assert done.returncode == 0, done.stderr
    found: list[dict[str, Any]] = json.loads(done.stdout)["logins"]
    return found


class StartServer(Protocol):
    def __call__(self, db_url: str, workers: int = 2) -> Server: ...


@pytest.fixture
def start_server(base_env: dict[str, str], tmp_path: Path) -> Iterator[StartServer]:
    """Start `openteller serve --workers N` on `db_url` (call it again after a crash).
    At the end every server started is stopped (SIGTERM), and its process group SIGKILLed
    whatever happened."""
    servers: list[Server] = []

    def start(db_url: str, workers: int = 2) -> Server:
        server = Server(base_env, db_url, tmp_path / "server.log", workers=workers)
        servers.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def ledger_check(env: dict[str, str], db_url: str) -> None:
    """`openteller ledger check` must exit 0."""
    done = cli(env, "ledger", "check", "--db", db_url)
    assert done.returncode == 0, f"ledger check failed:\n{done.stdout}\n{done.stderr}"
