"""Tests of openteller.core.money: Decimal at the edges, integer minor units in storage.

Expected values are written out by hand from ISO 4217 minor-unit exponents
(USD 2, JPY 0, KWD 3); none is a number the module produced.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openteller.core.errors import InvalidAmount, ValidationFailed
from openteller.core.money import (
    CURRENCY_EXPONENTS,
    MAX_AMOUNT,
    exponent,
    format_money,
    from_minor,
    parse_amount,
    to_minor,
)

# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize(
    ("amount", "currency", "minor", "major"),
    [
        ("1234.50", "USD", 123450, "1234.50"),
        ("0.01", "USD", 1, "0.01"),
        ("1234", "USD", 123400, "1234.00"),
        ("1234", "JPY", 1234, "1234"),
        ("1", "JPY", 1, "1"),
        ("1.234", "KWD", 1234, "1.234"),
        ("0.001", "KWD", 1, "0.001"),
        ("12", "KWD", 12000, "12.000"),
    ],
)
def test_to_minor_and_back(amount: str, currency: str, minor: int, major: str) -> None:
    assert to_minor(amount, currency) == minor
    assert to_minor(Decimal(amount), currency) == minor
    back = from_minor(minor, currency)
    # Exactly the currency's number of decimals, not just an equal value.
    assert str(back) == major
    assert back == Decimal(amount)


def test_integers_and_exponent_forms_are_accepted() -> None:
    assert to_minor(7, "USD") == 700
    assert to_minor(7, "JPY") == 7
    assert to_minor(Decimal("1E+2"), "USD") == 10000
    assert to_minor("1e-2", "USD") == 1
    assert to_minor(" 12.50 ", "USD") == 1250


def test_trailing_zeros_beyond_the_exponent_are_not_extra_precision() -> None:
    assert to_minor("1.2300", "USD") == 123
    assert to_minor("5.000", "JPY") == 5
    assert to_minor("0.0010000", "KWD") == 1


def test_exponents_follow_iso_4217() -> None:
    assert exponent("USD") == 2
    assert exponent("EUR") == 2
    assert exponent("JPY") == 0
    assert exponent("KWD") == 3
    with pytest.raises(ValidationFailed) as err:
        exponent("XXX")
    assert err.value.details == {"currency": "XXX"}


# ---------------------------------------------------------------------- refusals


@pytest.mark.parametrize("value", [1.5, 0.1, 100.0, True, False])
def test_floats_and_bools_are_refused(value: Any) -> None:
    # Any: the point is to pass what the signature does not allow.
    with pytest.raises(InvalidAmount) as err:
        to_minor(value, "USD")
    assert err.value.code == "invalid_amount"
    assert err.value.http_status == 422


@pytest.mark.parametrize(
    "value",
    ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", Decimal("NaN"), Decimal("Infinity")],
)
def test_nan_and_infinities_are_refused(value: str | Decimal) -> None:
    with pytest.raises(InvalidAmount, match="not a finite amount"):
        to_minor(value, "USD", positive=False)


@pytest.mark.parametrize("value", ["", "abc", "1,000.00", "$5", "1.2.3", "--1"])
def test_non_numbers_are_refused(value: str) -> None:
    with pytest.raises(InvalidAmount, match="not a number"):
        parse_amount(value)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("1.001", "USD"), ("0.005", "USD"), ("1.5", "JPY"), ("0.1", "JPY"), ("1.2345", "KWD")],
)
def test_too_many_decimals_are_refused(amount: str, currency: str) -> None:
    with pytest.raises(InvalidAmount) as err:
        to_minor(amount, currency)
    assert err.value.details == {"amount": amount, "currency": currency}


def test_sub_cent_digit_past_the_28th_significant_digit_is_refused() -> None:
    # One unit in the 30th decimal place is still sub-cent precision; the default
    # 28-digit context would round it away and turn 1.000...001 into 100 cents.
    amount = "1." + "0" * 29 + "1"
    with pytest.raises(InvalidAmount):
        to_minor(amount, "USD")


@pytest.mark.parametrize("amount", ["0", "0.00", "-0", "-0.01", "-5"])
def test_zero_and_negative_are_refused_by_default(amount: str) -> None:
    with pytest.raises(InvalidAmount, match="greater than zero"):
        to_minor(amount, "USD")


def test_zero_and_negative_are_allowed_when_not_positive() -> None:
    assert to_minor("0", "USD", positive=False) == 0
    assert to_minor("-0.00", "USD", positive=False) == 0
    assert to_minor("-123.45", "USD", positive=False) == -12345
    assert to_minor("-7", "JPY", positive=False) == -7
    assert to_minor("-0.001", "KWD", positive=False) == -1


def test_max_amount_is_the_largest_accepted() -> None:
    assert Decimal("1000000000000") == MAX_AMOUNT
    assert to_minor(MAX_AMOUNT, "USD") == 100_000_000_000_000
    assert to_minor(-MAX_AMOUNT, "USD", positive=False) == -100_000_000_000_000
    assert to_minor(MAX_AMOUNT, "KWD") == 1_000_000_000_000_000
    for too_big, positive in [
        ("1000000000000.01", True),
        ("-1000000000000.01", False),
        ("1E+13", True),
    ]:
        with pytest.raises(InvalidAmount, match="too large"):
            to_minor(too_big, "USD", positive=positive)
    with pytest.raises(InvalidAmount, match="too large"):
        to_minor("1000000000001", "JPY")


@pytest.mark.parametrize("currency", ["XXX", "usd", "", "US"])
def test_unknown_currency_is_refused(currency: str) -> None:
    with pytest.raises(ValidationFailed, match="unsupported currency") as err:
        to_minor("1.00", currency)
    assert not isinstance(err.value, InvalidAmount)
    with pytest.raises(ValidationFailed, match="unsupported currency"):
        from_minor(100, currency)


# ---------------------------------------------------------------------- display


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (123450, "USD", "USD 1,234.50"),
        (-123450, "USD", "USD -1,234.50"),
        (0, "USD", "USD 0.00"),
        (5, "USD", "USD 0.05"),
        (100_000_000_000_000, "USD", "USD 1,000,000,000,000.00"),
        (1234567, "JPY", "JPY 1,234,567"),
        (1234567, "KWD", "KWD 1,234.567"),
        (999, "EUR", "EUR 9.99"),
    ],
)
def test_format_money(minor: int, currency: str, text: str) -> None:
    assert format_money(minor, currency) == text


# --------------------------------------------------------------------- property


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(min_value=-(10**12), max_value=10**12),
    currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)),
)
def test_minor_units_round_trip(n: int, currency: str) -> None:
    major = from_minor(n, currency)
    assert major.as_tuple().exponent == -CURRENCY_EXPONENTS[currency]
    assert to_minor(major, currency, positive=False) == n
    assert to_minor(str(major), currency, positive=False) == n
