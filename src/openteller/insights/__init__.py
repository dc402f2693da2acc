"""Financial insights: merchants and categories, recurring series, duplicate charges,
unusual transactions, low-balance forecasts and bill reminders, and their evaluation.

Pure functions over lists of `Transaction` records; no database, no network, no clock
of their own (the caller passes the "as of" date). `analyze` runs every detector in one
batch pass. See docs/insights.md.
"""

from openteller.insights.duplicates import (
    DEFAULT_WINDOW,
    DUPLICATE_SKIP_CATEGORIES,
    DuplicateCharge,
    detect_duplicates,
)
from openteller.insights.evaluate import (
    DEMO_BANK,
    demo_plan,
    evaluate,
    planned_transactions,
    score,
)
from openteller.insights.forecast import (
    BillReminder,
    ForecastItem,
    LowBalanceForecast,
    forecast_low_balance,
    upcoming_bills,
)
from openteller.insights.merchants import (
    CATEGORIES,
    categorize,
    categorize_text,
    merchant_key,
    normalize_merchant,
)
from openteller.insights.pipeline import Findings, analyze
from openteller.insights.records import Transaction
from openteller.insights.recurring import (
    DEFAULT_SKIP_CATEGORIES,
    Period,
    PriceChange,
    RecurringSeries,
    detect_recurring,
    recurring_transaction_ids,
)
from openteller.insights.unusual import (
    DEFAULT_LOOKBACK,
    MIN_HISTORY,
    UNUSUAL_SKIP_CATEGORIES,
    UnusualTransaction,
    detect_unusual,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_LOOKBACK",
    "DEFAULT_SKIP_CATEGORIES",
    "DEFAULT_WINDOW",
    "DEMO_BANK",
    "DUPLICATE_SKIP_CATEGORIES",
    "MIN_HISTORY",
    "UNUSUAL_SKIP_CATEGORIES",
    "BillReminder",
    "DuplicateCharge",
    "Findings",
    "ForecastItem",
    "LowBalanceForecast",
    "Period",
    "PriceChange",
    "RecurringSeries",
    "Transaction",
    "UnusualTransaction",
    "analyze",
    "categorize",
    "categorize_text",
    "demo_plan",
    "detect_duplicates",
    "detect_recurring",
    "detect_unusual",
    "evaluate",
    "forecast_low_balance",
    "merchant_key",
    "normalize_merchant",
    "planned_transactions",
    "recurring_transaction_ids",
    "score",
    "upcoming_bills",
]
