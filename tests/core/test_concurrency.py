"""The ledger under concurrent callers, on SQLite and PostgreSQL.

Threads share one `Ledger` (and so one engine and its connection pool), as API workers
would. Every scenario asserts exact final balances, that each idempotency key was applied
exactly once whatever the retries, that `check_ledger` finds nothing, that every thread
finished within a bounded time (no deadlock) and, on PostgreSQL, that no backend is left
holding locks on `accounts` or sitting idle in a transaction.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from openteller.core.errors import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidState,
    OpenTellerError,
)
from openteller.core.integrity import check_ledger
from openteller.core.ledger import HoldRequest, TransferRequest, TransferResult
from openteller.core.models import HoldStatus, TransferStatus
from tests.conftest import Bank

JOIN_TIMEOUT_S = 60.0
Outcome = TransferResult | OpenTellerError


def _req(key: str, src: int, dst: int, amount: Decimal) -> TransferRequest:
    return TransferRequest(
        idempotency_key=key,
        debit_account_id=src,
        credit_account_id=dst,
        amount=amount,
        currency="USD",
    )


def _run_threads(bodies: list[Callable[[], None]]) -> list[BaseException]:
    """Run each body in its own thread; return what escaped them. Fails on a hung thread."""
    escaped: list[BaseException] = []

    def wrap(body: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                body()
            except BaseException as exc:  # reported to the test thread
                escaped.append(exc)

        return run

    threads = [threading.Thread(target=wrap(b), daemon=True) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=JOIN_TIMEOUT_S)
    hung = [t.name for t in threads if t.is_alive()]
    assert not hung, f"threads still running after {JOIN_TIMEOUT_S}s (deadlock?): {hung}"
    return escaped


def _balance_minor(engine: Engine, account_id: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT balance_minor FROM accounts WHERE id = :i"), {"i": account_id}
            ).scalar_one()
        )


def _assert_quiet(engine: Engine) -> None:
    """The ledger is consistent and, on PostgreSQL, no other backend holds anything."""
    report = check_ledger(engine)
    assert report.ok, report.violations
    assert report.totals == {"USD": "0.00"}
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        locks = conn.execute(
            text(
                "SELECT l.pid, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname IN ('accounts', 'transfers', 'postings', 'holds') "
                "AND l.pid <> pg_backend_pid()"
            )
        ).all()
        idle = conn.execute(
            text(
                "SELECT pid, state FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
            )
        ).all()
    assert locks == []
    assert idle == []


def _deadlocks(engine: Engine) -> int:
    """PostgreSQL's count of detected deadlocks in this database (0 elsewhere)."""
    if engine.dialect.name != "postgresql":
        return 0
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        return int(
            conn.execute(
                text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            ).scalar_one()
        )


# ------------------------------------------------------------------ opposite transfers


@dataclass(frozen=True)
class Job:
    request: TransferRequest
    must_fail: bool  # far beyond any balance: InsufficientFunds whatever the interleaving


THREADS = 6
PER_THREAD = 24
SHARED = 8  # keys every thread submits at the same moment (racing client retries)
HUGE = Decimal("1000000.00")


def _plan(x: int, y: int, z: int) -> tuple[list[list[Job]], list[Job]]:
    pairs = [(x, y), (y, x), (y, z), (z, y), (x, z), (z, x)]
    own: list[list[Job]] = []
    for t in range(THREADS):
        jobs = []
        for j in range(PER_THREAD):
            src, dst = pairs[(t + j) % len(pairs)]
            huge = j % 10 == 9
            amount = HUGE if huge else Decimal((t * 37 + j * 11) % 900 + 1).scaleb(-2)
            jobs.append(Job(_req(f"k{t}-{j}", src, dst, amount), huge))
        own.append(jobs)
    shared = [
        Job(
            _req(f"s-{k}", *pairs[k % len(pairs)], HUGE if k == SHARED - 1 else Decimal(k + 1)),
            k == SHARED - 1,
        )
        for k in range(SHARED)
    ]
    return own, shared


