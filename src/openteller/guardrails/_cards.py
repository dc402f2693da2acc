"""Payment card numbers (PANs): every current IIN range, Luhn, finding them in free text.

A run of digits is a card number when it has a length its brand issues, starts with one
of the brand's IIN ranges (Mastercard's 2-series and 8-digit BINs included: a range is
matched on as many leading digits as it names) and passes the Luhn check. In text, the
digits may be grouped by single spaces or dashes (one kind of separator throughout,
groups of 3-6 digits), so dates ("2026-11-14"), amounts ("1,250.00") and phone numbers
("+1 555 010 2030") are never taken for cards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (brand, first IIN, last IIN, lengths). Ranges are inclusive and compared on the number
# of digits they are written with. Sources: ISO/IEC 7812 registrations as published by
# the networks (Visa, Mastercard incl. 2221-2720, Amex, Discover incl. UnionPay and
# RuPay co-brands, JCB, Diners Club International, UnionPay, Maestro, Mir, RuPay, Verve,
# Troy, UATP, Dankort, InterPayment, InstaPayment).
_ALL = tuple(range(12, 20))
IIN_RANGES: tuple[tuple[str, str, str, tuple[int, ...]], ...] = (
    ("visa", "4", "4", (13, 16, 19)),
    ("mastercard", "51", "55", (16,)),
    ("mastercard", "2221", "2720", (16,)),
    ("amex", "34", "34", (15,)),
    ("amex", "37", "37", (15,)),
    ("discover", "6011", "6011", (16, 17, 18, 19)),
    ("discover", "644", "649", (16, 17, 18, 19)),
    ("discover", "65", "65", (16, 17, 18, 19)),
    ("discover", "622126", "622925", (16, 17, 18, 19)),
    ("jcb", "3528", "3589", (16, 17, 18, 19)),
    ("diners", "300", "305", (14, 15, 16, 17, 18, 19)),
    ("diners", "3095", "3095", (14, 15, 16, 17, 18, 19)),
    ("diners", "36", "36", (14, 15, 16, 17, 18, 19)),
    ("diners", "38", "39", (16, 17, 18, 19)),
    ("unionpay", "62", "62", (16, 17, 18, 19)),
    ("unionpay", "81", "81", (16, 17, 18, 19)),
    ("maestro", "5018", "5018", _ALL),
    ("maestro", "5020", "5020", _ALL),
    ("maestro", "5038", "5038", _ALL),
    ("maestro", "5893", "5893", _ALL),
    ("maestro", "6304", "6304", _ALL),
    ("maestro", "6759", "6759", _ALL),
    ("maestro", "6761", "6763", _ALL),
    ("mir", "2200", "2204", (16, 17, 18, 19)),
    ("rupay", "60", "60", (16,)),
    ("rupay", "508", "508", (16,)),
    ("rupay", "353", "353", (16,)),
    ("rupay", "356", "356", (16,)),
    ("rupay", "82", "82", (16,)),
    ("verve", "506099", "506198", (16, 18, 19)),
    ("verve", "650002", "650027", (16, 18, 19)),
    ("troy", "9792", "9792", (16,)),
    ("uatp", "1", "1", (15,)),
    ("dankort", "5019", "5019", (16,)),
    ("interpayment", "636", "636", (16, 17, 18, 19)),
    ("instapayment", "637", "639", (16,)),
)


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check over a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The brand whose IIN range and length fit `digits`, or None."""
    n = len(digits)
    for brand, low, high, lengths in IIN_RANGES:
        if n in lengths and low <= digits[: len(low)] <= high:
            return brand
    return None


def is_card_number(digits: str) -> bool:
    """A PAN: a brand's length and IIN range, and the Luhn check."""
    return digits.isdigit() and card_brand(digits) is not None and luhn_ok(digits)


def mask_card(digits: str) -> str:
    """PCI DSS display form: at most the first 6 and the last 4 digits."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


@dataclass(frozen=True)
class CardMatch:
    start: int
    end: int
    digits: str
    brand: str


# A run of digit groups joined by one kind of separator (or none). A letter, "+" (phone),
# "$" or a digit with "/" "." "," ":" "-" (dates, amounts, times) next to it disqualifies it.
_RUN = re.compile(r"(?<![\w+/])(?<!\d[.,:/-])\d+(?:([ -])\d+(?:\1\d+)*)?(?!\w|[/.,:]\d)")


def find_cards(text: str) -> list[CardMatch]:
    """Every card number in `text`: a whole run, one group of a run, or consecutive groups
    of a run (first group 4-6 digits, the others 3-6), longest first, never overlapping."""
    found: list[CardMatch] = []
    for run in _RUN.finditer(text):
        sep = run.group(1)
        parts = run.group(0).split(sep) if sep else [run.group(0)]
        groups: list[tuple[str, int]] = []
        pos = run.start()
        for part in parts:
            groups.append((part, pos))
            pos += len(part) + 1
        found.extend(_cards_in(groups))
    return found


def _match(digits: str, start: int, end: int) -> CardMatch | None:
    if 12 <= len(digits) <= 19 and is_card_number(digits):
        return CardMatch(start, end, digits, str(card_brand(digits)))
    return None


def _cards_in(groups: list[tuple[str, int]]) -> list[CardMatch]:
    found: list[CardMatch] = []
    i = 0
    while i < len(groups):
        part, start = groups[i]
        best: tuple[CardMatch, int] | None = None
        if 4 <= len(part) <= 6:
            digits = part
            for j in range(i + 1, len(groups)):
                nxt, at = groups[j]
                if not 3 <= len(nxt) <= 6:
                    break
                digits += nxt
                if len(digits) > 19:
                    break
                m = _match(digits, start, at + len(nxt))
                if m is not None:
                    best = (m, j)
        if best is None:
            single = _match(part, start, start + len(part))
            if single is not None:
                best = (single, i)
        if best is not None:
            found.append(best[0])
            i = best[1] + 1
        else:
            i += 1
    return found


def mask_cards(text: str) -> tuple[str, int]:
    """`text` with every card number masked to first 6 + last 4 digits; (text, count)."""
    matches = find_cards(text)
    if not matches:
        return text, 0
    parts: list[str] = []
    pos = 0
    for m in matches:
        parts.append(text[pos : m.start])
        parts.append(mask_card(m.digits))
        pos = m.end
    parts.append(text[pos:])
    return "".join(parts), len(matches)
