"""Staff sign-in and the console endpoints: every role against every route, and customers
kept out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from openteller.core import (
    FixedClock,
    NewCustomer,
    StaffRole,
    ValidationFailed,
    create_customer,
    create_staff,
    make_engine,
    set_staff_active,
    upgrade,
)
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.core.models import Account, Customer
from openteller.settings import Settings
from tests.api.conftest import SETTINGS, get, token_for
from tests.conftest import NOW


@dataclass
class Console:
    client: TestClient
    engine: Engine
    customers: list[dict[str, Any]]
    staff: dict[str, dict[str, Any]]  # role -> login
    settings: Settings


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    from openteller.api import create_app

    url = f"sqlite:///{tmp_path / 'console.db'}"
    settings = Settings(database_url=url, **SETTINGS)
    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(NOW)
    seeded = seed_bank(
        engine, settings, SeedOptions(3, 1, 11, as_of=date(2026, 11, 14)), clock=clock
    )
    customers = [login.__dict__ for login in seeded.logins]
    staff = {login.role: login.__dict__ for login in seeded.staff_logins}
    with TestClient(create_app(settings, clock)) as client:
        yield Console(client, engine, customers, staff, settings)
    engine.dispose()


ROUTES = ["/v1/staff/me", "/v1/staff/bank", "/v1/staff/customers", "/v1/staff/customers/1"]
ROUTES.append("/v1/staff/ledger/check")
ALLOWED = {
    "/v1/staff/me": {"analyst", "compliance", "product"},
    "/v1/staff/bank": {"analyst", "compliance", "product"},
    "/v1/staff/customers": {"compliance"},
    "/v1/staff/customers/1": {"compliance"},
    "/v1/staff/ledger/check": {"compliance"},
}


def test_the_demo_bank_has_one_login_per_role(console: Console) -> None:
    assert sorted(console.staff) == ["analyst", "compliance", "product"]
    assert [console.staff[r]["username"] for r in sorted(console.staff)] == [
        "analyst@staff",
        "compliance@staff",
        "product@staff",
    ]


def test_a_staff_token_carries_the_console_scope_and_the_role(console: Console) -> None:
    response = console.client.post(
        "/v1/auth/token",
        data={"grant_type": "password", **_credentials(console.staff["compliance"])},
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "console"
    claims = jwt.decode(
        response.json()["access_token"],
        console.settings.secret_key.get_secret_value(),
        algorithms=["HS256"],
        options={"verify_exp": False},
    )
    assert (claims["sub"], claims["role"], claims["scope"]) == ("staff:2", "compliance", "console")


@pytest.mark.parametrize("role", ["analyst", "compliance", "product"])
def test_every_role_against_every_console_route(console: Console, role: str) -> None:
    token = token_for(console.client, console.staff[role])
    for route in ROUTES:
        response = get(console.client, route, token)
        expected = 200 if role in ALLOWED[route] else 403
        assert response.status_code == expected, (route, response.text)
        if expected == 403:
            assert response.json()["error"]["code"] == "forbidden"


def test_customers_are_kept_out_of_the_console(console: Console) -> None:
    token = token_for(console.client, console.customers[0])
    for route in ROUTES:
        response = get(console.client, route, token)
        assert response.status_code == 403, route
        assert response.json()["error"] == {
            "code": "forbidden",
            "message": "this endpoint is for bank staff",
            "details": {},
        }
    assert console.client.get("/v1/staff/me").status_code == 401


def test_staff_tokens_do_not_open_customer_resources(console: Console) -> None:
    token = token_for(console.client, console.staff["compliance"])
    for route in ("/v1/accounts", "/v1/cards", "/v1/payees", "/v1/loans"):
        response = get(console.client, route, token)
        assert response.status_code == 403, route
        assert response.json()["error"]["code"] == "forbidden"


def test_me_names_the_signed_in_member(console: Console) -> None:
    token = token_for(console.client, console.staff["product"])
    assert get(console.client, "/v1/staff/me", token).json() == {
        "id": "3",
        "username": "product@staff",
        "full_name": "Parker Lindqvist",
        "role": "product",
    }


def test_customer_search_filters_and_pages(console: Console) -> None:
    token = token_for(console.client, console.staff["compliance"])
    with console.engine.connect() as conn:
        rows = conn.execute(
            select(Customer.id, Customer.full_name, Customer.username, Customer.email).order_by(
                Customer.id
            )
        ).all()
    everyone = get(console.client, "/v1/staff/customers", token).json()
    assert [c["id"] for c in everyone["customers"]] == [str(r.id) for r in rows]
    assert everyone["next_after"] is None
    with console.engine.connect() as conn:
        owned = dict(
            conn.execute(
                select(Account.customer_id, func.count()).group_by(Account.customer_id)
            ).all()
        )
    assert [c["accounts"] for c in everyone["customers"]] == [owned[r.id] for r in rows]
    # A part of one surname, in another case, finds exactly the customers holding it.
    part = rows[1].full_name.split()[-1][1:4].upper()
    expected = [
        str(r.id)
        for r in rows
        if any(part.lower() in v.lower() for v in (r.full_name, r.username, r.email))
    ]
    assert str(rows[1].id) in expected
    assert len(expected) < len(rows)
    found = get(console.client, f"/v1/staff/customers?q={part}", token).json()["customers"]
    assert [c["id"] for c in found] == expected
    page1 = get(console.client, "/v1/staff/customers?limit=2", token).json()
    assert [c["id"] for c in page1["customers"]] == [str(rows[0].id), str(rows[1].id)]
    assert page1["next_after"] == str(rows[1].id)
    page2 = get(console.client, f"/v1/staff/customers?limit=2&after={rows[1].id}", token).json()
    assert [c["id"] for c in page2["customers"]] == [str(rows[2].id)]
    assert page2["next_after"] is None
    # A page that is exactly full is the last one when nobody follows: no empty extra page.
    exact = get(console.client, f"/v1/staff/customers?limit={len(rows)}", token).json()
    assert (len(exact["customers"]), exact["next_after"]) == (len(rows), None)
    assert get(console.client, "/v1/staff/customers?q=%25", token).json()["customers"] == []
    too_big = get(console.client, "/v1/staff/customers?limit=101", token)
    assert too_big.status_code == 422
    assert too_big.json()["error"]["code"] == "validation_failed"


def test_a_customer_record_shows_accounts_and_masks_the_ssn(console: Console) -> None:
    staff = token_for(console.client, console.staff["compliance"])
    customer = console.customers[0]
    own = get(console.client, "/v1/accounts", token_for(console.client, customer)).json()
    record = get(console.client, f"/v1/staff/customers/{customer['customer_id']}", staff).json()
    assert record["username"] == customer["username"]
    assert record["ssn_masked"].startswith("***-**-")
    assert len(record["ssn_masked"]) == 11
    assert "password_hash" not in record
    assert [a["id"] for a in record["accounts"]] == [a["id"] for a in own["accounts"]]
    first = record["accounts"][0]
    balance = get(
        console.client,
        f"/v1/accounts/{first['id']}/balances",
        token_for(console.client, customer),
    ).json()
    assert (first["ledger"], first["available"]) == (balance["ledger"], balance["available"])
    missing = get(console.client, "/v1/staff/customers/999999", staff)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_ids_beyond_the_id_range_are_422_not_500(console: Console) -> None:
    staff = token_for(console.client, console.staff["compliance"])
    for path, field in [
        (f"/v1/staff/customers/{2**31}", ["path", "customer_id"]),
        (f"/v1/staff/customers?after={2**31}", ["query", "after"]),
    ]:
        response = get(console.client, path, staff)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"]["errors"][0]["loc"] == field
    last = get(console.client, f"/v1/staff/customers?after={2**31 - 1}", staff)
    assert last.json() == {"customers": [], "next_after": None}


def test_ledger_check_reports_every_invariant(console: Console) -> None:
    token = token_for(console.client, console.staff["compliance"])
    report = get(console.client, "/v1/staff/ledger/check", token).json()
    assert report["ok"] is True
    assert len(report["checks"]) == 11
    assert report["violations"] == []


def test_a_deactivated_login_stops_at_once(console: Console) -> None:
    token = token_for(console.client, console.staff["analyst"])
    assert get(console.client, "/v1/staff/me", token).status_code == 200
    with console.engine.begin() as conn:
        set_staff_active(conn, "analyst@staff", False)
    refused = get(console.client, "/v1/staff/me", token)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "this staff login is no longer valid"
    login = console.client.post(
        "/v1/auth/token", data={"grant_type": "password", **_credentials(console.staff["analyst"])}
    )
    assert login.status_code == 401
    assert login.json()["error"]["message"] == "incorrect username or password"


def test_staff_sign_in_errors_look_like_customer_ones(console: Console) -> None:
    wrong = {"username": "compliance@staff", "password": "not-the-password"}
    unknown = {"username": "nobody@staff", "password": "whatever-it-is"}
    bodies = []
    for credentials in (wrong, unknown):
        response = console.client.post(
            "/v1/auth/token", data={"grant_type": "password", **credentials}
        )
        assert response.status_code == 401
        bodies.append(response.json())
    assert bodies[0] == bodies[1]
    customer_scope = console.client.post(
        "/v1/auth/token",
        data={
            "grant_type": "password",
            "scope": "accounts:read",
            **_credentials(console.staff["analyst"]),
        },
    )
    assert customer_scope.status_code == 422
    assert customer_scope.json()["error"]["details"] == {"scopes": ["accounts:read"]}


def test_staff_and_customer_names_never_collide(console: Console) -> None:
    with console.engine.begin() as conn:
        with pytest.raises(ValidationFailed, match="may not contain '@'"):
            create_customer(conn, _customer("eve@staff"), NOW)
        with pytest.raises(ValidationFailed, match="name@team"):
            create_staff(
                conn,
                username="eve",
                full_name="Eve",
                role=StaffRole.ANALYST,
                password_hash="!",
                now=NOW,
            )
        with pytest.raises(ValidationFailed, match="unknown staff role"):
            create_staff(
                conn,
                username="eve@staff",
                full_name="Eve",
                role="admin",
                password_hash="!",
                now=NOW,
            )


def _credentials(login: dict[str, Any]) -> dict[str, str]:
    return {"username": login["username"], "password": login["password"]}


def _customer(username: str) -> NewCustomer:
    return NewCustomer(
        username=username,
        password_hash="!",
        full_name="Eve Example",
        email="eve@example.com",
        phone="+1 555-010-0000",
        date_of_birth=date(1990, 1, 1),
        street="1 Main St",
        city="Springfield",
        state="IL",
        postal_code="62701",
        ssn_last4="0000",
    )
