"""The bank's scorecard, trained once per test session into ./var/models (or
$OPENTELLER_MODEL_DIR) and shared between xdist workers through the model cache; a
small bank with customers whose accounts put them in known balance bands."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from openteller.core import LocalCoreBanking
from openteller.credit import ApplicationInput, CreditService, Scorecard, default_scorecard
from openteller.settings import Settings
from tests.conftest import Bank

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SETTINGS = Settings(environment="test")


@pytest.fixture(scope="session")
def scorecard() -> Scorecard:
    return default_scorecard()


def strong(**changes: object) -> ApplicationInput:
    """An application the scorecard approves at tier A with a funded checking account."""
    fields: dict[str, object] = {
        "amount": Decimal("3000"),
        "term_months": 12,
        "purpose": "car_used",
        "monthly_income": Decimal("4000"),
        "employment": "employed",
        "employment_years": 5,
        "housing": "own",
        "property": "real_estate",
        "years_at_address": 5,
    }
    return ApplicationInput(**(fields | changes))  # type: ignore[arg-type]


def weak(**changes: object) -> ApplicationInput:
    """An application the scorecard declines."""
    fields: dict[str, object] = {
        "amount": Decimal("12000"),
        "term_months": 60,
        "purpose": "education",
        "monthly_income": Decimal("3000"),
        "employment": "employed",
        "employment_years": 0,
        "other_installment_plans": "bank",
        "credit_history": "no_credits",
    }
    return ApplicationInput(**(fields | changes))  # type: ignore[arg-type]


@dataclass
class CreditBank:
    bank: Bank
    service: CreditService

    def customer(self, name: str, checking: str | None = "2500", savings: str | None = None) -> int:
        """A customer with a checking account holding `checking` (None: no checking
        account) and optionally a savings account."""
        customer_id = self.bank.customer(name)
        if checking is not None:
            account = self.bank.account(customer_id, floor="-500")
            if Decimal(checking) > 0:
                self.bank.fund(account, checking)
        if savings is not None:
            account = self.bank.account(customer_id, "high_yield_savings")
            self.bank.fund(account, savings)
        return customer_id

    def core(self, customer_id: int) -> LocalCoreBanking:
        return LocalCoreBanking(self.bank.engine, self.bank.clock, customer_id, SETTINGS)


@pytest.fixture
def credit(bank: Bank, scorecard: Scorecard) -> CreditBank:
    return CreditBank(bank, CreditService(bank.engine, bank.clock, SETTINGS, scorecard=scorecard))
