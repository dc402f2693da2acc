"""The insights service over a real ledger (SQLite and PostgreSQL): alerts stored once,
runs recorded, the customer's own alerts only."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openteller.core import InsightRun, NotFound, ValidationFailed
from openteller.core.ledger import TransferRequest
from openteller.insights.service import InsightsService
from openteller.settings import Settings
from tests.api.conftest import SETTINGS
from tests.conftest import Bank


def _service(bank: Bank) -> InsightsService:
    url = bank.engine.url.render_as_string(hide_password=False)
    return InsightsService(bank.engine, bank.clock, Settings(database_url=url, **SETTINGS))


def _purchase(bank: Bank, account: int, amount: str, merchant: str, minutes_ago: int) -> int:
    return bank.ledger.transfer(
        TransferRequest(
            idempotency_key=f"buy-{account}-{merchant.replace(' ', '_')}-{minutes_ago}",
            debit_account_id=account,
            credit_account_id=bank.settlement,
            amount=Decimal(amount),
            currency="USD",
            kind="card_purchase",
            description=merchant,
            merchant=merchant,
            category="groceries",
            channel="card",
            location="Springfield, IL",
            occurred_at=bank.clock.now() - timedelta(minutes=minutes_ago),
        )
    ).id


@pytest.fixture
def dana(bank: Bank) -> tuple[int, int]:
    customer = bank.customer("dana")
    checking = bank.account(customer)
    bank.fund(checking, "5000.00", key="fund-dana")
    return customer, checking


def test_a_double_charge_is_one_alert_and_a_rerun_raises_nothing_new(
    bank: Bank, dana: tuple[int, int]
) -> None:
    customer, checking = dana
    _purchase(bank, checking, "54.20", "Costco", 120)  # 10:00 UTC = 5:00 AM in New York
    second = _purchase(bank, checking, "54.20", "Costco", 110)
    service = _service(bank)

    first_run = service.run()
    again = service.run()

    assert (first_run.customers, first_run.alerts_created, first_run.by_kind) == (
        1,
        1,
        {"duplicate_charge": 1},
    )
    assert first_run.transactions == 3  # the deposit and the two charges
    assert (again.alerts_created, again.by_kind) == (0, {})
    with bank.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(InsightRun)).scalar() == 2
    [alert] = service.alerts(customer)
    assert (alert.kind, alert.severity, alert.status, alert.title) == (
        "duplicate_charge",
        "medium",
        "new",
        "Possible duplicate charge",
    )
    assert alert.message == (
        "Costco charged you $54.20 twice: on Nov 15, 2026 at 5:00 AM and 5:10 AM. "
        "If you made only one purchase, you can dispute the second charge."
    )
    assert (alert.amount, alert.transaction_id, alert.account_id) == (
        Decimal("54.20"),
        second,
        checking,
    )
    assert alert.facts == {"amount": "54.20", "date": "2026-11-15", "merchant": "Costco"}


def test_process_new_looks_only_at_customers_with_new_postings(
    bank: Bank, dana: tuple[int, int]
) -> None:
    customer, checking = dana
    other = bank.customer("eli")
    bank.fund(bank.account(other), "100.00", key="fund-eli")
    service = _service(bank)
    assert service.run().customers == 2

    assert service.process_new().customers == 0
    _purchase(bank, checking, "12.00", "Corner Deli", 30)
    _purchase(bank, checking, "12.00", "Corner Deli", 20)
    # A run over one named customer does not move the watermark for the others.
    assert (service.run([other]).mode, service.run([other]).customers) == ("customers", 1)
    result = service.process_new()

    assert (result.mode, result.customers, result.alerts_created) == ("incremental", 1, 1)
    assert [a.kind for a in service.alerts(customer)] == ["duplicate_charge"]
    assert service.alerts(other) == []
    assert service.process_new().customers == 0


def test_seen_dismissed_and_another_customers_alert(bank: Bank, dana: tuple[int, int]) -> None:
    customer, checking = dana
    _purchase(bank, checking, "54.20", "Costco", 120)
    _purchase(bank, checking, "54.20", "Costco", 110)
    service = _service(bank)
    service.run()
    [alert] = service.alerts(customer, status="new")
    stranger = bank.customer("mallory")

    service.mark_seen(customer, [alert.id])
    assert [a.status for a in service.alerts(customer)] == ["seen"]
    assert service.alerts(customer, status="new") == []
    with pytest.raises(NotFound):
        service.dismiss(stranger, alert.id)
    assert service.dismiss(customer, alert.id).status == "dismissed"
    assert service.dismiss(customer, alert.id).status == "dismissed"  # twice is once
    service.mark_seen(customer, [alert.id])  # a dismissed alert stays dismissed
    assert [a.status for a in service.alerts(customer)] == ["dismissed"]
    with pytest.raises(ValidationFailed):
        service.alerts(customer, status="archived")


def test_transactions_are_the_customers_own_postings_by_local_date(
    bank: Bank, dana: tuple[int, int]
) -> None:
    customer, checking = dana
    early = _purchase(bank, checking, "20.00", "Bakery", 60 * 11)  # 01:00 UTC = Nov 14 local
    late = _purchase(bank, checking, "30.00", "Bakery", 60)
    service = _service(bank)

    on_14th = service.transactions(customer, date(2026, 11, 14), date(2026, 11, 14))
    on_15th = service.transactions(customer, date(2026, 11, 15), date(2026, 11, 15))

    assert [(t.id, t.amount) for t in on_14th] == [(early, Decimal("-20.00"))]
    # The deposit was booked at noon UTC, after the purchase at 11:00 UTC.
    assert (on_15th[0].id, on_15th[0].amount) == (late, Decimal("-30.00"))
    assert [t.amount for t in on_15th] == [Decimal("-30.00"), Decimal("5000.00")]
    assert {t.customer_id for t in service.transactions(customer)} == {customer}
    with pytest.raises(ValidationFailed):
        service.transactions(customer, date(2026, 11, 15), date(2026, 11, 14))
