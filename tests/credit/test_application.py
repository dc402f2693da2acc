"""Applications: bad input is refused with a clear error naming the field; accepted ones
map onto German Credit's characteristics as docs/credit.md tables them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from openteller.core import ValidationFailed
from openteller.credit import ApplicationInput, CoreFacts, characteristics
from tests.credit.conftest import CreditBank, strong


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "abc"}, "amount", "amount is not a number"),
        ({"amount": 1500.5}, "amount", "not a float"),
        ({"amount": "-5"}, "amount", "positive"),
        ({"amount": "0"}, "amount", "positive"),
        ({"amount": "12.345"}, "amount", "more than 2 decimals"),
        ({"amount": "NaN"}, "amount", "positive"),
        ({"monthly_income": "lots"}, "monthly_income", "not a number"),
        ({"monthly_income": "9999999"}, "monthly_income", "implausibly large"),
        ({"term_months": 0}, "term_months", "between 1 and 600"),
        ({"term_months": 10_000}, "term_months", "between 1 and 600"),
        ({"term_months": "12"}, "term_months", "whole number"),
        ({"purpose": "vacation"}, "purpose", "purpose must be one of"),
        ({"housing": "castle"}, "housing", "housing must be one of"),
        ({"dependents": -1}, "dependents", "between 0 and 20"),
        ({"employment_years": True}, "employment_years", "whole number"),
        ({"employment": "unemployed", "employment_years": 3}, "employment_years", "0 when"),
        ({"product_code": ""}, "product_code", "1 to 40"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message) as caught:
        strong(**changes)
    assert caught.value.details["field"] == field


def test_money_is_normalized_and_serialized_as_strings() -> None:
    application = strong(amount="3000", monthly_income=Decimal("4000.5"))
    assert application.amount == Decimal("3000.00")
    assert application.to_dict()["monthly_income"] == "4000.50"
    assert ApplicationInput(**application.to_dict()) == application


def test_mapping_to_characteristics() -> None:
    facts = CoreFacts(1, Decimal("2500"), 1, Decimal("6000"), 1)
    assert characteristics(strong(), facts) == {
        "checking_status": "high",
        "duration_months": 12,
        "credit_history": "paid_duly",
        "purpose": "car_used",
        "credit_amount": 3000,
        "savings": "high",
        "employment_since": "4_to_7_years",
        "installment_rate": 1,  # 3000 / 12 / 4000 = 6 % of income
        "other_debtors": "none",
        "residence_since": 3,
        "property": "real_estate",
        "other_installment_plans": "none",
        "housing": "own",
        "existing_credits": 2,  # one active loan + the one applied for
        "job": "skilled",
        "dependents": 1,
    }


@pytest.mark.parametrize(
    ("checking", "savings", "bands"),
    [
        ((0, "0"), (0, "0"), ("none", "none")),
        ((1, "-0.01"), (1, "499.99"), ("overdrawn", "very_low")),
        ((1, "0"), (1, "500"), ("low", "low")),
        ((1, "999.99"), (1, "2500"), ("low", "medium")),
        ((1, "1000"), (1, "5000"), ("high", "high")),
    ],
)
def test_balance_bands(
    checking: tuple[int, str], savings: tuple[int, str], bands: tuple[str, str]
) -> None:
    facts = CoreFacts(checking[0], Decimal(checking[1]), savings[0], Decimal(savings[1]), 0)
    values = characteristics(strong(), facts)
    assert (values["checking_status"], values["savings"]) == bands


@pytest.mark.parametrize(
    ("income", "rate"), [("2000", 1), ("1250", 2), ("1000", 3), ("714.29", 3), ("714", 4)]
)
def test_instalment_share_of_income_classes(income: str, rate: int) -> None:
    # 3000 over 12 months is 250 a month: 12.5 %, 20 %, 25 %, just under 35 %, 35 %+.
    assert (
        characteristics(strong(monthly_income=income), CoreFacts(0, Decimal(0), 0, Decimal(0), 0))[
            "installment_rate"
        ]
        == rate
    )


def test_employment_and_occupation_mapping() -> None:
    none = CoreFacts(0, Decimal(0), 0, Decimal(0), 3)
    jobless = characteristics(strong(employment="unemployed", employment_years=0), none)
    assert (jobless["employment_since"], jobless["job"]) == ("unemployed", "unskilled_nonresident")
    owner = characteristics(strong(employment="self_employed", employment_years=9), none)
    assert (owner["employment_since"], owner["job"]) == ("7_years_or_more", "management")
    assert characteristics(strong(dependents=2), none)["dependents"] == 2
    assert characteristics(strong(), none)["existing_credits"] == 4  # capped


def test_core_facts_come_from_the_customers_accounts(credit: CreditBank) -> None:
    customer = credit.customer("olga", checking="750.25", savings="1200")
    facts = CoreFacts.read(credit.core(customer))
    assert facts == CoreFacts(1, Decimal("750.25"), 1, Decimal("1200.00"), 0)
