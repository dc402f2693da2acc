"""The golden-conversation runner: YAML scripts of what a customer says and what must
follow, played in process against a seeded bank with the real NLU model.

A conversation file holds a list of conversations:

    - name: send money to a payee with confirmation
      customer: 0                       # index of the seeded login (default 0)
      turns:
        - say: "send $25 to {payee0}"   # placeholders come from the bank (see `facts`)
          intent: transfer_money        # the NLU's intent (optional)
          contains: ["Please confirm", "$25.00"]
          not_contains: ["Done"]
          pending: true                 # a confirmation is pending (optional)
          handoff: false                # a ticket was opened this turn (optional)
          cites: [fee-schedule]         # document ids the answer cites, in order (optional)
        - say: "yes"
          contains: ["Done: $25.00 sent"]
      expect:                           # the state after the last turn (optional)
        transfers: 1                    # new posted transfers from the customer's accounts
        moved: "25.00"                  # their total
        tickets: [dispute]              # reasons of tickets opened, in order
        card_status: blocked            # the first card's status
        events: [session_started, ...]  # event types that must have been recorded

Every reply passes through the real guardrails (input screening, output review, audit
log in the bank's database). Support questions are answered by the real knowledge base
(the packaged corpus, indexed once per test session) through the extractive provider.

Placeholders (`{checking_available}`, `{payee0}`, `{card0_last4}`...) are filled from an
independent reading of the bank before the conversation starts, so expected text is
exact without being written into the files.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, func, select, text

from openteller.analytics import MemoryEventSink
from openteller.assistant import Assistant, DocumentAnswerer, IntentParser, TurnResult
from openteller.assistant.context import money
from openteller.core import (
    FixedClock,
    Ledger,
    LocalCoreBanking,
    TransactionQuery,
    make_engine,
    upgrade,
)
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.core.models import Account, HandoffTicket, Transfer
from openteller.credit import CreditService
from openteller.guardrails import Guardrails
from openteller.settings import Settings
from tests.api.conftest import SETTINGS
from tests.conftest import NOW

GOLDEN = Path(__file__).parent / "golden"
# Four customers: 0 has checking, savings and a loan; 1 has a credit card (two cards).
SEED = SeedOptions(4, 2, 3, as_of=date(2026, 11, 14))


@dataclass
class Bank:
    engine: Engine
    settings: Settings
    clock: FixedClock
    logins: list[dict[str, Any]]


def conversations() -> list[Any]:
    """Every conversation of every file, as pytest params named after them."""
    params = []
    for path in sorted(GOLDEN.glob("*.yaml")):
        for convo in yaml.safe_load(path.read_text()):
            params.append(pytest.param(convo, id=f"{path.stem}: {convo['name']}"))
    return params


def seeded_template(directory: Path) -> Path:
    path = directory / "golden.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    settings = Settings(database_url=f"sqlite:///{path}", **SETTINGS)
    seed_bank(engine, settings, SEED, clock=FixedClock(NOW))
    engine.dispose()
    return path


def open_copy(template: Path, directory: Path) -> Iterator[Bank]:
    path = directory / "bank.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    settings = Settings(database_url=url, **SETTINGS)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, username FROM customers ORDER BY id")).all()
    logins = [{"customer_id": r.id, "username": r.username} for r in rows]
    yield Bank(engine, settings, FixedClock(NOW), logins)
    engine.dispose()


def facts(bank: Bank, customer_id: int) -> dict[str, str]:
    """Placeholder values read from the bank, not through the assistant."""
    core = LocalCoreBanking(bank.engine, bank.clock, customer_id, bank.settings)
    ledger = Ledger(bank.engine, bank.clock)
    found: dict[str, str] = {}
    for account in core.list_accounts():
        kind = account.kind.value
        balance = ledger.balance(account.id)
        found.setdefault(f"{kind}_id", str(account.id))
        found.setdefault(f"{kind}_last4", account.number_last4)
        found.setdefault(f"{kind}_name", account.name)
        found.setdefault(f"{kind}_available", money(balance.available))
        found.setdefault(f"{kind}_owed", money(max(Decimal("0.00"), -balance.ledger)))
        if balance.spendable is not None:
            found.setdefault(f"{kind}_spendable", money(balance.spendable))
            found.setdefault(f"{kind}_spendable_plus_1", money(balance.spendable + 1))
    checking = next((a for a in core.list_accounts() if a.kind.value == "checking"), None)
    if checking is not None:
        page = core.transactions(checking.id, TransactionQuery(direction="debit", limit=200))
        bought = [t for t in page.items if t.category not in (None, "transfer", "p2p")]
        if bought:
            found["recent_merchant"] = bought[0].merchant or bought[0].description
            found["recent_amount"] = money(-bought[0].amount)
    for i, payee in enumerate(core.list_payees()):
        found[f"payee{i}"] = payee.name
    for i, card in enumerate(core.list_cards()):
        found[f"card{i}_last4"] = card.last4
        found[f"card{i}_kind"] = card.kind
    return found


def play(
    bank: Bank,
    parser: IntentParser,
    convo: dict[str, Any],
    answerer: DocumentAnswerer | None = None,
) -> tuple[list[TurnResult], MemoryEventSink]:
    login = bank.logins[int(convo.get("customer", 0))]
    customer_id = int(login["customer_id"])
    known = facts(bank, customer_id)
    known["long_text"] = "please check my balance " * 100  # 2,400 characters
    other = bank.logins[(int(convo.get("customer", 0)) + 1) % len(bank.logins)]
    known |= {f"other_{k}": v for k, v in facts(bank, int(other["customer_id"])).items()}
    sink = MemoryEventSink()
    assistant = Assistant(
        bank.engine,
        bank.clock,
        bank.settings,
        parser,
        sink,
        answerer=answerer,
        guard=Guardrails.from_settings(bank.settings, bank.engine, bank.clock),
        credit=CreditService(bank.engine, bank.clock, bank.settings),
    )
    before = _moved(bank.engine, customer_id)
    results: list[TurnResult] = []
    session: str | None = None
    for number, turn in enumerate(convo["turns"], start=1):
        said = str(turn["say"]).format(**known)
        result = assistant.reply(customer_id, said, session)
        session = result.session_id
        results.append(result)
        where = f"turn {number} ({said!r}) -> {result.reply!r}"
        if "intent" in turn:
            assert result.intent == turn["intent"], where
        for expected in turn.get("contains", []):
            assert str(expected).format(**known) in result.reply, where
        for unexpected in turn.get("not_contains", []):
            assert str(unexpected).format(**known) not in result.reply, where
        if "pending" in turn:
            assert (result.pending_confirmation is not None) == turn["pending"], where
        if "handoff" in turn:
            assert (result.handoff is not None) == turn["handoff"], where
        if "cites" in turn:
            cited = list(dict.fromkeys(c["doc_id"] for c in result.citations))
            assert cited == turn["cites"], where
        bank.clock.advance(timedelta(seconds=20))
    expect = convo.get("expect", {})
    after = _moved(bank.engine, customer_id)
    if "transfers" in expect:
        assert after[0] - before[0] == expect["transfers"], convo["name"]
    if "moved" in expect:
        assert after[1] - before[1] == Decimal(expect["moved"]), convo["name"]
    if "tickets" in expect:
        with bank.engine.connect() as conn:
            reasons = conn.execute(
                select(HandoffTicket.reason)
                .where(HandoffTicket.customer_id == customer_id)
                .order_by(HandoffTicket.id)
            ).scalars()
            assert list(reasons) == expect["tickets"], convo["name"]
    if "card_status" in expect:
        core = LocalCoreBanking(bank.engine, bank.clock, customer_id, bank.settings)
        first = sorted(core.list_cards(), key=lambda c: c.id)[0]
        assert first.status.value == expect["card_status"], convo["name"]
    for kind in expect.get("events", []):
        assert kind in {e.type.value for e in sink.events}, (convo["name"], kind)
    return results, sink


def _moved(engine: Engine, customer_id: int) -> tuple[int, Decimal]:
    """(posted transfers out of the customer's accounts, their total) so far."""
    with engine.connect() as conn:
        own = select(Account.id).where(Account.customer_id == customer_id).scalar_subquery()
        count, total = conn.execute(
            select(func.count(), func.coalesce(func.sum(Transfer.amount_minor), 0)).where(
                Transfer.debit_account_id.in_(own), Transfer.status == "posted"
            )
        ).one()
    return int(count), Decimal(int(total)) / 100
