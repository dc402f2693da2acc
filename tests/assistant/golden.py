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
      bank: insights                    # the bank with months of history (optional)
      expect:                           # the state after the last turn (optional)
        transfers: 1                    # new posted transfers from the customer's accounts
        moved: "25.00"                  # their total
        tickets: [dispute]              # reasons of tickets opened, in order
        card_status: blocked            # the first card's status
        alerts_new: 0                   # the customer's alerts still unseen
        insight_runs: [batch]           # modes of the detectors' runs, in order
        handoff: {intent: ..., fact_names: [...]}  # the last ticket's handoff summary
        events: [session_started, ...]  # event types that must have been recorded

Every reply passes through the real guardrails (input screening, output review, audit
log in the bank's database). Support questions are answered by the real knowledge base
(the packaged corpus, indexed once per test session) through the extractive provider.

Placeholders (`{checking_available}`, `{payee0}`, `{card0_last4}`...) are filled from an
independent reading of the bank before the conversation starts, so expected text is
exact without being written into the files.

Insights conversations (`bank: insights`) need history: a monthly series shows only from
its third charge, and the golden bank has two months. They run on a second bank
(`INSIGHTS_SEED`, five months), seeded once per process when a conversation asks for it,
with one batch run of the insights service (so alerts wait for the first reply). Their
placeholders (`{sub0}`, `{duplicate_merchant}`, `{oct_spent}`...) come from the seeder's
own labels (`seed_labels`) and from SQL over the postings, not from the detectors.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import Connection, Engine, func, select, text

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
from openteller.core.models import (
    Account,
    Alert,
    HandoffTicket,
    InsightRun,
    Posting,
    SeedLabel,
    Transfer,
)
from openteller.credit import CreditService
from openteller.guardrails import Guardrails
from openteller.insights.service import InsightsService
from openteller.settings import Settings
from tests.api.conftest import SETTINGS
from tests.conftest import NOW

GOLDEN = Path(__file__).parent / "golden"
# Four customers: 0 has checking, savings and a loan; 1 has a credit card (two cards).
SEED = SeedOptions(4, 2, 3, as_of=date(2026, 11, 14))
# Insights conversations: five months, so monthly series have their three charges.
INSIGHTS_SEED = SeedOptions(4, 5, 8, as_of=date(2026, 11, 14))


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


def seeded_template(directory: Path, options: SeedOptions = SEED, insights: bool = False) -> Path:
    """A seeded bank file to copy per conversation; `insights`: with the alerts of one
    batch run of the insights service as of `NOW`."""
    path = directory / "golden.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    settings = Settings(database_url=f"sqlite:///{path}", **SETTINGS)
    seed_bank(engine, settings, options, clock=FixedClock(NOW))
    if insights:
        InsightsService(engine, FixedClock(NOW), settings).run()
    engine.dispose()
    return path


@functools.cache
def insights_template() -> Path:
    """The insights bank, seeded once per process (only when a conversation needs it)."""
    return seeded_template(Path(tempfile.mkdtemp(prefix="golden-insights-")), INSIGHTS_SEED, True)


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
    return found | insight_facts(bank, customer_id)


def insight_facts(bank: Bank, customer_id: int) -> dict[str, str]:
    """Placeholders for insights conversations, from the seeder's labels and the postings."""
    found: dict[str, str] = {}
    today = bank.clock.now().astimezone(TZ).date()
    october = (date(2026, 10, 1), date(2026, 10, 31))
    with bank.engine.connect() as conn:
        labelled = conn.execute(
            select(SeedLabel.label, SeedLabel.detail, Transfer.merchant, Transfer.category)
            .add_columns(Transfer.occurred_at, Posting.amount_minor)
            .join(Transfer, Transfer.id == SeedLabel.transfer_id)
            .join(Posting, Posting.transfer_id == Transfer.id)
            .join(Account, Account.id == Posting.account_id)
            .where(Account.customer_id == customer_id, Posting.amount_minor < 0)
            .order_by(Transfer.occurred_at, Transfer.id)
        ).all()
        postings = _postings(conn, customer_id, *october)
    spent, received = _totals(postings)
    found["oct_spent"], found["oct_received"] = money(spent), money(received)
    found["oct_dining"] = money(_totals(postings, "dining")[0])
    subs: dict[str, list[tuple[date, str, str]]] = {}
    for row in labelled:
        when = row.occurred_at.astimezone(TZ).date()
        amount = money(Decimal(-row.amount_minor) / 100)
        if row.label == "recurring" and row.category == "subscriptions":
            subs.setdefault(row.merchant, []).append((when, amount, row.detail))
        elif row.label in ("duplicate", "unusual") and when >= today - timedelta(days=90):
            found[f"{row.label}_merchant"] = row.merchant
            found[f"{row.label}_amount"] = amount
    # Subscriptions charged at least three times, the last within a month: detectable.
    live = sorted(
        (m for m, charges in subs.items() if len(charges) >= 3),
        key=lambda m: (subs[m][-1][0], m),
        reverse=True,
    )
    current = [m for m in live if subs[m][-1][0] >= today - timedelta(days=31)]
    for i, merchant in enumerate(current):
        found[f"sub{i}"] = merchant
        found[f"sub{i}_amount"] = subs[merchant][-1][1]
    for merchant in current:
        rise = next((c for c in subs[merchant] if c[2].startswith("price_increase")), None)
        if rise is not None:
            before = rise[2].split()[1].split("->")[0]  # "price_increase 15.49->17.99"
            found["rise_merchant"] = merchant
            found["rise_old"] = money(Decimal(before))
            found["rise_new"] = rise[1]
            found["rise_since"] = f"{rise[0]:%b} {rise[0].day}, {rise[0].year}"
            break
    return found


TZ = ZoneInfo(Settings(**SETTINGS).timezone)
NOT_SPENDING = frozenset({"transfer", "card_payment", "income"})
INTERNAL = frozenset({"transfer", "card_payment"})


def _postings(conn: Connection, customer_id: int, start: date, end: date) -> list[Any]:
    """(amount_minor, category) of the postings on the customer's accounts between two
    local dates, inclusive."""
    low = datetime(start.year, start.month, start.day, tzinfo=TZ)
    high = datetime(end.year, end.month, end.day, tzinfo=TZ) + timedelta(days=1)
    return list(
        conn.execute(
            select(Posting.amount_minor, Transfer.category)
            .join(Transfer, Transfer.id == Posting.transfer_id)
            .join(Account, Account.id == Posting.account_id)
            .where(
                Account.customer_id == customer_id,
                Transfer.occurred_at >= low.astimezone(UTC),
                Transfer.occurred_at < high.astimezone(UTC),
            )
        ).all()
    )


def _totals(postings: list[Any], category: str | None = None) -> tuple[Decimal, Decimal]:
    """(spent, received): spending is debits outside internal movements and income, money
    in is credits outside internal movements (the statement's rules, written again)."""
    spent = received = 0
    for amount, named in postings:
        kind = named or "other"
        if amount < 0 and kind not in NOT_SPENDING and category in (None, kind):
            spent -= amount
        elif amount > 0 and kind not in INTERNAL and category is None:
            received += amount
    return Decimal(spent) / 100, Decimal(received) / 100


def play(
    bank: Bank,
    parser: IntentParser,
    convo: dict[str, Any],
    answerer: DocumentAnswerer | None = None,
) -> tuple[list[TurnResult], MemoryEventSink]:
    """Play one conversation, checking every turn; on the insights bank when it says so."""
    if convo.get("bank") != "insights":
        return _play(bank, parser, convo, answerer)
    insights_bank = _insights_copy(bank)
    try:
        return _play(insights_bank, parser, convo, answerer)
    finally:
        insights_bank.engine.dispose()


def _play(
    bank: Bank,
    parser: IntentParser,
    convo: dict[str, Any],
    answerer: DocumentAnswerer | None,
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
        insights=InsightsService(bank.engine, bank.clock, bank.settings),
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
    if "handoff" in expect:
        # The handoff summary on the last ticket: the given keys, exactly.
        with bank.engine.connect() as conn:
            details = conn.execute(
                select(HandoffTicket.details)
                .where(HandoffTicket.customer_id == customer_id)
                .order_by(HandoffTicket.id.desc())
                .limit(1)
            ).scalar_one()
        summary = details["handoff"]
        got = {
            k: sorted(summary["facts"]) if k == "fact_names" else summary.get(k)
            for k in expect["handoff"]
        }
        assert got == expect["handoff"], (convo["name"], got)
    if "insight_runs" in expect:
        with bank.engine.connect() as conn:
            modes = conn.execute(select(InsightRun.mode).order_by(InsightRun.id)).scalars()
            assert list(modes) == expect["insight_runs"], convo["name"]
    if "alerts_new" in expect:
        with bank.engine.connect() as conn:
            new = conn.execute(
                select(func.count())
                .select_from(Alert)
                .where(Alert.customer_id == customer_id, Alert.status == "new")
            ).scalar_one()
        assert new == expect["alerts_new"], convo["name"]
    if "card_status" in expect:
        core = LocalCoreBanking(bank.engine, bank.clock, customer_id, bank.settings)
        first = sorted(core.list_cards(), key=lambda c: c.id)[0]
        assert first.status.value == expect["card_status"], convo["name"]
    for kind in expect.get("events", []):
        assert kind in {e.type.value for e in sink.events}, (convo["name"], kind)
    return results, sink


def _insights_copy(bank: Bank) -> Bank:
    """A copy of the insights bank beside the conversation's own bank file (the test's
    temporary directory, removed with it)."""
    directory = Path(bank.engine.url.database or ".").parent / "insights"
    directory.mkdir(exist_ok=True)
    path = directory / "bank.db"
    shutil.copy(insights_template(), path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, username FROM customers ORDER BY id")).all()
    logins = [{"customer_id": r.id, "username": r.username} for r in rows]
    return Bank(engine, Settings(database_url=url, **SETTINGS), FixedClock(NOW), logins)


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
