"""Schemathesis against /openapi.json: every operation, with generated valid and invalid
input, answers no 5xx, only documented status codes, documented content types and
headers, and bodies that match their schemas.

The schema is read at import from an app with no database (building the document reads
none); the requests go to a seeded bank. Customer routes get a customer's token, staff
routes a compliance officer's (the role that may use all of them); rate limiting is off.
Path ids are drawn partly from the seeded bank, so operations on real resources (a
balance, a card block, a payment) are exercised, not only their 404s. Example counts are
bounded and generation is derandomized: a run is reproducible and takes about a minute
on two cores.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from openteller.api import create_app
from openteller.assistant import default_parser
from openteller.core import FixedClock, make_engine, upgrade
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.settings import Settings
from tests.api.conftest import SETTINGS
from tests.conftest import NOW

pytestmark = pytest.mark.slow

# Bounded for CI; raise it for a deeper local run (OPENTELLER_SCHEMATHESIS_EXAMPLES=500).
MAX_EXAMPLES = int(os.environ.get("OPENTELLER_SCHEMATHESIS_EXAMPLES", "25"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    unsupported_method,  # 405 with an `Allow` header for a method the path does not have
    ignored_auth,  # a secured operation refuses a request without a valid token
]
# Left out: `positive_data_acceptance` (a request can be valid by the schema and still be
# refused by a rule no schema can state: an ABA checksum, a product's loan limits) and
# `negative_data_rejection` (unknown query parameters are ignored, as HTTP APIs do, and
# amounts documented as decimal strings are also accepted as JSON numbers, on purpose).

# Ids that exist in the seeded bank (SeedOptions(2, 1, 11)): the signed-in customer's
# accounts, cards and payments, one of the other customer's (a 404), both customers.
KNOWN_IDS: dict[str, list[int]] = {
    "account_id": [9, 10, 11, 1],
    "card_id": [1, 2, 3],
    "payment_id": [58, 57, 1],
    "customer_id": [1, 2],
}

schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(database_url="sqlite://", **SETTINGS))
)


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Half the time, an id that exists instead of the generated one."""
    if not path_parameters:
        return st.just(path_parameters)
    known = {name: KNOWN_IDS[name] for name in path_parameters if name in KNOWN_IDS}
    if not known:
        return st.just(path_parameters)
    swapped = st.fixed_dictionaries(
        {name: st.sampled_from(ids) for name, ids in known.items()}
    ).map(lambda ids: {**path_parameters, **ids})
    return st.one_of(st.just(path_parameters), swapped)


@dataclass(frozen=True)
class Bank:
    app: FastAPI
    customer: dict[str, str]  # Authorization header
    staff: dict[str, str]


def _bearer(client: TestClient, username: str, password: str) -> dict[str, str]:
    response = client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Bank:
    url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'api.db'}"
    settings = Settings(database_url=url, rate_limit_per_minute=0, **SETTINGS)
    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(NOW)
    seeded = seed_bank(
        engine, settings, SeedOptions(2, 1, 11, as_of=date(2026, 11, 14)), clock=clock
    )
    engine.dispose()
    app = create_app(settings, clock)
    app.state.intent_parser = default_parser()  # POST /v1/chat talks to the real model
    client = TestClient(app)
    customer = seeded.logins[0]
    staff = next(login for login in seeded.staff_logins if login.role == "compliance")
    assert "@" in staff.username
    return Bank(
        app,
        _bearer(client, customer.username, customer.password),
        _bearer(client, staff.username, staff.password),
    )


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_every_operation_conforms_to_the_schema(case: schemathesis.Case[Any], bank: Bank) -> None:
    headers = bank.staff if case.path.startswith("/v1/staff/") else bank.customer
    case.call_and_validate(app=bank.app, headers=headers, checks=CHECKS)
