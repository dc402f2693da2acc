"""Loan quotes with Reg Z figures, and X-Request-ID on every response."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openteller.api import create_app
from openteller.core import FixedClock, load_catalog, make_engine, read_spec, upgrade
from openteller.settings import Settings
from tests.conftest import NOW


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        load_catalog(conn, read_spec())
    engine.dispose()
    app = create_app(Settings(environment="test", database_url=url), FixedClock(NOW))
    with TestClient(app) as test_client:
        yield test_client


def test_quote_gives_every_tier_with_truth_in_lending_figures(client: TestClient) -> None:
    response = client.post("/v1/loans/quote", json={"amount": "10000.00", "term_months": 36})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [q["tier"] for q in body["quotes"]] == ["A", "B", "C", "D"]
    tier_b = body["quotes"][1]
    # Figures worked independently in tests/core/test_lending.py (12.99 %, 1 % fee).
    assert tier_b == {
        "tier": "B",
        "annual_rate": "12.99",
        "apr": "13.69",
        "payment": "336.89",
        "number_of_payments": 36,
        "origination_fee": "100.00",
        "amount_financed": "9900.00",
        "finance_charge": "2228.08",
        "total_of_payments": "12128.08",
        "first_payment_date": "2026-12-15",
    }
    aprs = [q["apr"] for q in body["quotes"]]
    assert aprs == sorted(aprs, key=float)


@pytest.mark.parametrize(
    ("amount", "echoed"), [("5E+3", "5000.00"), (5000.5, "5000.50"), ("5000", "5000.00")]
)
def test_the_quoted_amount_is_money_in_the_currencys_form(
    client: TestClient, amount: object, echoed: str
) -> None:
    # It was echoed as given ("5E+3", "5000.5"): not a money string.
    response = client.post("/v1/loans/quote", json={"amount": amount, "term_months": 24})
    assert response.status_code == 200, response.text
    assert (response.json()["currency"], response.json()["amount"]) == ("USD", echoed)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "500.00", "term_months": 36}, None),
        ({"amount": "10000.00", "term_months": 84}, None),
        ({"amount": "-1", "term_months": 36}, "amount"),
        ({"amount": "10.001", "term_months": 36}, "amount"),
        ({"amount": "1000", "term_months": 36, "extra": 1}, "extra"),
    ],
)
def test_bad_quotes_are_422_in_the_envelope(
    client: TestClient, body: dict[str, object], field: str | None
) -> None:
    response = client.post("/v1/loans/quote", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    if field is not None:
        assert field in [e["loc"][-1] for e in error["details"]["errors"]]


def test_request_id_is_echoed_or_minted(client: TestClient) -> None:
    echoed = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    minted = client.get("/v1/nothing", headers={"X-Request-ID": "bad id with spaces"})
    assert minted.status_code == 404
    assert len(minted.headers["X-Request-ID"]) == 32
    assert minted.headers["X-Request-ID"] != "bad id with spaces"


def test_an_unexpected_error_is_a_500_envelope_not_a_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openteller.api import app as app_module

    def broken(*_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app_module, "read_catalog", broken)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    app = create_app(Settings(environment="test", database_url=url))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/v1/products", headers={"X-Request-ID": "trace-500"})
        metrics = test_client.get("/metrics").text
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "internal server error", "details": {}}
    }
    assert "disk on fire" not in response.text
    assert response.headers["X-Request-ID"] == "trace-500"  # a 500 is traceable too
    assert (
        'openteller_http_requests_total{method="GET",route="/v1/products",status="500"} 1.0'
        in metrics
    )


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    client.get("/health")
    client.get("/health")
    client.post("/v1/loans/quote", json={"amount": "5000.00", "term_months": 24})
    client.get("/v1/nothing")
    text = client.get("/metrics").text
    assert 'openteller_http_requests_total{method="GET",route="/health",status="200"} 2.0' in text
    assert (
        'openteller_http_requests_total{method="POST",route="/v1/loans/quote",status="200"} 1.0'
        in text
    )
    assert 'openteller_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert "openteller_http_request_duration_seconds_bucket" in text
