"""Merchant normalization and rule-based categorization.

`normalize_merchant` turns a raw card or ACH descriptor into a stable uppercase key:
``"POS DEBIT SQ *STARBUCKS #1234 SEATTLE WA"`` and ``"Starbucks"`` both become
``"STARBUCKS"``. The detectors group transactions by that key, so noise that changes from
one charge to the next (store numbers, processor prefixes, reference codes, the city) must
go, while the words that tell merchants apart must stay.

`categorize` keeps a category the core already recorded and otherwise applies keyword
rules, then a small trained classifier (`classifier.py`) when no rule matches; the
categories are the ones the core and the demo bank use (see CATEGORIES).
"""

from __future__ import annotations

import re
from functools import lru_cache

from openteller.insights.classifier import classify_text
from openteller.insights.records import Transaction

#: Categories used across OpenTeller (same list as the demo bank's merchants module).
CATEGORIES: tuple[str, ...] = (
    "income",
    "housing",
    "utilities",
    "groceries",
    "dining",
    "fuel",
    "transport",
    "shopping",
    "entertainment",
    "subscriptions",
    "health",
    "travel",
    "transfer",
    "card_payment",
    "loan",
    "fees",
    "interest",
    "p2p",
    "cash",
)

# Leading words card networks and acquirers add before the merchant's name.
_PREFIXES = (
    "DEBIT CARD PURCHASE",
    "CHECKCARD PURCHASE",
    "RECURRING PAYMENT",
    "POS PURCHASE",
    "POS DEBIT",
    "CHECKCARD",
    "PURCHASE",
    "POS",
    "ACH",
)
# Payment processors written as "PROCESSOR *MERCHANT".
_PROCESSORS = frozenset({"SQ", "TST", "PAYPAL", "PP", "SP", "GOOGLE", "APPLE.COM", "IC"})
# Trailing words that describe the payment rather than the payee.
_SUFFIXES = (
    "DIRECT DEPOSIT",
    "DIRECT DEP",
    "DIR DEP",
    "AUTO PAY",
    "AUTOPAY",
    "BILL PAY",
    "RECURRING",
    "ONLINE",
    "PPD",
    "WEB",
)
_US_STATES = frozenset(
    re.findall(
        r"[A-Z]{2}",
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT "
        "NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY",
    )
)
# First words of two-word city names, so "SAN FRANCISCO CA" goes as a whole.
_CITY_FIRST_WORDS = frozenset(
    {"SAN", "SANTA", "LOS", "LAS", "NEW", "ST", "SAINT", "FORT", "FT", "EL", "SALT", "PALO"}
)
# Known spellings of one merchant, checked against the start of the cleaned text.
_ALIASES: tuple[tuple[str, str], ...] = (
    ("AMZN MKTP", "AMAZON"),
    ("AMZN", "AMAZON"),
    ("AMAZON COM", "AMAZON"),
    ("AMAZON MKTPLACE", "AMAZON"),
    ("NETFLIX COM", "NETFLIX"),
    ("SPOTIFY USA", "SPOTIFY"),
    ("WAL MART", "WALMART"),
    ("WM SUPERCENTER", "WALMART"),
    ("UBER TRIP", "UBER"),
    ("UBER EATS", "UBER EATS"),
)

_STORE_NUMBER = re.compile(r"(?:#\s*\d+|\bSTORE\s*\d+|\bNO\.?\s*\d+)")
_DIGITS = re.compile(r"\b\w*\d\w*\b")  # reference codes and numbers: 1234, 2K3L4, X99
_NON_WORD = re.compile(r"[^A-Z0-9&' +]")
_SPACES = re.compile(r"\s+")
_DOT_COM = re.compile(r"\.(?:COM|NET|ORG|CO)\b")


# Descriptors repeat (a few thousand distinct strings across a million transactions), so
# the regex work is cached: the batch pipeline calls these once per transaction and detector.
@lru_cache(maxsize=65536)
def normalize_merchant(raw: str) -> str:
    """The stable uppercase key of a merchant descriptor; "" when nothing is left."""
    text = _SPACES.sub(" ", raw.upper()).strip()
    text = _strip_prefixes(text)
    text = _strip_processor(text)
    text = _STORE_NUMBER.sub(" ", text)
    text = _DOT_COM.sub(" ", text)
    text = text.replace("*", " ").replace(".", " ").replace("-", " ").replace("/", " ")
    text = _NON_WORD.sub(" ", text)
    text = _DIGITS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    text = _strip_location(text)
    text = _strip_suffixes(text)
    for spelling, name in _ALIASES:
        if text == spelling or text.startswith(spelling + " "):
            return name
    return text


def merchant_key(txn: Transaction) -> str:
    """The key the detectors group by: the merchant if recorded, else the description."""
    key = normalize_merchant(txn.merchant) if txn.merchant else ""
    return key or normalize_merchant(txn.description)