def test_opposite_transfers_with_racing_retries_apply_each_key_once(bank: Bank) -> None:
    alice = bank.customer("alice")
    x = bank.account(alice)
    y = bank.account(alice, "high_yield_savings")
    z = bank.account(alice, floor="-500.00")
    start = Decimal("10000.00")
    for account in (x, y, z):
        bank.fund(account, str(start), key=f"fund-{account}")
    own, shared = _plan(x, y, z)
    deadlocks_before = _deadlocks(bank.engine)

    calls: list[tuple[str, Outcome]] = []  # list.append is atomic: safe across threads
    unexpected: list[tuple[str, BaseException]] = []
    barrier = threading.Barrier(THREADS, timeout=JOIN_TIMEOUT_S)

    def submit(job: Job) -> None:
        try:
            calls.append((job.request.idempotency_key, bank.ledger.transfer(job.request)))
        except OpenTellerError as err:
            calls.append((job.request.idempotency_key, err))
        except Exception as exc:
            unexpected.append((job.request.idempotency_key, exc))

    def worker(t: int) -> Callable[[], None]:
        def body() -> None:
            mine = own[t]
            for j, job in enumerate(mine):
                submit(job)
                if j % 3 == 0:  # the client timed out and retries at once
                    submit(job)
                if j % 3 == 1 and j // 3 < SHARED:  # everyone sends one shared key together
                    barrier.wait()
                    submit(shared[j // 3])
            for job in mine[::4]:  # late retries of its own keys
                submit(job)
            for job in own[(t + 1) % THREADS][::5]:  # retries racing another thread's
                submit(job)

        return body

    escaped = _run_threads([worker(t) for t in range(THREADS)])
    assert escaped == []
    assert unexpected == []

    jobs = {job.request.idempotency_key: job for job in [*shared, *(j for js in own for j in js)]}
    by_key: dict[str, list[Outcome]] = defaultdict(list)
    for key, outcome in calls:
        by_key[key].append(outcome)
    assert set(by_key) == set(jobs)

    expected = {x: int(start * 100), y: int(start * 100), z: int(start * 100)}
    for key, outcomes in by_key.items():
        job = jobs[key]
        if job.must_fail:
            assert all(type(o) is InsufficientFunds for o in outcomes), (key, outcomes)
            errors = [o for o in outcomes if isinstance(o, OpenTellerError)]
            assert len({e.details["transfer_id"] for e in errors}) == 1
            assert sum(1 for e in errors if not e.details.get("replayed")) == 1, key
            continue
        results = [o for o in outcomes if isinstance(o, TransferResult)]
        assert len(results) == len(outcomes), (key, outcomes)
        assert len({r.id for r in results}) == 1, key
        assert sum(1 for r in results if not r.replayed) == 1, key  # applied exactly once
        minor = int(job.request.amount * 100)
        expected[job.request.debit_account_id] -= minor
        expected[job.request.credit_account_id] += minor
    assert len(calls) > len(jobs)  # there were retries

    for account, minor in expected.items():
        assert _balance_minor(bank.engine, account) == minor, account
    with bank.engine.connect() as conn:
        per_key = conn.execute(
            text(
                "SELECT t.idempotency_key, t.status, count(p.id) FROM transfers t "
                "LEFT JOIN postings p ON p.transfer_id = t.id "
                "WHERE t.idempotency_key NOT LIKE 'fund-%' "
                "GROUP BY t.id, t.idempotency_key, t.status"
            )
        ).all()
    assert len(per_key) == len(jobs)  # one transfer row per distinct key
    for key, status, postings in per_key:
        must_fail = jobs[key].must_fail
        assert (status, postings) == (
            (TransferStatus.FAILED, 0) if must_fail else (TransferStatus.POSTED, 2)
        ), key
    report = check_ledger(bank.engine)
    assert report.transfers == len(jobs) + 3
    _assert_quiet(bank.engine)
    assert _deadlocks(bank.engine) == deadlocks_before


# ------------------------------------------------- one key, different bodies, racing


def test_one_key_racing_with_different_bodies_posts_one_body(bank: Bank) -> None:
    """Callers on disjoint accounts do not wait on each other's row locks, so they race to
    insert the same key: the unique key decides, the loser retries and sees the winner."""
    frank = bank.customer("frank")
    pairs = []
    for _ in range(4):
        a, b = bank.account(frank), bank.account(frank, "high_yield_savings")
        bank.fund(a, "100.00", key=f"fund-{a}")
        pairs.append((a, b))
    rounds, threads = 8, 8  # thread t sends pair t % 4: every body is sent by two threads
    barrier = threading.Barrier(threads, timeout=JOIN_TIMEOUT_S)
    outcomes: dict[str, list[tuple[int, Outcome]]] = defaultdict(list)

    def body(t: int) -> Callable[[], None]:
        def run() -> None:
            src, dst = pairs[t % 4]
            for r in range(rounds):
                barrier.wait()
                key = f"race-{r}"
                try:
                    got: Outcome = bank.ledger.transfer(_req(key, src, dst, Decimal(r + 1)))
                except OpenTellerError as err:
                    got = err
                outcomes[key].append((t % 4, got))

        return run

    assert _run_threads([body(t) for t in range(threads)]) == []
    expected = {
        account: 10_000 if i == 0 else 0 for pair in pairs for i, account in enumerate(pair)
    }
    for r in range(rounds):
        got = outcomes[f"race-{r}"]
        assert len(got) == threads
        fresh = [(p, o) for p, o in got if isinstance(o, TransferResult) and not o.replayed]
        assert len(fresh) == 1, got
        winner_pair, winner = fresh[0]
        for pair_index, outcome in got:
            if pair_index == winner_pair:
                assert isinstance(outcome, TransferResult), got
                assert outcome.id == winner.id
            else:
                assert type(outcome) is IdempotencyConflict, got
        src, dst = pairs[winner_pair]
        expected[src] -= (r + 1) * 100
        expected[dst] += (r + 1) * 100
    for account, minor in expected.items():
        assert _balance_minor(bank.engine, account) == minor
    _assert_quiet(bank.engine)


# ------------------------------------------------------------------------ drain races


@pytest.mark.parametrize(("floor", "winners"), [("0", 10), ("-50.00", 15)])
def test_racing_debits_stop_exactly_at_the_floor(bank: Bank, floor: str, winners: int) -> None:
    bob = bank.customer("bob")
    source = bank.account(bob, floor=floor)
    sink = bank.account(bob, "high_yield_savings")
    bank.fund(source, "100.00", key="fund-source")
    barrier = threading.Barrier(20, timeout=JOIN_TIMEOUT_S)
    outcomes: list[Outcome] = []

    def body(i: int) -> Callable[[], None]:
        def run() -> None:
            barrier.wait()
            try:
                outcomes.append(bank.ledger.transfer(_req(f"drain-{i}", source, sink, Decimal(10))))
            except OpenTellerError as err:
                outcomes.append(err)

        return run

    assert _run_threads([body(i) for i in range(20)]) == []
    posted = [o for o in outcomes if isinstance(o, TransferResult)]
    refused = [o for o in outcomes if not isinstance(o, TransferResult)]
    assert len(posted) == winners
    assert len(refused) == 20 - winners
    assert all(type(o) is InsufficientFunds for o in refused)
    assert all(not r.replayed for r in posted)
    assert bank.ledger.balance(source).ledger == Decimal(floor).quantize(Decimal("0.01"))
    assert bank.ledger.balance(source).spendable == Decimal("0.00")
    assert bank.ledger.balance(sink).ledger == Decimal(10 * winners).quantize(Decimal("0.01"))
    _assert_quiet(bank.engine)


# ----------------------------------------------------------------- one winner per race


def test_capture_capture_and_void_race_has_one_winner_per_hold(bank: Bank) -> None:
    carol = bank.customer("carol")
    card = bank.account(carol, floor="-1000.00")
    merchant = bank.account(carol, "high_yield_savings")
    amounts = [Decimal("10.00"), Decimal("20.50"), Decimal("30.25"), Decimal("41.00"), Decimal(5)]
    holds = [
        bank.ledger.place_hold(
            HoldRequest(
                reference=f"auth-{i}",
                account_id=card,
                counterparty_account_id=merchant,
                amount=amount,
                currency="USD",
            )
        ).id
        for i, amount in enumerate(amounts)
    ]
    assert bank.ledger.balance(card).held == sum(amounts)
    barrier = threading.Barrier(3 * len(holds), timeout=JOIN_TIMEOUT_S)
    results: dict[tuple[int, str], object] = {}

    def act(hold_id: int, action: str) -> Callable[[], None]:
        def run() -> None:
            barrier.wait()
            outcome: object
            try:
                if action == "void":
                    outcome = bank.ledger.void_hold(hold_id)
                else:
                    outcome = bank.ledger.capture_hold(hold_id, f"{action}-{hold_id}")
            except OpenTellerError as err:
                outcome = err
            results[(hold_id, action)] = outcome

        return run

    bodies = [act(h, a) for h in holds for a in ("cap1", "cap2", "void")]
    assert _run_threads(bodies) == []

    captured = Decimal(0)
    for hold_id, amount in zip(holds, amounts, strict=True):
        outcomes = [results[(hold_id, a)] for a in ("cap1", "cap2", "void")]
        won = [o for o in outcomes if not isinstance(o, OpenTellerError)]
        lost = [o for o in outcomes if isinstance(o, OpenTellerError)]
        assert len(won) == 1, (hold_id, outcomes)
        assert all(type(e) is InvalidState for e in lost), outcomes
        status = bank.ledger.get_hold(hold_id).status
        if isinstance(won[0], TransferResult):
            assert status == HoldStatus.POSTED
            captured += amount
        else:
            assert status == HoldStatus.VOIDED
    card_balance = bank.ledger.balance(card)
    assert (card_balance.ledger, card_balance.held) == (-captured, Decimal("0.00"))
    assert bank.ledger.balance(merchant).ledger == captured
    _assert_quiet(bank.engine)


def test_racing_reversals_post_once(bank: Bank) -> None:
    dave = bank.customer("dave")
    a = bank.account(dave)
    b = bank.account(dave, "high_yield_savings")
    bank.fund(a, "500.00", key="fund-a")
    originals = [
        bank.ledger.transfer(_req(f"orig-{i}", a, b, Decimal(10 * (i + 1)))).id for i in range(5)
    ]
    # Per original: two callers with one key (a client retry) and one with another key.
    racers = [(o, key) for o in originals for key in (f"rev-{o}-a", f"rev-{o}-a", f"rev-{o}-b")]
    barrier = threading.Barrier(len(racers), timeout=JOIN_TIMEOUT_S)
    outcomes: dict[int, list[tuple[str, Outcome]]] = defaultdict(list)

    def body(original: int, key: str) -> Callable[[], None]:
        def run() -> None:
            barrier.wait()
            try:
                outcome: Outcome = bank.ledger.reverse(original, key)
            except OpenTellerError as err:
                outcome = err
            outcomes[original].append((key, outcome))

        return run

    assert _run_threads([body(o, k) for o, k in racers]) == []
    for original in originals:
        got = outcomes[original]
        posted = {o.id for _, o in got if isinstance(o, TransferResult)}
        assert len(posted) == 1, got
        fresh = [o for _, o in got if isinstance(o, TransferResult) and not o.replayed]
        assert len(fresh) == 1, got
        winner = fresh[0].idempotency_key
        for key, outcome in got:
            if key == winner:
                assert isinstance(outcome, TransferResult)
            else:
                assert type(outcome) is InvalidState, got
    assert bank.ledger.balance(a).ledger == Decimal("500.00")
    assert bank.ledger.balance(b).ledger == Decimal("0.00")
    with bank.engine.connect() as conn:
        reversals = conn.execute(
            text("SELECT count(*) FROM transfers WHERE kind = 'reversal' AND status = 'posted'")
        ).scalar_one()
    assert reversals == len(originals)
    _assert_quiet(bank.engine)


# ------------------------------------------------------------------- batches, any order


def test_concurrent_batches_over_shared_accounts_do_not_deadlock(bank: Bank) -> None:
    erin = bank.customer("erin")
    accounts = [bank.account(erin) for _ in range(4)]
    for account in accounts:
        bank.fund(account, "1000.00", key=f"fund-{account}")
    deadlocks_before = _deadlocks(bank.engine)
    threads, batches, size = 4, 10, 12
    results: list[list[Outcome]] = []

    def body(t: int) -> Callable[[], None]:
        def run() -> None:
            # Each thread walks the accounts in its own order: requests name them in every order.
            order = accounts[t:] + accounts[:t]
            if t % 2:
                order.reverse()
            for b in range(batches):
                batch = [
                    _req(
                        f"b{t}-{b}-{i}",
                        order[i % 4],
                        order[(i + 1 + b) % 4] if (i + 1 + b) % 4 != i % 4 else order[(i + 2) % 4],
                        Decimal(i + 1).scaleb(-2),
                    )
                    for i in range(size)
                ]
                results.append(bank.ledger.transfer_batch(batch))
                results.append(bank.ledger.transfer_batch(batch))  # the whole batch retried

        return run

    assert _run_threads([body(t) for t in range(threads)]) == []
    expected = dict.fromkeys(accounts, 100_000)
    applied: dict[str, int] = {}
    for outcomes in results:
        for outcome in outcomes:
            assert isinstance(outcome, TransferResult), outcome
            if outcome.idempotency_key in applied:
                assert applied[outcome.idempotency_key] == outcome.id
                assert outcome.replayed
                continue
            assert not outcome.replayed
            applied[outcome.idempotency_key] = outcome.id
            minor = int(outcome.amount * 100)
            expected[outcome.debit_account_id] -= minor
            expected[outcome.credit_account_id] += minor
    assert len(applied) == threads * batches * size
    for account, minor in expected.items():
        assert _balance_minor(bank.engine, account) == minor
    _assert_quiet(bank.engine)
    assert _deadlocks(bank.engine) == deadlocks_before
