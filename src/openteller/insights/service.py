"""The insights service: the detectors over the ledger, and the alerts they raise.

Reads the customers' posted transactions straight from the core's tables (insights is a
reader of the core, DESIGN.md), runs `analyze` and stores the alerts in `alerts`.

Two ways to run:
- `run()`: a batch over every customer (or the ones named), as `openteller insights run`
  and `make demo` do. Customers are processed in chunks, so memory stays bounded.
- `process_new()`: only the customers whose accounts received postings since the last run
  (the runs table keeps the highest transfer id each run had seen); the API calls it after
  a payment posts, so alerts are produced when postings arrive.

Every run is a row in `insight_runs`. Re-running raises nothing twice: an alert's
`(customer_id, dedupe_key)` is unique, and inserts skip keys that exist.
"""

from __future__ import annotations

import logging
import time as perf
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Table, and_, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from openteller.core.clock import Clock
from openteller.core.errors import NotFound, ValidationFailed
from openteller.core.models import (
    Account,
    AccountKind,
    Alert,
    InsightRun,
    Posting,
    SeedLabel,
    Transfer,
)
from openteller.core.money import from_minor, to_minor
from openteller.insights.alerts import SEVERITY, NewAlert, alerts_from_findings
from openteller.insights.evaluate import evaluate
from openteller.insights.pipeline import Findings, analyze
from openteller.insights.records import Transaction
from openteller.insights.recurring import RecurringSeries, monthly_cost
from openteller.insights.summary import (
    EARLIEST,
    LATEST,
    PeriodSummary,
    SummaryText,
    check_period,
    period_summary,
    summary_text,
)
from openteller.insights.unusual import DEFAULT_LOOKBACK
from openteller.settings import Settings

if TYPE_CHECKING:
    from openteller.guardrails import Guardrails
    from openteller.llm import LLMProvider

log = logging.getLogger(__name__)

accounts_t = cast(Table, Account.__table__)
alerts_t = cast(Table, Alert.__table__)
labels_t = cast(Table, SeedLabel.__table__)
postings_t = cast(Table, Posting.__table__)
runs_t = cast(Table, InsightRun.__table__)
transfers_t = cast(Table, Transfer.__table__)

# Within one run's alerts: the most severe first.
_RANK = case({"high": 0, "medium": 1}, value=alerts_t.c.severity, else_=2)
CHUNK = 500  # customers analysed together in a batch run
STATUSES = ("new", "seen", "dismissed", "active")  # active: new or seen
# Accounts whose balance a low-balance forecast watches (a card or a loan has no balance
# to run out of in that sense).
FORECAST_KINDS = (AccountKind.CHECKING, AccountKind.SAVINGS)


@dataclass(frozen=True)
class AlertView:
    id: int
    customer_id: int
    account_id: int | None
    kind: str
    severity: str
    title: str
    message: str
    amount: Decimal | None
    currency: str
    transaction_id: int | None
    status: str
    created_at: datetime
    expires_at: datetime | None
    facts: dict[str, Any]


@dataclass(frozen=True)
class RecurringCharges:
    series: list[RecurringSeries]  # active and outgoing, most expensive per month first
    monthly_total: Decimal


@dataclass
class RunResult:
    run_id: int
    mode: str
    as_of: datetime
    customers: int = 0
    transactions: int = 0
    alerts_created: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    duration_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "mode": self.mode,
            "as_of": self.as_of.isoformat(),
            "customers": self.customers,
            "transactions": self.transactions,
            "alerts_created": self.alerts_created,
            "by_kind": dict(sorted(self.by_kind.items())),
            "duration_ms": self.duration_ms,
        }