def _strip_prefixes(text: str) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if text.startswith(prefix + " "):
                text = text[len(prefix) + 1 :].lstrip()
                changed = True
    return text


def _strip_processor(text: str) -> str:
    """ "SQ *BLUE BOTTLE" -> "BLUE BOTTLE"; "AMAZON.COM*2K3L4 WA" -> "AMAZON.COM"."""
    if "*" not in text:
        return text
    head, _, tail = text.partition("*")
    if head.strip() in _PROCESSORS:
        return _strip_processor(tail.strip())
    return head.strip()


def _strip_location(text: str) -> str:
    """Drop a trailing "CITY ST" (US state code) when a name is left before it."""
    words = text.split(" ")
    if len(words) >= 3 and words[-1] in _US_STATES:
        cut = len(words) - 2
        if cut >= 2 and words[cut - 1] in _CITY_FIRST_WORDS:
            cut -= 1
        return " ".join(words[:cut])
    return text


def _strip_suffixes(text: str) -> str:
    for suffix in _SUFFIXES:
        if text.endswith(" " + suffix):
            return text[: -len(suffix) - 1].rstrip()
    return text


# Keyword rules, first match wins; matched as whole words against the normalized text.
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("income", ("PAYROLL", "SALARY", "DIRECT DEP", "DIR DEP")),
    ("card_payment", ("CREDIT CARD PAYMENT",)),
    ("housing", ("RENT", "MORTGAGE", "APARTMENTS", "RESIDENCES", "PROPERTY MGMT")),
    ("loan", ("LOAN PAYMENT", "LOAN PROCEEDS")),
    ("interest", ("INTEREST",)),
    ("fees", ("FEE", "OVERDRAFT")),
    ("cash", ("ATM", "CASH WITHDRAWAL")),
    ("transfer", ("TRANSFER", "OPENING DEPOSIT")),
    ("p2p", ("VENMO", "ZELLE", "CASH APP", "PAYMENT TO")),
    (
        "subscriptions",
        (
            "NETFLIX",
            "SPOTIFY",
            "HULU",
            "DISNEY+",
            "DISNEY",
            "ICLOUD",
            "YOUTUBE PREMIUM",
            "AMAZON PRIME",
            "NEW YORK TIMES",
            "PELOTON",
            "ADOBE",
        ),
    ),
    (
        "utilities",
        ("POWER", "ELECTRIC", "WATER", "GAS CO", "XFINITY", "COMCAST", "VERIZON", "AT&T"),
    ),
    (
        "groceries",
        ("KROGER", "WHOLE FOODS", "TRADER JOE'S", "SAFEWAY", "ALDI", "COSTCO", "GROCERY"),
    ),
    (
        "dining",
        (
            "STARBUCKS",
            "CHIPOTLE",
            "OLIVE GARDEN",
            "SWEETGREEN",
            "PANERA",
            "DOORDASH",
            "SHAKE SHACK",
            "PIZZERIA",
            "PIZZA",
            "RESTAURANT",
            "CAFE",
            "UBER EATS",
        ),
    ),
    ("fuel", ("SHELL", "CHEVRON", "EXXONMOBIL", "EXXON", "BP", "FUEL")),
    ("transport", ("UBER", "LYFT", "TRANSIT", "PARKING")),
    (
        "travel",
        ("AIRLINES", "AIRWAYS", "HOTEL", "MARRIOTT", "HILTON", "AIRBNB", "EXPEDIA"),
    ),
    ("health", ("CVS", "WALGREENS", "PHARMACY", "FITNESS", "CLINIC", "DENTAL")),
    ("entertainment", ("AMC", "TICKETMASTER", "STEAM", "CINEMA", "THEATRES")),
    (
        "shopping",
        ("AMAZON", "TARGET", "WALMART", "HOME DEPOT", "BEST BUY", "IKEA", "EBAY"),
    ),
)
_RULE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (
        category,
        re.compile(r"(?<![A-Z0-9])(?:" + "|".join(re.escape(w) for w in words) + r")(?![A-Z0-9])"),
    )
    for category, words in _RULES
)


@lru_cache(maxsize=65536)
def categorize_text(text: str) -> str | None:
    """The category the keyword rules give a descriptor, or None when no rule matches."""
    upper = _SPACES.sub(" ", text.upper())
    cleaned = normalize_merchant(text)
    for category, pattern in _RULE_PATTERNS:
        if pattern.search(cleaned) or pattern.search(upper):
            return category
    return None


def categorize(txn: Transaction, *, classify: bool = True) -> str | None:
    """The transaction's category: the one recorded, else the keyword rules' answer, else
    (with `classify`) the merchant classifier's, which names spending categories only and
    abstains when unsure (`insights.classifier`)."""
    if txn.category:
        return txn.category
    for text in (txn.merchant, txn.description):
        if text:
            found = categorize_text(text)
            if found is not None:
                return found
    if not classify:
        return None
    return classify_text(merchant_key(txn))
