"""Financial insights: merchant normalization, categories, recurring series, duplicates.

Pure functions over lists of `Transaction` records; no database, no network, no clock of
their own (the caller passes the "as of" date). See docs/insights.md.
"""

from openteller.insights.duplicates import (
    DEFAULT_WINDOW,
    DUPLICATE_SKIP_CATEGORIES,
    DuplicateCharge,
    detect_duplicates,
)
from openteller.insights.merchants import (
    CATEGORIES,
    categorize,
    categorize_text,
    merchant_key,
    normalize_merchant,
)
from openteller.insights.records import Transaction
from openteller.insights.recurring import (
    DEFAULT_SKIP_CATEGORIES,
    Period,
    PriceChange,
    RecurringSeries,
    detect_recurring,
    recurring_transaction_ids,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_SKIP_CATEGORIES",
    "DEFAULT_WINDOW",
    "DUPLICATE_SKIP_CATEGORIES",
    "DuplicateCharge",
    "Period",
    "PriceChange",
    "RecurringSeries",
    "Transaction",
    "categorize",
    "categorize_text",
    "detect_duplicates",
    "detect_recurring",
    "merchant_key",
    "normalize_merchant",
    "recurring_transaction_ids",
]