class InsightsService:
    """Detectors and alerts for the customers in the bank's database."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        settings: Settings,
        *,
        provider: LLMProvider | None = None,
        guard: Guardrails | None = None,
    ) -> None:
        """`provider` and `guard`: a language model to word period summaries, and the
        rails that check its figures; without both, summaries use the template."""
        self.engine = engine
        self.clock = clock
        self.tz = ZoneInfo(settings.timezone)
        self.currency = settings.base_currency
        self.provider = provider
        self.guard = guard

    # ------------------------------------------------------------------ reading

    def transactions(
        self, customer_id: int, start: date | None = None, end: date | None = None
    ) -> list[Transaction]:
        """The customer's posted transactions on their own accounts, oldest first.

        `start` and `end` are inclusive local dates (the bank's timezone).
        """
        if start is not None and end is not None and start > end:
            raise ValidationFailed("the start date is after the end date")
        check_period(start or EARLIEST, end or LATEST)
        with self.engine.connect() as conn:
            return load_transactions(conn, [customer_id], self.tz, start, end)

    def findings(self, customer_id: int) -> Findings:
        """Every detector over the customer's whole history, as of now."""
        now = self.clock.now()
        with self.engine.connect() as conn:
            txns = load_transactions(conn, [customer_id], self.tz, None, None)
            balances, _ = _balances(conn, [customer_id])
        return analyze(
            [t for t in txns if t.occurred_at <= now], now, tz=self.tz, balances=balances
        )

    def recurring_charges(self, customer_id: int) -> RecurringCharges:
        """The regular payments still going out of the customer's accounts, most
        expensive per month first, and what they cost a month together."""
        found = self.findings(customer_id).recurring
        active = sorted(
            (s for s in found if s.active and s.typical_amount < 0),
            key=lambda s: (-monthly_cost(s), s.merchant),
        )
        total = sum((monthly_cost(s) for s in active), start=Decimal("0.00"))
        return RecurringCharges(active, total)

    def names(self, customer_id: int, transaction_ids: Sequence[int]) -> dict[int, str]:
        """Transaction id -> the merchant as the customer's statement shows it ("Netflix",
        not the detectors' key "NETFLIX"), for the customer's own transactions only."""
        if not transaction_ids:
            return {}
        t, p, a = transfers_t.c, postings_t.c, accounts_t.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.id, t.merchant, t.description)
                .select_from(
                    transfers_t.join(postings_t, p.transfer_id == t.id).join(
                        accounts_t, p.account_id == a.id
                    )
                )
                .where(t.id.in_(sorted(set(transaction_ids))), a.customer_id == customer_id)
                .distinct()
            )
            return {int(r.id): r.merchant or r.description for r in rows}

    def summary(self, customer_id: int, start: date, end: date) -> PeriodSummary:
        """The customer's money in and out over [start, end] (local dates) against the
        period before, from their whole history up to `end` (first-time merchants need
        what came before)."""
        check_period(start, end)
        history = self.transactions(customer_id, end=end)
        return period_summary(history, start, end, tz=self.tz, currency=self.currency)

    def describe(self, summary: PeriodSummary, session_id: str | None = None) -> SummaryText:
        """The summary in words: the configured model's, when the rails pass it, else
        the template."""
        provider = self.provider if self.provider is not None and self.guard is not None else None
        return summary_text(summary, provider=provider, guard=self.guard, session_id=session_id)

    def alerts(
        self, customer_id: int, *, status: str | None = None, include_expired: bool = False
    ) -> list[AlertView]:
        """The customer's alerts, newest first (the most severe first among one run's);
        expired forecasts and reminders left out."""
        if status is not None and status not in STATUSES:
            raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}", status=status)
        a = alerts_t.c
        conditions: list[Any] = [a.customer_id == customer_id]
        if status == "active":
            conditions.append(a.status != "dismissed")
        elif status is not None:
            conditions.append(a.status == status)
        if not include_expired:
            conditions.append((a.expires_at.is_(None)) | (a.expires_at > self.clock.now()))
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(alerts_t)
                .where(and_(*conditions))
                .order_by(a.created_at.desc(), _RANK, a.id.desc())
            ).all()
        return [_view(r) for r in rows]

    def alert(self, customer_id: int, alert_id: int) -> AlertView:
        """One of the customer's alerts; another customer's is `NotFound`, like a missing one."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(alerts_t).where(
                    alerts_t.c.id == alert_id, alerts_t.c.customer_id == customer_id
                )
            ).one_or_none()
        if row is None:
            raise NotFound("no such alert", alert_id=alert_id)
        return _view(row)

    def mark_seen(self, customer_id: int, alert_ids: Sequence[int]) -> None:
        """New -> seen (the customer was told); other statuses stay."""
        if not alert_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(alerts_t)
                .where(
                    alerts_t.c.customer_id == customer_id,
                    alerts_t.c.id.in_(list(alert_ids)),
                    alerts_t.c.status == "new",
                )
                .values(status="seen", seen_at=self.clock.now())
            )

    def dismiss(self, customer_id: int, alert_id: int) -> AlertView:
        """The customer has dealt with it; dismissing twice is the same as once."""
        now = self.clock.now()
        with self.engine.begin() as conn:
            conn.execute(
                update(alerts_t)
                .where(
                    alerts_t.c.id == alert_id,
                    alerts_t.c.customer_id == customer_id,
                    alerts_t.c.status != "dismissed",
                )
                .values(status="dismissed", dismissed_at=now)
            )
        return self.alert(customer_id, alert_id)

    def customer_count(self) -> int:
        """How many customers a batch run covers (those with accounts)."""
        with self.engine.connect() as conn:
            return len(_customers_with_accounts(conn))

    # ------------------------------------------------------------------ running

    def run(
        self,
        customer_ids: Sequence[int] | None = None,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> RunResult:
        """The detectors over every customer (or those named); stores new alerts."""
        with self.engine.connect() as conn:
            through = _last_transfer_id(conn)
            if customer_ids is None:
                customers = _customers_with_accounts(conn)
            else:
                customers = sorted(set(customer_ids))
        mode = "batch" if customer_ids is None else "customers"
        return self._run(mode, customers, through, progress)

    def process_new(self) -> RunResult:
        """The detectors over the customers with postings since the last finished batch
        or incremental run (a run over named customers, or one that died, moves nothing).

        The watermark is a transfer id: on PostgreSQL a transfer that commits after one
        with a higher id was seen is left to the next batch run (rerunning is harmless).
        """
        with self.engine.connect() as conn:
            since = (
                conn.execute(
                    select(func.max(runs_t.c.through_transfer_id)).where(
                        runs_t.c.finished_at.is_not(None),
                        runs_t.c.mode.in_(("batch", "incremental")),
                    )
                ).scalar()
                or 0
            )
            through = _last_transfer_id(conn)
            customers = sorted(
                {
                    int(c)
                    for (c,) in conn.execute(
                        select(accounts_t.c.customer_id)
                        .distinct()
                        .select_from(
                            postings_t.join(accounts_t, postings_t.c.account_id == accounts_t.c.id)
                        )
                        .where(
                            postings_t.c.transfer_id > since,
                            postings_t.c.transfer_id <= through,
                            accounts_t.c.customer_id.is_not(None),
                        )
                    )
                }
            )
        return self._run("incremental", customers, through, None)

    def _run(
        self,
        mode: str,
        customers: list[int],
        through: int,
        progress: Callable[[int], None] | None,
    ) -> RunResult:
        started = perf.perf_counter()
        now = self.clock.now()
        by_kind: Counter[str] = Counter()
        transactions = created = 0
        with self.engine.begin() as conn:
            run_id = int(
                conn.execute(
                    insert(runs_t)
                    .values(
                        mode=mode,
                        as_of=now,
                        through_transfer_id=through,
                        customers=len(customers),
                        transactions=0,
                        alerts_created=0,
                        counts={},
                        duration_ms=0,
                        created_at=now,
                    )
                    .returning(runs_t.c.id)
                ).scalar_one()
            )
        for chunk in _chunks(customers, CHUNK):
            with self.engine.connect() as conn:
                txns = [
                    t
                    for t in load_transactions(conn, chunk, self.tz, None, None, through=through)
                    if t.occurred_at <= now
                ]
                balances, names = _balances(conn, chunk)
            transactions += len(txns)
            findings = analyze(txns, now, tz=self.tz, balances=balances)
            found = alerts_from_findings(
                findings, {t.id: t for t in txns}, names, now, self.tz, currency=self.currency
            )
            with self.engine.begin() as conn:
                for alert in self._store(conn, found, run_id, now):
                    by_kind[alert.kind] += 1
                    created += 1
            if progress is not None:
                progress(len(chunk))
        elapsed = int((perf.perf_counter() - started) * 1000)
        with self.engine.begin() as conn:
            conn.execute(
                update(runs_t)
                .where(runs_t.c.id == run_id)
                .values(
                    transactions=transactions,
                    alerts_created=created,
                    counts=dict(sorted(by_kind.items())),
                    duration_ms=elapsed,
                    finished_at=self.clock.now(),
                )
            )
        return RunResult(
            run_id=run_id,
            mode=mode,
            as_of=now,
            customers=len(customers),
            transactions=transactions,
            alerts_created=created,
            by_kind=dict(by_kind),
            duration_ms=elapsed,
        )

    def _store(
        self, conn: Connection, alerts: list[NewAlert], run_id: int, now: datetime
    ) -> Iterator[NewAlert]:
        """Insert the alerts whose key is new; yields the ones inserted."""
        if not alerts:
            return
        existing: set[tuple[int, str]] = set()
        for chunk in _chunks(sorted({a.customer_id for a in alerts}), CHUNK):
            existing.update(
                (int(c), str(k))
                for c, k in conn.execute(
                    select(alerts_t.c.customer_id, alerts_t.c.dedupe_key).where(
                        alerts_t.c.customer_id.in_(chunk)
                    )
                )
            )
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        for alert in alerts:
            key = (alert.customer_id, alert.dedupe_key)
            if key in existing:
                continue
            existing.add(key)
            # ON CONFLICT DO NOTHING: a concurrent run that stored the same alert first wins.
            done = conn.execute(
                dialect.insert(alerts_t)
                .values(
                    customer_id=alert.customer_id,
                    account_id=alert.account_id,
                    transfer_id=alert.transfer_id,
                    kind=alert.kind,
                    severity=SEVERITY[alert.kind],
                    dedupe_key=alert.dedupe_key,
                    title=alert.title,
                    message=alert.message,
                    amount_minor=(
                        None
                        if alert.amount is None
                        else to_minor(alert.amount, self.currency, positive=False)
                    ),
                    currency=self.currency,
                    facts=alert.facts,
                    status="new",
                    run_id=run_id,
                    created_at=now,
                    expires_at=alert.expires_at,
                )
                .on_conflict_do_nothing(index_elements=["customer_id", "dedupe_key"])
                .returning(alerts_t.c.id)
            ).scalar_one_or_none()
            if done is not None:
                yield alert


def run_after_postings(engine: Engine, clock: Clock, settings: Settings) -> None:
    """`process_new` for a background task: a failure is logged, never raised, because
    the payment that triggered it has already been answered."""
    try:
        InsightsService(engine, clock, settings).process_new()
    except Exception:
        log.exception("insights run after new postings failed")


def load_transactions(
    conn: Connection,
    customer_ids: Sequence[int],
    tz: ZoneInfo,
    start: date | None,
    end: date | None,
    *,
    through: int | None = None,
) -> list[Transaction]:
    """Posted transactions on the customers' own accounts, oldest first.

    One `Transaction` per posting: a transfer between two of the customer's accounts is
    two records with the same id, one per account, as the customer sees it on each.
    """
    p, t, a = postings_t.c, transfers_t.c, accounts_t.c
    conditions: list[Any] = [a.customer_id.in_(list(customer_ids))]
    if start is not None:
        conditions.append(t.occurred_at >= _midnight(start, tz))
    if end is not None:
        conditions.append(t.occurred_at < _midnight(end + timedelta(days=1), tz))
    if through is not None:
        conditions.append(p.transfer_id <= through)
    rows = conn.execute(
        select(
            p.transfer_id,
            p.account_id,
            a.customer_id,
            p.amount_minor,
            p.currency,
            t.occurred_at,
            t.merchant,
            t.description,
            t.category,
            t.location,
            t.channel,
        )
        .select_from(
            postings_t.join(transfers_t, p.transfer_id == t.id).join(
                accounts_t, p.account_id == a.id
            )
        )
        .where(and_(*conditions))
        .order_by(t.occurred_at, p.id)
    )
    out: list[Transaction] = []
    for r in rows:
        out.append(
            Transaction(
                id=int(r.transfer_id),
                account_id=int(r.account_id),
                customer_id=int(r.customer_id),
                occurred_at=r.occurred_at.astimezone(tz),  # local: detectors use .date()
                amount=from_minor(int(r.amount_minor), r.currency),
                merchant=r.merchant,
                description=r.description,
                category=r.category,
                location=r.location,
                channel=r.channel,
            )
        )
    return out


def evaluate_bank(
    engine: Engine, settings: Settings, as_of: datetime | None = None
) -> dict[str, Any]:
    """Every detector over every customer of a seeded bank, scored against the seeder's labels.

    `as_of` defaults to the last transaction's time (the end of the seeded history).
    Recurring series and duplicates are scored from one run at `as_of`. The unusual
    detector only flags within its 90-day lookback, so it is scored as a bank runs it:
    one run at `as_of` and one at each 90 days before, each seeing only the history up
    to its own time; its flags are the union. Labels before the first window's start
    (the first transaction) cannot be missed that way, so every unusual label counts.
    """
    tz = ZoneInfo(settings.timezone)
    with engine.connect() as conn:
        labels = seed_labels(conn)
        customers = _customers_with_accounts(conn)
        if as_of is None:
            last = conn.execute(select(func.max(transfers_t.c.occurred_at))).scalar()
            as_of = last if last is not None else datetime.now(UTC)
        first = conn.execute(select(func.min(transfers_t.c.occurred_at))).scalar() or as_of
        times = [as_of]
        while times[-1] - DEFAULT_LOOKBACK > first:
            times.append(times[-1] - DEFAULT_LOOKBACK)
        parts: list[Findings] = []
        counted = 0
        for chunk in _chunks(customers, CHUNK):
            txns = [
                t for t in load_transactions(conn, chunk, tz, None, None) if t.occurred_at <= as_of
            ]
            counted += len(txns)
            balances, _ = _balances(conn, chunk)
            final = analyze(txns, as_of, tz=tz, balances=balances)
            flagged = {u.transaction_id: u for u in final.unusual}
            for earlier in times[1:]:
                seen = [t for t in txns if t.occurred_at <= earlier]
                for u in analyze(seen, earlier, tz=tz).unusual:
                    flagged.setdefault(u.transaction_id, u)
            parts.append(replace(final, unusual=list(flagged.values())))
    report = evaluate(merge_findings(parts), labels)
    report["customers"] = len(customers)
    report["transactions"] = counted
    report["labels"] = dict(sorted(Counter(labels.values()).items()))
    report["as_of"] = as_of.isoformat()
    report["unusual_runs"] = len(times)
    return report


def merge_findings(parts: Sequence[Findings]) -> Findings:
    """One `Findings` from the findings of disjoint groups of customers."""
    return Findings(
        recurring=[x for p in parts for x in p.recurring],
        duplicates=[x for p in parts for x in p.duplicates],
        unusual=[x for p in parts for x in p.unusual],
        low_balance=[x for p in parts for x in p.low_balance],
        bills=[x for p in parts for x in p.bills],
    )


def seed_labels(conn: Connection) -> dict[int, str]:
    """The demo seeder's ground truth: transfer id -> recurring | duplicate | unusual."""
    return {
        int(i): str(label)
        for i, label in conn.execute(select(labels_t.c.transfer_id, labels_t.c.label))
    }


