from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from itertools import count

import pytest

from openteller.insights import Transaction


class Builder:
    """Hand-built transactions with increasing ids."""

    def __init__(self) -> None:
        self._ids = count(1)

    def __call__(
        self,
        day: date,
        amount: str,
        merchant: str | None,
        *,
        hour: int = 12,
        minute: int = 0,
        account: int = 10,
        customer: int = 1,
        description: str | None = None,
        category: str | None = None,
        location: str | None = None,
        channel: str | None = None,
        tz: tzinfo = UTC,
    ) -> Transaction:
        return Transaction(
            id=next(self._ids),
            account_id=account,
            customer_id=customer,
            occurred_at=datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz),
            amount=Decimal(amount),
            merchant=merchant,
            description=description if description is not None else (merchant or ""),
            category=category,
            location=location,
            channel=channel,
        )


@pytest.fixture
def txn() -> Builder:
    return Builder()
