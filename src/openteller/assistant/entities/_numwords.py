"""Numbers written in words: "twenty five", "a hundred and twenty", "one fifty", "fifteenth"."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openteller.assistant.entities._lexer import Doc, Kind

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
NUMBER_WORDS = frozenset({*UNITS, *TEENS, *TENS, *SCALES, "hundred"})

ORDINAL_UNITS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}


@dataclass(frozen=True, slots=True)
class WordNumber:
    value: int
    end: int  # token index just past the number
    # "one fifty" reads as 150 or as 1.50: the second reading, when there is one.
    alternative: Decimal | None = None
    # Only "a"/"an"/"one" spoken: too weak alone to be an amount ("which one").
    weak: bool = False


def _small(doc: Doc, i: int) -> tuple[int, int] | None:
    """A number below 100 at token i: "seven", "fifteen", "forty", "forty-two", "forty two"."""
    w = doc.word(i)
    if w in UNITS:
        return UNITS[w], i + 1
    if w in TEENS:
        return TEENS[w], i + 1
    if w in TENS:
        j = i + 1
        if j < len(doc.tokens) and doc.tokens[j].text == "-" and doc.word(j + 1) in UNITS:
            j += 1
        if doc.word(j) in UNITS and doc.word(j) != "zero":
            return TENS[w] + UNITS[doc.word(j)], j + 1
        return TENS[w], i + 1
    return None


def _below_thousand(doc: Doc, i: int) -> tuple[int, int, bool] | None:
    """A number below 1000: "[a|one..nine] hundred [and] [small]" or a small number.

    The flag says whether a "hundred" was spoken.
    """
    w = doc.word(i)
    if w in ("a", "an") and doc.word(i + 1) == "hundred":
        head, j = 1, i + 1
    else:
        small = _small(doc, i)
        if small is None:
            return None
        head, j = small
    if doc.word(j) == "hundred" and head < 10:
        j += 1
        k = j + 1 if doc.word(j) == "and" else j
        tail = _small(doc, k)
        if tail is not None:
            return head * 100 + tail[0], tail[1], True
        return head * 100, j, True
    if doc.word(j) == "hundred":  # "fifteen hundred"
        return head * 100, j + 1, True
    return head, j, False


def parse_number_words(doc: Doc, i: int) -> WordNumber | None:
    """The number spelled at token i, if any."""
    total = 0
    j = i
    scaled = False
    hundred = False
    while True:
        if doc.word(j) in ("a", "an") and doc.word(j + 1) in SCALES:
            part: tuple[int, int, bool] | None = (1, j + 1, False)
        else:
            part = _below_thousand(doc, j)
        if part is None:
            break
        value, k, saw_hundred = part
        hundred = hundred or saw_hundred
        scale = SCALES.get(doc.word(k))
        if scale is None:
            total += value
            j = k
            break
        total += value * scale
        scaled = True
        j = k + 1
        # "two thousand and five", "a thousand two hundred"
        nxt = j + 1 if doc.word(j) == "and" else j
        if _below_thousand(doc, nxt) is None or doc.word(nxt) in ("a", "an"):
            break
        j = nxt
    if j == i:
        return None
    weak = j - i == 1 and doc.word(i) in ("one", "a", "an")
    # "one fifty", "nineteen ninety nine": two spoken groups, read as hundreds (150, 1999)
    # or as dollars and cents (1.50, 19.99).
    if not scaled and not hundred and total < 100:
        second = _small(doc, j)
        if second is not None and second[0] >= 10:
            alt = Decimal(total) + Decimal(second[0]) / 100
            return WordNumber(total * 100 + second[0], second[1], alt.quantize(Decimal("0.01")))
    return WordNumber(total, j, weak=weak)


def ordinal_word(doc: Doc, i: int) -> tuple[int, int] | None:
    """An ordinal day in words at token i: "fifteenth", "twenty-first", "thirty first"."""
    w = doc.word(i)
    if w in ORDINAL_UNITS:
        return ORDINAL_UNITS[w], i + 1
    if w in ("twenty", "thirty"):
        j = i + 1
        if j < len(doc.tokens) and doc.tokens[j].text == "-":
            j += 1
        nxt = doc.word(j)
        if nxt in ORDINAL_UNITS and ORDINAL_UNITS[nxt] < 10:
            return TENS[w] + ORDINAL_UNITS[nxt], j + 1
    return None


def count_at(doc: Doc, i: int) -> tuple[int, int] | None:
    """A small count at token i, in digits or words: "3", "three", "a", "a couple of", "few"."""
    if i >= len(doc.tokens):
        return None
    tok = doc.tokens[i]
    if tok.is_plain_int and len(tok.text) <= 4:
        return int(tok.text), i + 1
    w = doc.word(i)
    if w in ("a", "an", "one") and doc.word(i + 1) not in ("couple", "few"):
        return 1, i + 1
    j = i + 1 if w in ("a", "the") else i
    if doc.word(j) == "couple":
        return 2, j + 2 if doc.word(j + 1) == "of" else j + 1
    if doc.word(j) == "few":
        return 3, j + 1
    small = _small(doc, i)
    if small is not None and doc.tokens[i].kind is Kind.WORD:
        return small
    return None
