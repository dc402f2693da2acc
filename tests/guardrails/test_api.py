"""GET /v1/compliance/audit: compliance staff only, pages in seq order, the chain check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from openteller.api.routes.compliance import router
from openteller.core import FixedClock, make_engine, upgrade
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.guardrails import AuditLog, AuditRecord
from openteller.settings import Settings
from tests.api.conftest import SETTINGS, get
from tests.conftest import NOW
from tests.guardrails.test_audit import tampering

PATH = "/v1/compliance/audit"


@dataclass
class Console:
    client: TestClient
    engine: Engine
    logins: dict[str, dict[str, str]]  # role (or "customer") -> credentials


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    from openteller.api import create_app

    url = f"sqlite:///{tmp_path / 'console.db'}"
    settings = Settings(database_url=url, **SETTINGS)
    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(NOW)
    seeded = seed_bank(
        engine, settings, SeedOptions(1, 1, 3, as_of=date(2026, 11, 14)), clock=clock
    )
    logins = {s.role: {"username": s.username, "password": s.password} for s in seeded.staff_logins}
    customer = seeded.logins[0]
    logins["customer"] = {"username": customer.username, "password": customer.password}
    log = AuditLog(engine, clock)
    for i in range(5):
        log.append([AuditRecord("grounding.numbers", "1", "block", f"fee ${i}", {"i": i}, "s1")])
    app = create_app(settings, clock)
    if not any(getattr(r, "path", None) == PATH for r in app.routes):
        app.include_router(router)  # until app.py includes it
    with TestClient(app) as client:
        yield Console(client, engine, logins)
    engine.dispose()


def _token(console: Console, who: str) -> str:
    response = console.client.post(
        "/v1/auth/token", data={"grant_type": "password", **console.logins[who]}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_compliance_pages_through_the_log_and_verifies_it(console: Console) -> None:
    token = _token(console, "compliance")
    first = get(console.client, f"{PATH}?limit=2&verify=true", token)
    assert first.status_code == 200, first.text
    body: dict[str, Any] = first.json()
    assert [e["seq"] for e in body["entries"]] == [1, 2]
    assert body["entries"][0]["excerpt"] == "fee $0"
    assert body["entries"][0]["occurred_at"] == "2026-11-15T12:00:00+00:00"
    assert body["next_after"] == 2
    assert body["chain"] == {
        "ok": True,
        "entries": 5,
        "first_bad_seq": None,
        "problem": None,
        "head_hash": body["chain"]["head_hash"],
    }
    rest = get(console.client, f"{PATH}?after=2&limit=10", token).json()
    assert [e["seq"] for e in rest["entries"]] == [3, 4, 5]
    assert rest["next_after"] is None
    assert rest["chain"] is None


def test_a_tampered_log_shows_in_the_chain_check(console: Console) -> None:
    with tampering(console.engine) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    body = get(console.client, f"{PATH}?verify=true", _token(console, "compliance")).json()
    assert body["chain"]["ok"] is False
    assert body["chain"]["first_bad_seq"] == 3


@pytest.mark.parametrize("who", ["analyst", "product", "customer"])
def test_other_roles_and_customers_are_refused(console: Console, who: str) -> None:
    response = get(console.client, PATH, _token(console, who))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_no_token_is_401(console: Console) -> None:
    assert console.client.get(PATH).status_code == 401