def _balances(
    conn: Connection, customers: Sequence[int]
) -> tuple[dict[int, Decimal], dict[int, str]]:
    """Available balances of the accounts a forecast watches, and every account's name."""
    a = accounts_t.c
    balances: dict[int, Decimal] = {}
    names: dict[int, str] = {}
    for row in conn.execute(
        select(a.id, a.kind, a.name, a.number, a.currency, a.balance_minor, a.held_minor).where(
            a.customer_id.in_(list(customers))
        )
    ):
        names[int(row.id)] = f"{row.name} ****{str(row.number)[-4:]}"
        if row.kind in FORECAST_KINDS:
            balances[int(row.id)] = from_minor(
                int(row.balance_minor) - int(row.held_minor), row.currency
            )
    return balances, names


def _customers_with_accounts(conn: Connection) -> list[int]:
    return [
        int(c)
        for (c,) in conn.execute(
            select(accounts_t.c.customer_id)
            .distinct()
            .where(accounts_t.c.customer_id.is_not(None))
            .order_by(accounts_t.c.customer_id)
        )
    ]


def _last_transfer_id(conn: Connection) -> int:
    return int(conn.execute(select(func.max(transfers_t.c.id))).scalar() or 0)


def _midnight(d: date, tz: ZoneInfo) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _view(row: Any) -> AlertView:
    return AlertView(
        id=int(row.id),
        customer_id=int(row.customer_id),
        account_id=row.account_id,
        kind=row.kind,
        severity=row.severity,
        title=row.title,
        message=row.message,
        amount=None
        if row.amount_minor is None
        else from_minor(int(row.amount_minor), row.currency),
        currency=row.currency,
        transaction_id=row.transfer_id,
        status=row.status,
        created_at=row.created_at,
        expires_at=row.expires_at,
        facts=dict(row.facts or {}),
    )
