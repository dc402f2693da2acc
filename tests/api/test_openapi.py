"""The OpenAPI document says what every route answers: the error envelope (never FastAPI's
own 422 body), the bearer scheme on every authenticated route, the headers the middleware
adds. tests/api/test_schemathesis.py checks the answers against it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openteller.api import create_app
from openteller.api.schemas import MONEY_PATTERN
from openteller.core import from_minor
from openteller.core.money import CURRENCY_EXPONENTS
from openteller.settings import Settings
from tests.api.conftest import SETTINGS

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    # Building and serving the document reads no database.
    return TestClient(create_app(Settings(database_url="sqlite://", **SETTINGS)))


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_docs_are_served(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text


def test_every_error_is_documented_in_the_envelope(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in json.dumps(document)
    assert "ValidationError" not in document["components"]["schemas"]
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")) or path == "/health":
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema == ENVELOPE, (method, path, status)
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in operation["responses"], (method, path)
        if "requestBody" in operation:
            assert {"400", "413"} <= set(operation["responses"]), (method, path)


def test_authenticated_routes_declare_the_bearer_scheme(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    public = set()
    for method, path, operation in _operations(document):
        secured = operation.get("security") == [{"bearerAuth": []}]
        assert secured == ("401" in operation["responses"] and path != "/v1/auth/token"), path
        if secured:
            assert "403" in operation["responses"], (method, path)
        else:
            public.add(f"{method.upper()} {path}")
    assert public == {
        "GET /",
        "GET /health",
        "GET /v1/bank",
        "GET /v1/products",
        "POST /v1/auth/token",
        "POST /v1/loans/quote",
    }


def test_middleware_headers_are_documented(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        for response in responses.values():
            assert response["headers"]["X-Request-ID"]["required"] is True
            assert ("RateLimit-Remaining" in response["headers"]) == (path != "/health")
        if path != "/health":
            assert "Retry-After" in responses["429"]["headers"], (method, path)
    replay = document["paths"]["/v1/payments"]["post"]["responses"]["200"]
    assert replay["headers"]["Idempotency-Replayed"]["schema"] == {
        "type": "string",
        "enum": ["true"],
    }


def test_the_token_endpoint_is_a_form_and_money_is_a_string(document: dict[str, Any]) -> None:
    token = document["paths"]["/v1/auth/token"]["post"]
    assert list(token["requestBody"]["content"]) == ["application/x-www-form-urlencoded"]
    schemas = document["components"]["schemas"]
    for model, field in [("Balances", "ledger"), ("Payment", "amount"), ("Offer", "apr")]:
        prop = schemas[model]["properties"][field]
        assert prop["type"] == "string", (model, field)
        assert prop["pattern"].startswith("^"), (model, field)
    assert schemas["PaymentBody"]["properties"]["amount"]["type"] == "string"


def test_the_money_pattern_fits_every_currency_the_core_accepts() -> None:
    for currency in CURRENCY_EXPONENTS:
        for minor in (0, 5, -5, 123456789, -100):
            assert re.fullmatch(MONEY_PATTERN, str(from_minor(minor, currency))), currency
