"""The card corpus: every valid card number of every brand is masked (plain, spaced,
dashed, inside a sentence); none of 1,000 numbers that are not cards is touched."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from openteller.guardrails import card_brand, find_cards, mask_card, mask_cards, redact_pii
from openteller.guardrails._cards import IIN_RANGES
from tests.conftest import luhn_ok

SEED = 20261129


def _complete(prefix: str, length: int, rng: random.Random) -> str:
    """A Luhn-valid number of `length` digits starting with `prefix` (independent Luhn)."""
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def _group(number: str, style: str) -> str:
    if style == "plain":
        return number
    sep = " " if style == "spaces" else "-"
    if len(number) == 15:  # Amex and UATP print 4-6-5
        parts = [number[:4], number[4:10], number[10:]]
    else:
        parts = [number[i : i + 4] for i in range(0, len(number), 4)]
        if len(parts[-1]) < 3:  # 4-4-4-4-3 style: never a last group of 1-2 digits
            parts[-2:] = [parts[-2] + parts[-1]]
    return sep.join(parts)


def valid_cards() -> list[tuple[str, str]]:
    """(brand, number): for every IIN range, its low and high end and random prefixes
    inside it, at every length the brand issues."""
    rng = random.Random(SEED)
    cards: list[tuple[str, str]] = []
    for brand, low, high, lengths in IIN_RANGES:
        width = len(low)
        inside = (str(rng.randint(int(low), int(high))).zfill(width) for _ in range(6))
        prefixes = {low, high, *inside}
        for prefix in sorted(prefixes):
            for length in lengths:
                cards.append((brand, _complete(prefix, length, rng)))
    # 8-digit BINs (Mastercard 2-series and Visa, as issued since 2022).
    for bin8 in ("22230417", "27205599", "45319907", "51234567"):
        cards.append((str(card_brand(_complete(bin8, 16, rng))), _complete(bin8, 16, rng)))
    return cards


def non_cards() -> list[str]:
    """1,000 numbers that are not card numbers: amounts, phone numbers, dates, and account
    numbers (and 16-digit numbers) that fail the Luhn check."""
    rng = random.Random(SEED + 1)
    out: list[str] = []
    for _ in range(200):
        out.append(f"${rng.randint(1, 10**9):,}.{rng.randint(0, 99):02d}")
    for _ in range(200):
        a, b, c = rng.randint(200, 999), rng.randint(200, 999), rng.randint(0, 9999)
        out.append(
            rng.choice(
                [
                    f"({a}) {b}-{c:04d}",
                    f"+1 {a} {b} {c:04d}",
                    f"{a}-{b}-{c:04d}",
                    f"+44 20 {rng.randint(1000, 9999)} {c:04d}",
                    f"+49 30 {rng.randint(10**7, 10**8 - 1)}",
                ]
            )
        )
    for _ in range(200):
        y, m, d = rng.randint(1990, 2035), rng.randint(1, 12), rng.randint(1, 28)
        out.append(rng.choice([f"{y}-{m:02d}-{d:02d}", f"{m}/{d}/{y}", f"{d}.{m}.{y}"]))
    while len(out) < 1000:
        length = rng.choice([10, 12, 13, 14, 15, 16, 17, 19])
        number = "".join(rng.choice("0123456789") for _ in range(length))
        if not luhn_ok(number):
            out.append(number)
    return out


def test_the_corpus_covers_every_brand() -> None:
    brands = Counter(brand for brand, _ in valid_cards())
    assert set(brands) == {b for b, *_ in IIN_RANGES}
    assert sum(brands.values()) >= 300


@pytest.mark.parametrize("style", ["plain", "spaces", "dashes"])
def test_every_valid_card_number_is_masked(style: str) -> None:
    missed = []
    for brand, number in valid_cards():
        shown = _group(number, style)
        text = f"my card {shown} was declined"
        masked, count = mask_cards(text)
        if count != 1 or masked != f"my card {mask_card(number)} was declined":
            missed.append((brand, shown, masked))
    assert missed == []


def test_no_false_masks_on_a_thousand_non_card_numbers() -> None:
    numbers = non_cards()
    assert len(numbers) == 1000
    touched = [n for n in numbers if mask_cards(f"ref {n} ok")[1] != 0]
    assert touched == []
    assert [n for n in numbers if find_cards(n)] == []


def test_mask_keeps_at_most_first_six_and_last_four() -> None:
    assert mask_card("5555555555554444") == "555555******4444"
    assert mask_card("378282246310005") == "378282*****0005"
    assert mask_card("4111111111111111111") == "411111*********1111"


def test_mastercard_two_series_and_ranges_edges() -> None:
    assert card_brand("2221000000000009") == "mastercard"
    assert card_brand("2720990000000007") == "mastercard"
    assert card_brand("2721000000000004") is None  # just past the 2-series
    assert card_brand("2200000000000004") == "mir"


def test_two_cards_and_a_year_in_one_run_of_groups() -> None:
    text = "cards 4111 1111 1111 1111 5555 5555 5555 4444 2026"
    masked, count = mask_cards(text)
    assert (masked, count) == ("cards 411111******1111 555555******4444 2026", 2)


def test_cvv_and_pin_by_context_only() -> None:
    assert redact_pii("cvv: 123, pin is 4821") == "cvv: <CVV>, pin is <PIN>"
    assert redact_pii("I bought 123 apples and 4821 pears") == "I bought 123 apples and 4821 pears"
