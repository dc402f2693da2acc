"""Merchants ("Starbucks", "whole foods") and spending categories ("eating out" -> dining).

Known merchants default to the demo bank's (`DEMO_MERCHANTS`, read from
`openteller.core.demo.merchants`). Matching is the payees' (`_fuzzy`) with a stricter
threshold and a narrower margin: an exact full name beats a longer name that contains
it ("amazon" is Amazon, not Amazon Prime), since a merchant filter is easy to undo.

Categories are the ones the demo bank books (see `CATEGORIES`), reached through the
synonyms in `CATEGORY_SYNONYMS` ("gas" -> fuel, "gas bill" -> utilities, "eating out"
-> dining); a near miss of one word ("restaurents") is accepted at ratio 88 or more.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from openteller.assistant.entities._analysis import Analysis, analyse
from openteller.assistant.entities._fuzzy import AliasIndex, MatchStatus, decide, grams
from openteller.assistant.entities._lexer import Doc, Kind, Span
from openteller.assistant.entities._names import GENERIC_NAME_WORDS, STOP_WORDS, word_set
from openteller.core.demo import merchants as demo

MATCH_THRESHOLD = 80.0
AMBIGUITY_MARGIN = 2.0
SUGGEST_THRESHOLD = 75.0
CATEGORY_FUZZY_THRESHOLD = 88.0


@dataclass(frozen=True)
class KnownMerchant:
    name: str
    category: str | None = None
    aliases: tuple[str, ...] = ()


# Names customers say that the merchant's own words do not give.
_DEMO_ALIASES = {
    "Whole Foods Market": ("whole foods",),
    "Trader Joe's": ("trader joes", "tjs"),
    "ExxonMobil": ("exxon", "mobil", "exxon mobil"),
    "New York Times": ("nyt", "ny times"),
    "Disney+": ("disney plus",),
    "Apple iCloud+": ("icloud",),
    "City Power & Light": ("city power", "power company", "electric company"),
    "Metro Water Utility": ("water company", "water utility"),
    "Local Pizzeria": ("pizzeria",),
    "Olive Garden": ("olive garden",),
}


def _demo() -> tuple[KnownMerchant, ...]:
    out: list[KnownMerchant] = []
    for group in (
        demo.GROCERIES, demo.DINING, demo.FUEL, demo.TRANSPORT, demo.SHOPPING, demo.HEALTH,
        demo.ENTERTAINMENT,
    ):  # fmt: skip
        out.extend(KnownMerchant(m.name, m.category) for m in group)
    out.extend(KnownMerchant(name, "subscriptions") for name, _, _ in demo.SUBSCRIPTIONS)
    out.extend(KnownMerchant(name, "utilities") for name, _, _ in demo.UTILITIES)
    out.extend(KnownMerchant(name, "shopping") for name, _, _, _ in demo.UNUSUAL)
    out.extend(KnownMerchant(n, "housing") for n in (*demo.LANDLORDS, *demo.MORTGAGE_SERVICERS))
    return tuple(KnownMerchant(m.name, m.category, _DEMO_ALIASES.get(m.name, ())) for m in out)


DEMO_MERCHANTS = _demo()

# The categories the demo bank books (core/demo/merchants.py and generator.py).
CATEGORIES = (
    "income", "housing", "utilities", "groceries", "dining", "fuel", "transport", "shopping",
    "entertainment", "subscriptions", "health", "travel", "transfer", "card_payment", "loan",
    "fees", "interest", "p2p", "cash",
)  # fmt: skip

CATEGORY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "income": ("income", "salary", "paycheck", "paychecks", "payroll", "wages", "direct deposit",
               "direct deposits"),
    "housing": ("housing", "rent", "mortgage", "mortgage payments", "mortgage payment"),
    "utilities": ("utilities", "utility", "utility bills", "electric", "electricity",
                  "electric bill", "power bill", "water bill", "gas bill", "internet",
                  "internet bill", "phone bill", "cable", "cable bill"),
    "groceries": ("groceries", "grocery", "grocery shopping", "supermarket", "supermarkets",
                  "food shopping"),
    "dining": ("dining", "dining out", "eating out", "eat out", "ate out", "restaurants",
               "restaurant", "takeout", "take out", "food delivery", "coffee", "coffee shops",
               "fast food", "lunch", "lunches", "dinner", "dinners"),
    "fuel": ("fuel", "gas", "gasoline", "petrol", "gas station", "gas stations"),
    "transport": ("transport", "transportation", "rides", "rideshare", "ride share", "taxi",
                  "taxis", "cab", "cabs", "transit", "public transit", "commute", "commuting"),
    "shopping": ("shopping", "retail", "clothes", "clothing", "electronics", "online shopping"),
    "entertainment": ("entertainment", "movies", "movie", "cinema", "concerts", "concert",
                      "tickets", "games", "gaming"),
    "subscriptions": ("subscriptions", "subscription", "streaming", "memberships",
                      "membership"),
    "health": ("health", "healthcare", "health care", "medical", "pharmacy", "doctor", "gym",
               "fitness", "prescriptions"),
    "travel": ("travel", "flights", "flight", "hotels", "hotel", "airfare", "trips"),
    "transfer": ("transfers", "internal transfers"),
    "card_payment": ("card payments", "card payment", "credit card payments",
                     "credit card payment"),
    "loan": ("loan payments", "loan payment"),
    "fees": ("fees", "fee", "bank fees", "overdraft fees", "service charges"),
    "interest": ("interest", "interest charges", "interest paid", "interest earned"),
    "p2p": ("p2p", "peer to peer", "person to person", "zelle", "venmo",
            "payments to friends"),
    "cash": ("cash", "atm", "atm withdrawals", "cash withdrawals", "withdrawals"),
}  # fmt: skip
# Phrases that hold a category word but are no category.
_NOT_CATEGORIES = (("interest", "rate"), ("interest", "rates"), ("cash", "back"))
_PHRASES: dict[tuple[str, ...], str | None] = {
    **{tuple(p.split()): cat for cat, ps in CATEGORY_SYNONYMS.items() for p in ps},
    **dict.fromkeys(_NOT_CATEGORIES),
}
_LONGEST = max(len(p) for p in _PHRASES)
_SINGLE = {p[0]: cat for p, cat in _PHRASES.items() if len(p) == 1 and cat}
_MERCHANT_GENERIC = GENERIC_NAME_WORDS | word_set(
    """
    whole trader joe olive shack pizzeria planet fitness theatres electronics bazaar jewelry
    palace crypto exchange kiosk luxury watches online gift cards maple court riverside
    mortgage mr wells apple
    """
)


@dataclass(frozen=True)
class MerchantMatch:
    """MATCHED: `merchant`. AMBIGUOUS: `candidates`. NOT_FOUND: `text` after "at"."""

    status: MatchStatus
    merchant: KnownMerchant | None = None
    candidates: tuple[KnownMerchant, ...] = ()
    text: str | None = None
    span: Span | None = None


@dataclass(frozen=True)
class CategoryMention:
    category: str  # one of CATEGORIES
    text: str
    span: Span


def extract_merchant(text: str, known: Sequence[KnownMerchant] = DEMO_MERCHANTS) -> MerchantMatch:
    """The merchant `text` names, among `known`."""
    return merchant_of(analyse(text), known)


def extract_category(text: str) -> CategoryMention | None:
    """The first spending category `text` names."""
    return category_of(analyse(text))


@lru_cache(maxsize=16)
def _index(known: tuple[KnownMerchant, ...]) -> AliasIndex[KnownMerchant]:
    return AliasIndex(
        known, [m.name for m in known], [m.aliases for m in known], generic=_MERCHANT_GENERIC
    )


def merchant_of(an: Analysis, known: Sequence[KnownMerchant]) -> MerchantMatch:
    index = _index(tuple(known))
    hits = index.search(grams(an.doc, an.taken), SUGGEST_THRESHOLD)
    status, chosen = decide(hits, MATCH_THRESHOLD, AMBIGUITY_MARGIN)
    merchants = tuple(index.items[h.item] for h in chosen)
    if status is not MatchStatus.NOT_FOUND:
        gram = chosen[0].gram
        span = (gram.start, gram.end)
        merchant = merchants[0] if status is MatchStatus.MATCHED else None
        return MerchantMatch(status, merchant, merchants, an.doc.raw(*span), span)
    named = _after_at(an.doc, an.taken)
    if named is not None:
        return MerchantMatch(MatchStatus.NOT_FOUND, None, merchants, an.doc.raw(*named), named)
    return MerchantMatch(MatchStatus.NOT_MENTIONED)


def _after_at(doc: Doc, taken: frozenset[int]) -> Span | None:
    """ "at joe's diner": the words after "at" that nothing else took."""
    toks = doc.tokens
    for i, tok in enumerate(toks):
        if not tok.is_word("at"):
            continue
        end = i + 1
        while (
            end < len(toks)
            and end - i <= 3
            and end not in taken
            and toks[end].kind is Kind.WORD
            and toks[end].text not in STOP_WORDS
        ):
            end += 1
        if end > i + 1:
            return toks[i + 1].start, toks[end - 1].end
    return None


def category_of(an: Analysis) -> CategoryMention | None:
    doc = an.doc
    words = [(k, t.text) for k, t in enumerate(doc.tokens) if t.kind is Kind.WORD]
    for n in range(len(words)):
        for size in range(min(_LONGEST, len(words) - n), 0, -1):
            run = words[n : n + size]
            if any(
                b[0] - a[0] > 1 and not _hyphens(doc, a[0], b[0])
                for a, b in itertools.pairwise(run)
            ):
                continue
            phrase = tuple(w for _, w in run)
            if phrase in _PHRASES:
                category = _PHRASES[phrase]
                if category is None:
                    break  # "interest rate": no category here
                start, end = doc.tokens[run[0][0]].start, doc.tokens[run[-1][0]].end
                return CategoryMention(category, doc.raw(start, end), (start, end))
        else:
            k, word = words[n]
            if len(word) >= 6 and word not in STOP_WORDS and k not in an.taken:
                near = process.extractOne(
                    word, list(_SINGLE), scorer=fuzz.ratio, score_cutoff=CATEGORY_FUZZY_THRESHOLD
                )
                if near is not None:
                    tok = doc.tokens[k]
                    span = (tok.start, tok.end)
                    return CategoryMention(_SINGLE[near[0]], doc.raw(*span), span)
    return None


def _hyphens(doc: Doc, a: int, b: int) -> bool:
    """Only hyphens between token a and token b ("take-out")."""
    return all(doc.tokens[k].text == "-" for k in range(a + 1, b))
