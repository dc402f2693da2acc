"""From a loan application and the customer's accounts to the scorecard's characteristics.

What the applicant says (`ApplicationInput`) and what the bank knows (`CoreFacts`, read
from the core through the `CoreBanking` port) are mapped to German Credit's
characteristics; docs/credit.md tables the mapping. Validation happens at construction:
an application that cannot be scored is refused before anything is read or written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, get_args

from openteller.core import CoreBanking, ValidationFailed

Purpose = Literal[
    "car_new",
    "car_used",
    "furniture",
    "electronics",
    "appliances",
    "repairs",
    "education",
    "retraining",
    "business",
    "other",
]
Employment = Literal["employed", "self_employed", "unemployed"]
Occupation = Literal["unskilled", "skilled", "management"]
Housing = Literal["rent", "own", "free"]
Property = Literal["real_estate", "savings_insurance", "car_other", "none"]
OtherPlans = Literal["none", "bank", "stores"]
CoSigner = Literal["none", "co_applicant", "guarantor"]
History = Literal["no_credits", "all_paid_here", "paid_duly", "past_delays", "critical"]

MAX_MONTHLY_INCOME = Decimal("1000000")
MAX_YEARS = 80
MAX_DEPENDENTS = 20

# Balance bands (the bank's calibration of German Credit's DM bands; docs/credit.md).
CHECKING_LOW_BELOW = Decimal("1000")
SAVINGS_BANDS = (Decimal("500"), Decimal("2500"), Decimal("5000"))  # very_low|low|medium|high


@dataclass(frozen=True)
class ApplicationInput:
    """What a customer states when applying for a personal loan.

    Money is `Decimal` (a string is accepted and parsed); every field is checked at
    construction and a bad one raises `ValidationFailed` naming it.
    """

    amount: Decimal
    term_months: int
    purpose: Purpose
    monthly_income: Decimal
    employment: Employment
    employment_years: int = 0  # with the current employer or business
    occupation: Occupation = "skilled"
    housing: Housing = "rent"
    dependents: int = 0
    years_at_address: int = 0
    property: Property = "none"  # the most valuable asset
    other_installment_plans: OtherPlans = "none"
    co_signer: CoSigner = "none"
    # In production this comes from a credit bureau adapter; here the applicant states it.
    credit_history: History = "paid_duly"
    product_code: str = "personal_loan"

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _money(self.amount, "amount"))
        object.__setattr__(self, "monthly_income", _money(self.monthly_income, "monthly_income"))
        if self.monthly_income > MAX_MONTHLY_INCOME:
            raise ValidationFailed("monthly income is implausibly large", field="monthly_income")
        _integer(self.term_months, "term_months", 1, 600)
        _integer(self.employment_years, "employment_years", 0, MAX_YEARS)
        _integer(self.dependents, "dependents", 0, MAX_DEPENDENTS)
        _integer(self.years_at_address, "years_at_address", 0, MAX_YEARS)
        for name, kind in (
            ("purpose", Purpose),
            ("employment", Employment),
            ("occupation", Occupation),
            ("housing", Housing),
            ("property", Property),
            ("other_installment_plans", OtherPlans),
            ("co_signer", CoSigner),
            ("credit_history", History),
        ):
            allowed = get_args(kind)
            if getattr(self, name) not in allowed:
                raise ValidationFailed(
                    f"{name} must be one of {', '.join(allowed)}", field=name, allowed=allowed
                )
        if not isinstance(self.product_code, str) or not 0 < len(self.product_code) <= 40:
            raise ValidationFailed("product_code must be 1 to 40 characters", field="product_code")
        if self.employment == "unemployed" and self.employment_years:
            raise ValidationFailed(
                "employment_years must be 0 when unemployed", field="employment_years"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (money as strings), as stored with the application."""
        out = asdict(self)
        out["amount"] = str(self.amount)
        out["monthly_income"] = str(self.monthly_income)
        return out


def _money(value: Any, name: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValidationFailed(f"{name} must be a decimal string, not a float", field=name)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{name} is not a number", field=name) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationFailed(f"{name} must be a positive amount", field=name)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(f"{name} has more than 2 decimals", field=name)
    return amount.quantize(Decimal("0.01"))


def _integer(value: Any, name: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"{name} must be a whole number", field=name)
    if not low <= value <= high:
        raise ValidationFailed(f"{name} must be between {low} and {high}", field=name)


@dataclass(frozen=True)
class CoreFacts:
    """What the bank's own records say about the applicant."""

    checking_accounts: int
    checking_balance: Decimal
    savings_accounts: int
    savings_balance: Decimal
    active_loans: int

    @classmethod
    def read(cls, core: CoreBanking) -> CoreFacts:
        """Balances of open checking and savings accounts and active loans, via the port."""
        checking = savings = 0
        checking_total = savings_total = Decimal("0")
        for account in core.list_accounts():
            if account.status.value != "open":
                continue
            if account.kind.value == "checking":
                checking += 1
                checking_total += core.balance(account.id).ledger
            elif account.kind.value == "savings":
                savings += 1
                savings_total += core.balance(account.id).ledger
        loans = sum(1 for loan in core.list_loans() if loan.status.value == "active")
        return cls(checking, checking_total, savings, savings_total, loans)


def characteristics(application: ApplicationInput, facts: CoreFacts) -> dict[str, Any]:
    """The scorecard's inputs for this application (canonical German Credit values)."""
    if facts.checking_accounts == 0:
        checking = "none"
    elif facts.checking_balance < 0:
        checking = "overdrawn"
    elif facts.checking_balance < CHECKING_LOW_BELOW:
        checking = "low"
    else:
        checking = "high"
    if facts.savings_accounts == 0:
        savings = "none"
    else:
        bands = ("very_low", "low", "medium")
        savings = "high"
        for limit, band in zip(SAVINGS_BANDS, bands, strict=True):
            if facts.savings_balance < limit:
                savings = band
                break
    years = application.employment_years
    if application.employment == "unemployed":
        employment = "unemployed"
    elif years < 1:
        employment = "under_1_year"
    elif years < 4:
        employment = "1_to_4_years"
    elif years < 7:
        employment = "4_to_7_years"
    else:
        employment = "7_years_or_more"
    # German Credit codes the instalment as a share of disposable income in 4 classes.
    share = application.amount / application.term_months / application.monthly_income
    rate = 1 if share < Decimal("0.20") else 2 if share < Decimal("0.25") else 3
    if share >= Decimal("0.35"):
        rate = 4
    residence = application.years_at_address
    residence_class = 1 if residence < 1 else 2 if residence < 4 else 3 if residence < 7 else 4
    job = {
        "unskilled": "unskilled",
        "skilled": "skilled",
        "management": "management",
    }[application.occupation]
    if application.employment == "unemployed":
        job = "unskilled_nonresident"
    elif application.employment == "self_employed":
        job = "management"
    return {
        "checking_status": checking,
        "duration_months": application.term_months,
        "credit_history": application.credit_history,
        "purpose": application.purpose,
        "credit_amount": int(application.amount),
        "savings": savings,
        "employment_since": employment,
        "installment_rate": rate,
        "other_debtors": application.co_signer,
        "residence_since": residence_class,
        "property": application.property,
        "other_installment_plans": application.other_installment_plans,
        "housing": application.housing,
        # German Credit counts the credits at the bank including the one applied for.
        "existing_credits": min(4, facts.active_loans + 1),
        "job": job,
        # ... and the people the applicant is liable to support in 2 classes: 0-1, 2+.
        "dependents": 1 if application.dependents <= 1 else 2,
    }
