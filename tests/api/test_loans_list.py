"""`GET /v1/loans`: the customer's loans, outstanding principal and next instalment."""

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
from tests.api.conftest import SETTINGS, get, token_for
from tests.conftest import NOW


@pytest.fixture
def lender(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    url = f"sqlite:///{tmp_path / 'loans.db'}"
    settings = Settings(database_url=url, **SETTINGS)
    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(NOW)
    seeded = seed_bank(
        engine, settings, SeedOptions(12, 3, 7, as_of=date(2026, 11, 14)), clock=clock
    )
    with engine.connect() as conn:
        borrower = conn.exec_driver_sql("SELECT MIN(customer_id) FROM loans").scalar_one()
    engine.dispose()
    assert borrower is not None, "seed 7 plants 4 personal loans among 12 customers"
    login = next(x.__dict__ for x in seeded.logins if x.customer_id == borrower)
    with TestClient(create_app(settings, clock)) as client:
        yield client, login


def test_loans_show_contract_outstanding_and_next_payment(lender: Any) -> None:
    client, login = lender
    loans = get(client, "/v1/loans", token_for(client, login)).json()["loans"]
    engine = client.app.state.engine
    with engine.connect() as conn:
        expected = conn.exec_driver_sql(
            "SELECT l.id, l.principal_minor, l.payment_minor, a.balance_minor FROM loans l "
            "JOIN accounts a ON a.id = l.account_id WHERE l.customer_id = ? ORDER BY l.id",
            (login["customer_id"],),
        ).all()
        paid = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM transfers WHERE kind = 'loan_payment' AND debit_account_id IN "
            "(SELECT id FROM accounts WHERE customer_id = ?)",
            (login["customer_id"],),
        ).scalar_one()
    assert [loan["id"] for loan in loans] == [str(row[0]) for row in expected]
    loan, row = loans[0], expected[0]
    assert loan["principal"] == f"{row[1] / 100:.2f}"
    assert loan["payment"] == f"{row[2] / 100:.2f}"
    assert loan["outstanding"] == f"{-row[3] / 100:.2f}"
    assert loan["next_payment"]["number"] == paid + 1
    assert float(loan["apr"]) > float(loan["annual_rate"])  # the 1 % fee is in the APR
