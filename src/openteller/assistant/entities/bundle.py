"""Every entity of an utterance in one pass: what the dialogue reads after the NLU."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from openteller.assistant.entities._analysis import analyse
from openteller.assistant.entities.accounts import (
    AccountMatch,
    TransferAccounts,
    accounts_of,
    transfer_of,
)
from openteller.assistant.entities.amounts import AmountMention, PercentMention
from openteller.assistant.entities.dates import (
    DateRange,
    InvalidDate,
    ScheduledDate,
    range_of,
    single_of,
)
from openteller.assistant.entities.dates import warm_up as _warm_dates
from openteller.assistant.entities.merchants import (
    DEMO_MERCHANTS,
    CategoryMention,
    KnownMerchant,
    MerchantMatch,
    category_of,
    merchant_of,
)
from openteller.assistant.entities.payees import PayeeMatch, payee_of
from openteller.core import AccountView, PayeeView


@dataclass(frozen=True)
class Entities:
    """What an utterance says, each piece with its span so the dialogue can show and fix it.

    `period` reads the dates as history (a range up to today); `scheduled` reads them as
    a date to pay on (nearest in the future). The same words may also be both a payee
    and a merchant ("pay comcast"). The intent decides which reading counts.
    """

    text: str
    amounts: tuple[AmountMention, ...]
    percents: tuple[PercentMention, ...]
    period: DateRange | InvalidDate | None
    scheduled: ScheduledDate | InvalidDate | None
    payee: PayeeMatch
    accounts: tuple[AccountMatch, ...]
    transfer: TransferAccounts
    merchant: MerchantMatch
    category: CategoryMention | None

    @property
    def amount(self) -> AmountMention | None:
        """The first amount, if any."""
        return self.amounts[0] if self.amounts else None


def extract_all(
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    payees: Sequence[PayeeView] = (),
    accounts: Sequence[AccountView] = (),
    merchants: Sequence[KnownMerchant] = DEMO_MERCHANTS,
    week_start: int = 0,
) -> Entities:
    """Every entity in `text`; `now` (timezone-aware) and `tz` fix what "today" is."""
    an = analyse(text)
    mentions = accounts_of(an, accounts)
    return Entities(
        text=text,
        amounts=an.amounts,
        percents=an.percents,
        period=range_of(an.doc, an.dates, now, tz, week_start=week_start),
        scheduled=single_of(an.doc, an.dates, now, tz, "future"),
        payee=payee_of(an, payees),
        accounts=mentions,
        transfer=transfer_of(mentions),
        merchant=merchant_of(an, merchants),
        category=category_of(an),
    )


def warm_up() -> None:
    """Pay the one-time costs (dateparser's import and first parse, the merchant index)."""
    _warm_dates()
    merchant_of(analyse("coffee at starbucks"), DEMO_MERCHANTS)
