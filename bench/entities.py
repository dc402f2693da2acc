"""Benchmark: latency of one `extract_all` pass over typical customer sentences.

Prints one JSON line: the cost of the first call before and after `warm_up()`, then the
p50/p95/max per call over `--rounds` passes of the sentence set (each call lexes, parses
dates, amounts, payees, accounts, merchants and categories from scratch; only the alias
index of a payee/account/merchant list is reused, as it is across a session's turns).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from openteller.assistant.entities import extract_all, warm_up
from openteller.core import AccountKind, AccountStatus, AccountView, PayeeView

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
TZ = ZoneInfo("America/New_York")
SENTENCES = (
    "pay mom fifty bucks tomorrow",
    "how much did I spend on eating out last month",
    "transfer $1,250.50 from savings to checking",
    "send maria lopez 40 on the 15th",
    "what did I spend at starbucks between June 1 and 15",
    "show my transactions since March",
    "pay my credit card ending 9912 in full next friday",
    "move 200 into my vacation fund",
    "how much gas did I buy in the last 30 days",
    "what's my balance",
    "can you send robert 1.2k on Dec 3rd",
    "block my card",
)
PAYEES = tuple(
    PayeeView(i, name, "Chase", "021000021", f"{i:04d}", NOW)
    for i, name in enumerate(
        ["Mom", "Maria Lopez", "Maria Chen", "Robert Smith", "Parkview Apartments"], 1
    )
)
ACCOUNTS = tuple(
    AccountView(i, 1, last4, kind, kind.value, name, "USD", AccountStatus.OPEN, NOW)
    for i, (kind, name, last4) in enumerate(
        [
            (AccountKind.CHECKING, "Everyday Checking", "4821"),
            (AccountKind.SAVINGS, "High-Yield Savings", "1212"),
            (AccountKind.CREDIT_CARD, "Cash Back Credit Card", "9912"),
            (AccountKind.SAVINGS, "Vacation Fund", "3344"),
        ],
        1,
    )
)


def _call(text: str) -> float:
    started = time.perf_counter()
    extract_all(text, now=NOW, tz=TZ, payees=PAYEES, accounts=ACCOUNTS)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()

    first_s = _call(SENTENCES[0])
    started = time.perf_counter()
    warm_up()
    warm_up_s = time.perf_counter() - started
    samples = sorted(_call(text) for _ in range(args.rounds) for text in SENTENCES)
    ms = [s * 1000 for s in samples]
    print(
        json.dumps(
            {
                "benchmark": "entities",
                "date": date.today().isoformat(),
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                "sentences": len(SENTENCES),
                "calls": len(samples),
                "first_call_ms": round(first_s * 1000, 2),
                "warm_up_ms": round(warm_up_s * 1000, 1),
                "p50_ms": round(statistics.median(ms), 3),
                "p95_ms": round(ms[int(len(ms) * 0.95)], 3),
                "max_ms": round(ms[-1], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
