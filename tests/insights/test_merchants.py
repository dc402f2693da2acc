from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from openteller.core.errors import ValidationFailed
from openteller.insights import (
    CATEGORIES,
    Transaction,
    categorize,
    categorize_text,
    merchant_key,
    normalize_merchant,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Starbucks", "STARBUCKS"),
        ("POS DEBIT SQ *STARBUCKS #1234 SEATTLE WA", "STARBUCKS"),
        ("TST* SHAKE SHACK 0123 SAN FRANCISCO CA", "SHAKE SHACK"),
        ("AMAZON.COM*2K3L4 AMZN.COM/BILL WA", "AMAZON"),
        ("AMZN Mktp US*2K3L4", "AMAZON"),
        ("Amazon Prime", "AMAZON PRIME"),
        ("Walmart Store 1234 Austin TX", "WALMART"),
        ("Trader Joe's #552", "TRADER JOE'S"),
        ("Netflix.com", "NETFLIX"),
        ("City Power & Light autopay", "CITY POWER & LIGHT"),
        ("Personal loan payment 3", "PERSONAL LOAN PAYMENT"),
        ("Acme Inc Payroll DIRECT DEP", "ACME INC PAYROLL"),
        ("  kroger   2345 los angeles ca ", "KROGER"),
        ("#1234", ""),
    ],
)
def test_normalize_merchant(raw: str, expected: str) -> None:
    assert normalize_merchant(raw) == expected


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("SQ *STARBUCKS #1234", "dining"),
        ("Netflix.com", "subscriptions"),
        ("Disney+", "subscriptions"),
        ("Amazon Prime", "subscriptions"),
        ("AMZN Mktp US*2K3L4", "shopping"),
        ("Parkview Apartments rent", "housing"),
        ("Rocket Mortgage payment", "housing"),
        ("Personal loan payment 7", "loan"),
        ("Verizon Wireless autopay", "utilities"),
        ("Shell 00123", "fuel"),
        ("Credit card payment - thank you", "card_payment"),
        ("Monthly maintenance fee", "fees"),
        ("Payment to Dana Smith", "p2p"),
        ("Blue Door Gallery", None),
    ],
)
def test_categorize_text(text: str, category: str | None) -> None:
    assert categorize_text(text) == category
    assert category is None or category in CATEGORIES


def _t(merchant: str | None, description: str, category: str | None) -> Transaction:
    return Transaction(
        id=1,
        account_id=2,
        customer_id=3,
        occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        amount=Decimal("-9.99"),
        merchant=merchant,
        description=description,
        category=category,
    )


def test_categorize_keeps_the_recorded_category() -> None:
    assert categorize(_t("Starbucks", "Starbucks", "travel")) == "travel"
    assert categorize(_t("Starbucks", "Starbucks", None)) == "dining"
    assert categorize(_t(None, "Hulu 8881234", None)) == "subscriptions"


def test_merchant_key_falls_back_to_the_description() -> None:
    assert merchant_key(_t(None, "Personal loan payment 12", None)) == "PERSONAL LOAN PAYMENT"
    assert merchant_key(_t("#99", "Shell 0042 Austin TX", None)) == "SHELL"


def test_transaction_rejects_naive_time_and_float_amount() -> None:
    with pytest.raises(ValidationFailed, match="timezone-aware"):
        Transaction(1, 2, 3, datetime(2026, 3, 1), Decimal("1"), None, "x")
    with pytest.raises(ValidationFailed, match="finite Decimal"):
        Transaction(1, 2, 3, datetime(2026, 3, 1, tzinfo=UTC), 1.5, None, "x")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="finite Decimal"):
        Transaction(1, 2, 3, datetime(2026, 3, 1, tzinfo=UTC), Decimal("NaN"), None, "x")
