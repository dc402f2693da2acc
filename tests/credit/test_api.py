"""The loan-application routes and the staff review queue, through the real app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from openteller.api import create_app
from openteller.api.routes import loan_applications
from openteller.core import FixedClock, make_engine, upgrade
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.credit import Scorecard
from openteller.settings import Settings
from tests.api.conftest import SETTINGS, token_for
from tests.conftest import NOW

STRONG = {
    "amount": "3000.00",
    "term_months": 12,
    "purpose": "car_used",
    "monthly_income": "4000.00",
    "employment": "employed",
    "employment_years": 5,
    "housing": "own",
    "property": "real_estate",
    "years_at_address": 5,
}
WEAK = {
    "amount": "12000.00",
    "term_months": 60,
    "purpose": "education",
    "monthly_income": "3000.00",
    "employment": "employed",
    "other_installment_plans": "bank",
    "credit_history": "no_credits",
}


@dataclass
class Api:
    client: TestClient
    customers: list[str]  # tokens
    staff: dict[str, str]  # role -> token


def _with_routes(app: FastAPI) -> FastAPI:
    """The app factory includes the router once the lead wires it; until then, here."""
    if not any(getattr(r, "path", "").startswith("/v1/loan-applications") for r in app.routes):
        app.include_router(loan_applications.router)
    return app


@pytest.fixture
def api(tmp_path: Path, scorecard: Scorecard) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path / 'credit.db'}"
    settings = Settings(database_url=url, **SETTINGS)
    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(NOW)
    seeded = seed_bank(
        engine, settings, SeedOptions(2, 1, 11, as_of=date(2026, 11, 14)), clock=clock
    )
    engine.dispose()
    with TestClient(_with_routes(create_app(settings, clock))) as client:
        customers = [token_for(client, login.__dict__) for login in seeded.logins]
        staff = {s.role: token_for(client, s.__dict__) for s in seeded.staff_logins}
        yield Api(client, customers, staff)


def _auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def _apply(api: Api, body: dict[str, Any], who: int = 0, key: str | None = None) -> Any:
    headers = _auth(api.customers[who]) | ({"Idempotency-Key": key} if key else {})
    return api.client.post("/v1/loan-applications", json=body, headers=headers)


def test_apply_approved_with_offers_then_get(api: Api, scorecard: Scorecard) -> None:
    response = _apply(api, STRONG)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["decision"], body["tier"]) == ("approved", "approve", "A")
    assert body["amount"] == "3000.00"
    assert body["currency"] == "USD"
    assert body["model_hash"] == scorecard.model_hash
    offer = body["offers"][0]
    assert (offer["apr"], offer["payment"], offer["number_of_payments"]) == ("10.89", "262.34", 12)
    assert (offer["finance_charge"], offer["total_of_payments"]) == ("178.10", "3148.10")
    assert body["notice"] is None
    assert body["reasons"] == []
    again = api.client.get(f"/v1/loan-applications/{body['id']}", headers=_auth(api.customers[0]))
    assert again.status_code == 200
    assert again.json() == body
    other = api.client.get(f"/v1/loan-applications/{body['id']}", headers=_auth(api.customers[1]))
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "not_found"


def test_apply_declined_with_notice(api: Api) -> None:
    body = _apply(api, WEAK, who=1).json()
    assert body["status"] == "declined"
    assert body["offers"] == []
    assert 1 <= len(body["reasons"]) <= 4
    assert body["reasons"][0]["statement"] in body["notice"]["text"]
    assert '<ol class="reasons">' in body["notice"]["html"]


def test_idempotency_replay_and_conflict(api: Api) -> None:
    first = _apply(api, STRONG, key="apply-1")
    replay = _apply(api, STRONG, key="apply-1")
    assert replay.status_code == 200
    assert replay.headers["Idempotency-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    conflict = _apply(api, STRONG | {"amount": "3100.00"}, key="apply-1")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_conflict"
    bad_key = _apply(api, STRONG, key="no spaces allowed")
    assert bad_key.status_code == 400


@pytest.mark.parametrize(
    ("changes", "status", "where"),
    [
        ({"monthly_income": "lots"}, 422, ["body", "monthly_income"]),
        ({"amount": "-1"}, 422, ["body", "amount"]),
        ({"term_months": 100000}, 422, ["body", "term_months"]),
        ({"purpose": "vacation"}, 422, ["body", "purpose"]),
        ({"age": 30}, 422, ["body", "age"]),  # a protected attribute is not even accepted
        ({"amount": "900000.00"}, 422, None),  # over the product's limit
        ({"term_months": 6}, 422, None),
        ({"product_code": "gold_bars"}, 404, None),
    ],
)
def test_bad_applications_are_refused(
    api: Api, changes: dict[str, Any], status: int, where: list[str] | None
) -> None:
    response = _apply(api, STRONG | changes)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    if where is not None:
        assert error["code"] == "validation_failed"
        assert where in [e["loc"] for e in error["details"]["errors"]]
    queue = api.client.get("/v1/staff/loan-applications", headers=_auth(api.staff["compliance"]))
    assert queue.json()["applications"] == []


def test_scopes_and_roles(api: Api) -> None:
    queue = "/v1/staff/loan-applications"
    assert api.client.get(queue, headers=_auth(api.customers[0])).status_code == 403
    assert api.client.get(queue, headers=_auth(api.staff["analyst"])).status_code == 403
    assert api.client.get(queue).status_code == 401
    staff_apply = api.client.post(
        "/v1/loan-applications", json=STRONG, headers=_auth(api.staff["compliance"])
    )
    assert staff_apply.status_code == 403


def test_staff_review_queue(api: Api) -> None:
    referred = STRONG | {
        "amount": "4000.00",
        "term_months": 36,
        "purpose": "furniture",
        "housing": "rent",
        "property": "car_other",
    }
    ids = []
    for who in (0, 1):
        body = _apply(api, referred, who=who).json()
        if body["status"] == "referred":
            ids.append(body["id"])
    assert len(ids) == 2, "both seeded customers score between the cut-offs"
    compliance = _auth(api.staff["compliance"])
    page = api.client.get("/v1/staff/loan-applications?limit=1", headers=compliance).json()
    assert [a["id"] for a in page["applications"]] == ids[:1]
    assert page["next_after"] == ids[0]
    detail = api.client.get(f"/v1/staff/loan-applications/{ids[0]}", headers=compliance).json()
    assert detail["key_factors"]
    assert detail["probability_of_default"].startswith("0.")
    review = api.client.post(
        f"/v1/staff/loan-applications/{ids[0]}/review",
        json={"decision": "decline", "note": "income could not be verified"},
        headers=compliance,
    )
    assert review.status_code == 200, review.text
    decided = review.json()
    assert decided["status"] == "declined"
    assert decided["decision"] == "refer"
    assert decided["review_note"] == "income could not be verified"
    assert decided["notice"]["text"].count("PRINCIPAL REASONS") == 1
    twice = api.client.post(
        f"/v1/staff/loan-applications/{ids[0]}/review",
        json={"decision": "approve", "note": "changed my mind"},
        headers=compliance,
    )
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "invalid_state"
    seen = api.client.get(f"/v1/loan-applications/{ids[0]}", headers=_auth(api.customers[0]))
    assert seen.json()["status"] == "declined"
