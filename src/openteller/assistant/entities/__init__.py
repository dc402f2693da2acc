"""Entities in what the customer typed: amounts, dates, payees, accounts, merchants.

Every extractor takes the raw utterance and returns typed, frozen results with character
spans into it; bad input ("10.555", "February 30", a payee the customer does not have)
comes back as a result the dialogue can answer (`problems`, `InvalidDate`,
`MatchStatus.NOT_FOUND`), never as an exception. Money is `Decimal`; "today" comes only
from the `now` and bank timezone passed in.
"""

from openteller.assistant.entities._fuzzy import MatchStatus
from openteller.assistant.entities._lexer import Span
from openteller.assistant.entities.accounts import (
    AccountMatch,
    Role,
    TransferAccounts,
    extract_accounts,
    extract_transfer_accounts,
    match_account,
)
from openteller.assistant.entities.amounts import (
    AmountMention,
    AmountProblem,
    PercentMention,
    extract_amounts,
    extract_percents,
)
from openteller.assistant.entities.bundle import Entities, extract_all, warm_up
from openteller.assistant.entities.dates import (
    DateRange,
    InvalidDate,
    Prefer,
    ScheduledDate,
    extract_date,
    extract_date_range,
    local_today,
)
from openteller.assistant.entities.merchants import (
    CATEGORIES,
    CATEGORY_SYNONYMS,
    DEMO_MERCHANTS,
    CategoryMention,
    KnownMerchant,
    MerchantMatch,
    extract_category,
    extract_merchant,
)
from openteller.assistant.entities.payees import PayeeCandidate, PayeeMatch, match_payee

__all__ = [
    "CATEGORIES",
    "CATEGORY_SYNONYMS",
    "DEMO_MERCHANTS",
    "AccountMatch",
    "AmountMention",
    "AmountProblem",
    "CategoryMention",
    "DateRange",
    "Entities",
    "InvalidDate",
    "KnownMerchant",
    "MatchStatus",
    "MerchantMatch",
    "PayeeCandidate",
    "PayeeMatch",
    "PercentMention",
    "Prefer",
    "Role",
    "ScheduledDate",
    "Span",
    "TransferAccounts",
    "extract_accounts",
    "extract_all",
    "extract_amounts",
    "extract_category",
    "extract_date",
    "extract_date_range",
    "extract_merchant",
    "extract_percents",
    "extract_transfer_accounts",
    "local_today",
    "match_account",
    "match_payee",
    "warm_up",
]
