"""Amounts: exact Decimal values, currencies, problems, and numbers that are not money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openteller.assistant.entities import (
    AmountMention,
    AmountProblem,
    extract_amounts,
    extract_percents,
)
from openteller.assistant.entities.amounts import MAX_AMOUNT, MINOR_DIGITS
from openteller.core import InvalidAmount, to_minor

D = Decimal
P = AmountProblem


def one(text: str) -> AmountMention:
    found = extract_amounts(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "value", "currency", "raw"),
    [
        ("fifty bucks", D("50"), "USD", "fifty bucks"),
        ("pay mom fifty bucks", D("50"), "USD", "fifty bucks"),
        ("$1.2k", D("1200"), "USD", "$1.2k"),
        ("€20", D("20"), "EUR", "€20"),
        ("20€", D("20"), "EUR", "20€"),
        ("£15.75", D("15.75"), "GBP", "£15.75"),
        ("25.5", D("25.5"), None, "25.5"),
        ("1,250.50", D("1250.50"), None, "1,250.50"),
        ("send 1 250 to mom", D("1250"), None, "1 250"),
        ("1\u202f250 euros", D("1250"), "EUR", "1\u202f250 euros"),
        ("20,50 €", D("20.50"), "EUR", "20,50 €"),
        ("2k", D("2000"), None, "2k"),
        ("2K", D("2000"), None, "2K"),
        ("1.5m", D("1500000"), None, "1.5m"),
        ("3 million dollars", D("3000000"), "USD", "3 million dollars"),
        ("2 grand", D("2000"), "USD", "2 grand"),
        ("half a grand", D("500"), "USD", "half a grand"),
        ("fifty", D("50"), None, "fifty"),
        ("twenty five", D("25"), None, "twenty five"),
        ("twenty-five dollars", D("25"), "USD", "twenty-five dollars"),
        ("a hundred and twenty", D("120"), None, "a hundred and twenty"),
        ("two thousand five hundred", D("2500"), None, "two thousand five hundred"),
        ("fifteen hundred bucks", D("1500"), "USD", "fifteen hundred bucks"),
        ("one dollar", D("1"), "USD", "one dollar"),
        ("fifty cents", D("0.50"), None, "fifty cents"),
        ("75 cents", D("0.75"), None, "75 cents"),
        ("5 dollars and 50 cents", D("5.50"), "USD", "5 dollars and 50 cents"),
        ("$5 and 50 cents", D("5.50"), "USD", "$5 and 50 cents"),
        ("five dollars fifty", D("5.50"), "USD", "five dollars fifty"),
        ("USD 50", D("50"), "USD", "USD 50"),
        ("50 usd", D("50"), "USD", "50 usd"),
        ("C$30", D("30"), "CAD", "C$30"),
        ("US$30", D("30"), "USD", "US$30"),
        ("¥500", D("500"), "JPY", "¥500"),
        ("$.50", D("0.50"), "USD", "$.50"),
        ("transfer 500 from savings to checking", D("500"), None, "500"),
        ("pay my card 500", D("500"), None, "500"),
        ("spent 2025", D("2025"), None, "2025"),
        ("3 payments of 40", D("40"), None, "40"),
        ("buy 2 tickets for 40", D("40"), None, "40"),
        ("put 50 towards rent", D("50"), None, "50"),
        ("pay 50 on the 15th", D("50"), None, "50"),
        ("send $20 to John on 11/3", D("20"), "USD", "$20"),
        ("between $10 and June", D("10"), "USD", "$10"),
    ],
)
def test_amounts(text: str, value: Decimal, currency: str | None, raw: str) -> None:
    found = one(text)
    assert (found.value, found.currency, found.text, found.problems) == (value, currency, raw, ())
    assert text[found.span[0] : found.span[1]] == raw


@pytest.mark.parametrize(
    "text",
    [
        "my card ending 4821",
        "the account ending in 12",
        "card x4821",
        "card ****4821",
        "card ...4821",
        "account 12345678",
        "routing number 021000021",
        "last 4 digits 4821",
        "the last four are 4821",
        "at 5pm",
        "at 5",
        "at five",
        "meet at 17:30",
        "on March 3",
        "March 3rd, 2025",
        "the 15th",
        "between June 1 and 15",
        "June 1-15",
        "last 30 days",
        "in the past three months",
        "11/3",
        "2026-03-04",
        "in 2025",
        "5%",
        "4.5 percent",
        "call 555-1234",
        "code 4821abc",
        "3 payments",
        "three coffees",
        "for 12 months",
        "which one",
        "one of them",
        "show me two more",
        "24/7",
        "order #12",
        "zip 10001",
        "",
        "   ",
    ],
)
def test_not_amounts(text: str) -> None:
    assert extract_amounts(text) == []


@pytest.mark.parametrize(
    ("text", "value", "problems"),
    [
        ("10.555", D("10.555"), (P.TOO_PRECISE,)),
        ("$0.001", D("0.001"), (P.TOO_PRECISE,)),
        ("¥100.5", D("100.5"), (P.TOO_PRECISE,)),
        ("-50", D("50"), (P.NEGATIVE,)),
        ("$-50", D("50"), (P.NEGATIVE,)),
        ("minus 20 dollars", D("20"), (P.NEGATIVE,)),
        ("$0", D("0"), (P.ZERO,)),
        ("2000000000000 dollars", D("2000000000000"), (P.TOO_LARGE,)),
        ("-10.555", D("10.555"), (P.NEGATIVE, P.TOO_PRECISE)),
        ("$" + "9" * 40, D("9" * 40), (P.TOO_LARGE,)),
    ],
)
def test_problems(text: str, value: Decimal, problems: tuple[AmountProblem, ...]) -> None:
    found = one(text)
    assert (found.value, found.problems) == (value, problems)
    assert not found.ok


def test_huge_multiplied_amounts_do_not_break() -> None:
    found = one("10000000000000000000000000 grand")
    assert found.problems == (P.TOO_LARGE,)
    assert found.currency == "USD"


def test_trailing_zeros_are_not_too_precise() -> None:
    # As in the core's to_minor: 10.550 is 10.55.
    assert one("10.550").problems == ()


@pytest.mark.parametrize(
    ("text", "value", "alternative"),
    [
        ("one fifty", D("150"), D("1.50")),
        ("five fifty dollars", D("550"), D("5.50")),
        ("nineteen ninety nine", D("1999"), D("19.99")),
        ("twenty twenty", D("2020"), D("20.20")),
    ],
)
def test_one_fifty_is_ambiguous(text: str, value: Decimal, alternative: Decimal) -> None:
    found = one(text)
    assert (found.value, found.problems, found.alternatives) == (
        value,
        (P.AMBIGUOUS,),
        (alternative,),
    )


def test_several_amounts_left_to_right() -> None:
    found = extract_amounts("split $120 into 40 for mom and €30 for dad")
    assert [(a.value, a.currency) for a in found] == [
        (D("120"), "USD"),
        (D("40"), None),
        (D("30"), "EUR"),
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [("5%", D("5")), ("4.5 percent", D("4.5")), ("five per cent", D("5")), ("12 pct", D("12"))],
)
def test_percents(text: str, value: Decimal) -> None:
    (found,) = extract_percents(text)
    assert found.value == value
    assert found.text == text


def test_minor_digits_agree_with_the_core() -> None:
    for code, digits in MINOR_DIGITS.items():
        smallest = D(1).scaleb(-digits)
        assert to_minor(smallest, code) == 1
        with pytest.raises(InvalidAmount):
            to_minor(smallest / 10, code)
    to_minor(MAX_AMOUNT, "USD")
    with pytest.raises(InvalidAmount):
        to_minor(MAX_AMOUNT + 1, "USD")


cents = st.decimals(min_value=D("0.01"), max_value=D("999999999.99"), places=2)


@given(cents)
def test_dollar_formatting_round_trips(value: Decimal) -> None:
    for text in (f"${value:,}", f"${value}", f"pay ${value:,} to mom", f"{value:,} USD"):
        found = one(text)
        assert (found.value, found.currency, found.problems) == (value, "USD", ())


@given(cents)
def test_euro_formatting_round_trips(value: Decimal) -> None:
    found = one(f"€{value:,}")
    assert (found.value, found.currency) == (value, "EUR")


@given(st.integers(min_value=1, max_value=999_999))
def test_number_words_round_trip(n: int) -> None:
    found = one(f"{_words(n)} dollars")
    assert found.value == n


def _words(n: int) -> str:
    units = "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    units += "fourteen fifteen sixteen seventeen eighteen nineteen"
    small = units.split()
    tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

    def below_hundred(k: int) -> str:
        if k < 20:
            return small[k]
        return tens[k // 10] + ("" if k % 10 == 0 else "-" + small[k % 10])

    def below_thousand(k: int) -> str:
        if k < 100:
            return below_hundred(k)
        rest = k % 100
        head = f"{small[k // 100]} hundred"
        return head if rest == 0 else f"{head} and {below_hundred(rest)}"

    thousands, rest = divmod(n, 1000)
    parts = [f"{below_thousand(thousands)} thousand"] if thousands else []
    if rest:
        parts.append(below_thousand(rest))
    return " ".join(parts)
