"""Fixtures for API tests: a small seeded bank behind a TestClient, and login helpers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openteller.api import create_app
from openteller.core import FixedClock, make_engine, upgrade
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.settings import Settings
from tests.conftest import NOW

SETTINGS: dict[str, Any] = {
    "environment": "test",
    "password_hash_memory_kib": 64,
    "password_hash_time_cost": 1,
}


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[tuple[TestClient, list[dict[str, Any]], FixedClock]]:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    settings = Settings(database_url=url, **SETTINGS)
    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(NOW)
    seeded = seed_bank(
        engine, settings, SeedOptions(2, 1, 11, as_of=date(2026, 11, 14)), clock=clock
    )
    engine.dispose()
    logins = [login.__dict__ for login in seeded.logins]
    with TestClient(create_app(settings, clock)) as client:
        yield client, logins, clock


def token_for(client: TestClient, login: dict[str, Any], scope: str = "") -> str:
    response = client.post(
        "/v1/auth/token",
        data={
            "grant_type": "password",
            "username": login["username"],
            "password": login["password"],
            "scope": scope,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    return str(body["access_token"])


def get(client: TestClient, path: str, token: str) -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {token}"})
