"""The service at this stage: health, bank overview, catalog, one error envelope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openteller.api import create_app
from openteller.core import make_engine, upgrade
from openteller.settings import Settings
from tests.conftest import HEAD_REVISION


def _client(url: str) -> Iterator[TestClient]:
    app = create_app(Settings(environment="test", database_url=url))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    engine = make_engine(url)
    upgrade(engine)
    from openteller.core import load_catalog, read_spec

    with engine.begin() as conn:
        load_catalog(conn, read_spec())
    engine.dispose()
    yield from _client(url)


def test_health_reports_database_and_revision(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "version": "0.1.0",
        "database": "sqlite",
        "schema_revision": HEAD_REVISION,
    }


def test_health_is_503_before_migrations(tmp_path: Path) -> None:
    for client in _client(f"sqlite:///{tmp_path / 'empty.db'}"):
        response = client.get("/health")
        assert response.status_code == 503
        assert response.json()["status"] == "migrations_pending"


def test_products_come_from_the_catalog(client: TestClient) -> None:
    products = {p["code"]: p for p in client.get("/v1/products").json()["products"]}
    assert len(products) == 5
    fees = {f["code"]: f for f in products["everyday_checking"]["fees"]}
    assert fees["overdraft"]["amount"] == "35.00"
    rates = {(r["code"], r["tier"]): r for r in products["cashback_credit_card"]["rates"]}
    assert rates[("purchase_apr", "B")]["percent"] == "24.49"


def test_unknown_route_uses_the_error_envelope(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not Found", "details": {}}
    }


def test_bank_overview_counts(client: TestClient) -> None:
    data = client.get("/v1/bank").json()
    assert data["customers"] == 0
    assert data["name"] == "OpenTeller Demo Bank"
    page = client.get("/")
    assert page.status_code == 200
    assert "<h1>OpenTeller Demo Bank</h1>" in page.text
