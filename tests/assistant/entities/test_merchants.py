"""Merchants (the demo bank's list) and categories with synonyms."""

from __future__ import annotations

import pytest

from openteller.assistant.entities import (
    CATEGORIES,
    CATEGORY_SYNONYMS,
    DEMO_MERCHANTS,
    KnownMerchant,
    MatchStatus,
    extract_category,
    extract_merchant,
)
from openteller.core.demo import merchants as demo

M = MatchStatus


def test_demo_merchants_come_from_the_demo_bank() -> None:
    names = {m.name for m in DEMO_MERCHANTS}
    assert {m.name for m in demo.GROCERIES + demo.DINING + demo.FUEL} <= names
    assert {name for name, _, _ in demo.SUBSCRIPTIONS} <= names
    assert {name for name, _, _ in demo.UTILITIES} <= names
    assert {m.category for m in DEMO_MERCHANTS} <= set(CATEGORIES)
    assert set(CATEGORY_SYNONYMS) == set(CATEGORIES)


@pytest.mark.parametrize(
    ("text", "name", "said"),
    [
        ("how much at starbucks last month", "Starbucks", "starbucks"),
        ("Whole Foods", "Whole Foods Market", "Whole Foods"),
        ("trader joe's", "Trader Joe's", "trader joe's"),
        ("amazon", "Amazon", "amazon"),
        ("my amazon prime charges", "Amazon Prime", "amazon prime"),
        ("what about chiptole", "Chipotle Mexican Grill", "chiptole"),
        ("gas at exxon", "ExxonMobil", "exxon"),
        ("best buy", "Best Buy", "best buy"),
        ("netflix", "Netflix", "netflix"),
        ("disney plus", "Disney+", "disney plus"),
        ("spent at home depot", "Home Depot", "home depot"),
    ],
)
def test_known_merchants(text: str, name: str, said: str) -> None:
    found = extract_merchant(text)
    assert found.status is M.MATCHED, found
    assert found.merchant is not None
    assert (found.merchant.name, found.text) == (name, said)


@pytest.mark.parametrize(
    "text", ["how much did I buy", "i shall pay", "what's my balance", "new card please"]
)
def test_common_words_are_no_merchant(text: str) -> None:
    assert extract_merchant(text).status is M.NOT_MENTIONED


def test_unknown_merchant_after_at() -> None:
    found = extract_merchant("what did I spend at joe's diner last week")
    assert (found.status, found.text) == (M.NOT_FOUND, "joe's diner")


def test_a_bank_can_pass_its_own_merchants() -> None:
    known = [KnownMerchant("Blue Bottle Coffee", "dining", ("blue bottle",))]
    found = extract_merchant("coffee at blue bottle", known)
    assert found.merchant == known[0]
    assert extract_merchant("starbucks", known).status is M.NOT_MENTIONED


@pytest.mark.parametrize(
    ("text", "category", "said"),
    [
        ("how much did I spend eating out", "dining", "eating out"),
        ("restaurants last month", "dining", "restaurants"),
        ("take-out", "dining", "take-out"),
        ("groceries", "groceries", "groceries"),
        ("grocery shopping", "groceries", "grocery shopping"),
        ("gas", "fuel", "gas"),
        ("my gas bill", "utilities", "gas bill"),
        ("uber rides", "transport", "rides"),
        ("streaming subscriptions", "subscriptions", "streaming"),
        ("overdraft fees", "fees", "overdraft fees"),
        ("atm withdrawals", "cash", "atm withdrawals"),
        ("my salary", "income", "salary"),
        ("rent", "housing", "rent"),
        ("restaurents", "dining", "restaurents"),
        ("entertainmnet", "entertainment", "entertainmnet"),
    ],
)
def test_categories(text: str, category: str, said: str) -> None:
    found = extract_category(text)
    assert found is not None
    assert (found.category, found.text) == (category, said)
    assert text[found.span[0] : found.span[1]] == said


@pytest.mark.parametrize(
    "text", ["what's the interest rate on savings", "my cash back card", "hello", "pay mom 20"]
)
def test_no_category(text: str) -> None:
    assert extract_category(text) is None
