"""A Hypothesis state machine drives the ledger against an independent model.

The model is plain Python ints (minor units) per account: ledger balance and held amount,
plus the status of every hold, every posted transfer (and whether it was reversed) and every
idempotency key the machine has used. Rules cover transfers that must post or must fail for
insufficient funds, holds, full and partial captures, voids, reversals, replays of earlier
keys (same body: the first result, nothing new written; another body: IdempotencyConflict)
and failing operations (bad key, bad amount, unsupported or mismatched currency, unknown
account or hold, same account, capture of a resolved hold, double reversal).

After every step the database must agree with the model exactly, `check_ledger` must find
no violation, balances must sum to zero, and a rejected operation must leave every
``(id, balance_minor, held_minor)`` row and the posting count as they were.

Runs on SQLite (a fresh file per example, copied from a migrated template) and on
PostgreSQL (the session database, truncated per example).
"""

from __future__ import annotations

import os
import random
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, text

from openteller.core.accounts import NewCustomer, bank_account, create_customer, open_account
from openteller.core.catalog import load_catalog, read_spec
from openteller.core.clock import FixedClock
from openteller.core.db import make_engine
from openteller.core.errors import (
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    InvalidIdempotencyKey,
    InvalidState,
    NotFound,
    OpenTellerError,
    ValidationFailed,
)
from openteller.core.integrity import check_ledger
from openteller.core.ledger import HoldRequest, Ledger, TransferRequest, TransferResult
from openteller.core.models import Base, HoldStatus, TransferStatus
from openteller.core.money import from_minor
from openteller.core.schema import upgrade

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
USD = "USD"
UNKNOWN_ACCOUNT = 999_999
UNKNOWN_HOLD = 888_888
UNKNOWN_TRANSFER = 777_777

# S is the bank's settlement account (no floor); the rest are customer accounts.
NAMES = ("S", "A", "B", "C", "D")
CUSTOMER_NAMES = NAMES[1:]
FLOORS: dict[str, int | None] = {"S": None, "A": 0, "B": -50_000, "C": -100_000, "D": 0}
PRODUCTS = {
    "A": ("everyday_checking", "0"),
    "B": ("everyday_checking", "-500.00"),  # overdraft line
    "C": ("cashback_credit_card", "-1000.00"),  # credit limit, starts at zero
    "D": ("high_yield_savings", "0"),
}
OPENING = {"A": 100_000, "B": 20_000, "D": 30_000}  # minor units funded from S
PAIRS = [(d, c) for d in NAMES for c in NAMES if d != c]

# Mostly small amounts, some that exceed every account's headroom.
AMOUNTS = st.one_of(st.integers(1, 5_000), st.integers(5_000, 250_000))


# ----------------------------------------------------------------------------- backends


@dataclass
class Backend:
    """Hands out an engine on an empty, migrated database with the catalog loaded."""

    name: str
    fresh: Callable[[], Engine]
    release: Callable[[Engine], None]


def _sqlite_backend(directory: Path) -> Backend:
    template = directory / "template.db"
    eng = make_engine(f"sqlite:///{template}")
    upgrade(eng)
    with eng.begin() as conn:
        load_catalog(conn, read_spec())
    eng.dispose()

    def fresh() -> Engine:
        path = directory / f"ex-{uuid.uuid4().hex[:8]}.db"
        src = sqlite3.connect(template)
        dst = sqlite3.connect(path)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        return make_engine(f"sqlite:///{path}")

    def release(engine: Engine) -> None:
        database = engine.url.database
        engine.dispose()
        assert database is not None
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)

    return Backend("sqlite", fresh, release)


def _postgres_backend(engine: Engine) -> Backend:
    everything = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {everything} RESTART IDENTITY CASCADE"))
        load_catalog(conn, read_spec())

    def fresh() -> Engine:
        # The catalog stays; CASCADE also empties whatever refers to these tables.
        with engine.begin() as conn:
            conn.execute(
                text(
                    "TRUNCATE customers, accounts, transfers, postings, holds "
                    "RESTART IDENTITY CASCADE"
                )
            )
        return engine

    def release(_engine: Engine) -> None:
        return None

    return Backend("postgres", fresh, release)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield _sqlite_backend(tmp_path)
    else:
        yield _postgres_backend(request.getfixturevalue("postgres_engine"))


# -------------------------------------------------------------------------------- model


@dataclass
class ModelHold:
    id: int
    reference: str
    request: HoldRequest
    account: str
    counterparty: str
    amount: int
    status: HoldStatus
    error: type[OpenTellerError] | None = None  # set for a declined hold
    transfer_id: int | None = None


@dataclass
class ModelTransfer:
    id: int
    debit: str
    credit: str
    amount: int
    reversed: bool = False


@dataclass
class KeyRecord:
    """An idempotency key the machine used, and how to send its body again (or another)."""

    key: str
    resend: Callable[[], TransferResult]
    other_body: Callable[[], object]
    transfer_id: int  # the transfer row recorded under the key (posted or failed)
    error: type[OpenTellerError] | None  # None: posted
    request: TransferRequest | None = None  # a plain request, to resend inside a batch


def _usd(minor: int) -> Decimal:
    return from_minor(minor, USD)


def _req(
    key: str, debit: int, credit: int, amount: Decimal, currency: str = USD
) -> TransferRequest:
    return TransferRequest(
        idempotency_key=key,
        debit_account_id=debit,
        credit_account_id=credit,
        amount=amount,
        currency=currency,
    )


class LedgerMachine(RuleBasedStateMachine):
    backend: ClassVar[Backend]  # set by a subclass per test run

    def __init__(self) -> None:
        super().__init__()
        self.engine = self.backend.fresh()
        self.clock = FixedClock(NOW)
        self.ledger = Ledger(self.engine, self.clock)
        self.ids: dict[str, int] = {}
        self.bal = dict.fromkeys(NAMES, 0)
        self.held = dict.fromkeys(NAMES, 0)
        self.holds: dict[int, ModelHold] = {}
        self.posted: dict[int, ModelTransfer] = {}
        self.failed_ids: list[int] = []
        self.keys: list[KeyRecord] = []
        self.n_transfers = 0
        self.n_postings = 0
        self.counter = 0
        self._open_bank()

    # ------------------------------------------------------------------ set-up

    def _open_bank(self) -> None:
        rng = random.Random(7)
        with self.engine.begin() as conn:
            self.ids["S"] = bank_account(conn, "settlement:ach", USD, NOW)
            customer = create_customer(
                conn,
                NewCustomer(
                    username="model",
                    password_hash="not-a-real-hash",
                    full_name="Model Customer",
                    email="model@example.com",
                    phone="+1 555 0100",
                    date_of_birth=date(1990, 1, 1),
                    street="1 Main St",
                    city="Springfield",
                    state="IL",
                    postal_code="62701",
                    ssn_last4="1234",
                ),
                NOW,
            )
            for name, (product, floor) in PRODUCTS.items():
                self.ids[name] = open_account(
                    conn,
                    customer_id=customer,
                    product_code=product,
                    now=NOW,
                    rng=rng,
                    floor=Decimal(floor),
                )
        for name, amount in OPENING.items():
            self._post_expected(self._key("open"), "S", name, amount)

    def teardown(self) -> None:
        self.backend.release(self.engine)

    # ----------------------------------------------------------------- helpers

    def _key(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def _headroom(self, name: str) -> int | None:
        """What `name` may still spend (None: unlimited)."""
        floor = FLOORS[name]
        return None if floor is None else self.bal[name] - self.held[name] - floor

    def _fits(self, name: str, amount: int, released: int = 0) -> bool:
        room = self._headroom(name)
        return room is None or amount <= room + released

    def _snapshot(self) -> tuple[list[tuple[int, int, int]], int, int, int]:
        with self.engine.connect() as conn:
            rows = [
                (int(r[0]), int(r[1]), int(r[2]))
                for r in conn.execute(
                    text("SELECT id, balance_minor, held_minor FROM accounts ORDER BY id")
                )
            ]
            postings = int(conn.execute(text("SELECT count(*) FROM postings")).scalar_one())
            transfers = int(conn.execute(text("SELECT count(*) FROM transfers")).scalar_one())
            holds = int(conn.execute(text("SELECT count(*) FROM holds")).scalar_one())
        return rows, postings, transfers, holds

    def _rejected(
        self,
        call: Callable[[], object],
        error: type[OpenTellerError],
        *,
        records: bool,
        hold_records: bool = False,
    ) -> OpenTellerError:
        """Run `call`, which must raise `error` and leave every balance and posting as it was.

        `records`: the failure is stored as a failed transfer row under its key;
        `hold_records`: as a declined hold under its reference.
        """
        rows, postings, transfers, holds = self._snapshot()
        with pytest.raises(error) as info:
            call()
        assert type(info.value) is error, f"{type(info.value).__name__} is not {error.__name__}"
        after_rows, after_postings, after_transfers, after_holds = self._snapshot()
        assert after_rows == rows
        assert after_postings == postings
        assert after_transfers == transfers + (1 if records else 0)
        assert after_holds == holds + (1 if hold_records else 0)
        if records:
            self.n_transfers += 1
        return info.value

    def _post_expected(self, key: str, debit: str, credit: str, amount: int) -> TransferResult:
        request = _req(key, self.ids[debit], self.ids[credit], _usd(amount))
        result = self.ledger.transfer(request)
        assert result.status == TransferStatus.POSTED
        assert result.replayed is False
        assert (result.debit_account_id, result.credit_account_id) == (
            self.ids[debit],
            self.ids[credit],
        )
        assert result.amount == _usd(amount)
        self._apply(result.id, debit, credit, amount)
        self.keys.append(
            KeyRecord(
                key,
                lambda: self.ledger.transfer(request),
                lambda: self.ledger.transfer(
                    _req(key, request.debit_account_id, request.credit_account_id, _usd(amount + 1))
                ),
                result.id,
                None,
                request,
            )
        )
        return result

    def _apply(self, transfer_id: int, debit: str, credit: str, amount: int) -> None:
        self.bal[debit] -= amount
        self.bal[credit] += amount
        self.posted[transfer_id] = ModelTransfer(transfer_id, debit, credit, amount)
        self.n_transfers += 1
        self.n_postings += 2

    def _hold_id(self, reference: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT id FROM holds WHERE reference = :r"), {"r": reference}
                ).scalar_one()
            )

    def _holds_in(self, *statuses: HoldStatus) -> list[int]:
        return sorted(h.id for h in self.holds.values() if h.status in statuses)

    def _reversible(self, reversed_: bool) -> list[int]:
        return sorted(t.id for t in self.posted.values() if t.reversed is reversed_)

    # ---------------------------------------------------------------- transfers

    @rule(pair=st.sampled_from(PAIRS), amount=AMOUNTS)
    def transfer(self, pair: tuple[str, str], amount: int) -> None:
        debit, credit = pair
        key = self._key("t")
        if self._fits(debit, amount):
            self._post_expected(key, debit, credit, amount)
            return
        self._transfer_must_fail(key, debit, credit, amount)

    @precondition(lambda self: any(self._headroom(n) for n in CUSTOMER_NAMES))
    @rule(data=st.data(), over=st.booleans())
    def transfer_at_the_limit(self, data: st.DataObject, over: bool) -> None:
        """Spend exactly the headroom (posts, lands on the floor) or one cent more (fails)."""
        debit = data.draw(
            st.sampled_from([n for n in CUSTOMER_NAMES if self._headroom(n)]), label="debit"
        )
        credit = data.draw(st.sampled_from([n for n in NAMES if n != debit]), label="credit")
        room = self._headroom(debit)
        assert room is not None
        key = self._key("edge")
        if over:
            self._transfer_must_fail(key, debit, credit, room + 1)
        else:
            self._post_expected(key, debit, credit, room)
            assert self._headroom(debit) == 0

    def _transfer_must_fail(self, key: str, debit: str, credit: str, amount: int) -> None:
        request = _req(key, self.ids[debit], self.ids[credit], _usd(amount))
        room = self._headroom(debit)
        assert room is not None
        err = self._rejected(lambda: self.ledger.transfer(request), InsufficientFunds, records=True)
        assert err.details["available"] == str(_usd(room))
        assert err.details["requested"] == str(_usd(amount))
        transfer_id = int(err.details["transfer_id"])
        self.failed_ids.append(transfer_id)
        self.keys.append(
            KeyRecord(
                key,
                lambda: self.ledger.transfer(request),
                lambda: self.ledger.transfer(
                    _req(key, request.debit_account_id, request.credit_account_id, _usd(amount - 1))
                    if amount > 1
                    else _req(key, request.credit_account_id, request.debit_account_id, _usd(1))
                ),
                transfer_id,
                InsufficientFunds,
                request,
            )
        )

    # ------------------------------------------------------------------ batches

    @rule(
        items=st.lists(st.tuples(st.sampled_from(PAIRS), AMOUNTS), min_size=1, max_size=6),
        duplicate=st.booleans(),
        resend=st.booleans(),
        data=st.data(),
    )
    def transfer_batch(
        self,
        items: list[tuple[tuple[str, str], int]],
        duplicate: bool,
        resend: bool,
        data: st.DataObject,
    ) -> None:
        """Independent transfers in one call, with a key repeated in the batch and/or an
        earlier key resent: each posts or fails on its own, in order."""
        batch = [
            _req(self._key("bt"), self.ids[debit], self.ids[credit], _usd(amount))
            for (debit, credit), amount in items
        ]
        if duplicate:
            again = data.draw(st.sampled_from(batch), label="repeated")
            batch.insert(data.draw(st.integers(0, len(batch)), label="at"), again)
        earlier = [r for r in self.keys if r.request is not None]
        if resend and earlier:
            old = data.draw(st.sampled_from(earlier), label="earlier")
            assert old.request is not None
            batch.insert(data.draw(st.integers(0, len(batch)), label="at"), old.request)

        outcomes = self.ledger.transfer_batch(batch)
        assert len(outcomes) == len(batch)
        names = {account_id: name for name, account_id in self.ids.items()}
        known = {r.key: r for r in self.keys}
        for request, outcome in zip(batch, outcomes, strict=True):
            key = request.idempotency_key
            if key in known:  # an earlier key (before or inside this batch): a replay
                record = known[key]
                if record.error is None:
                    assert isinstance(outcome, TransferResult), outcome
                    assert (outcome.id, outcome.replayed) == (record.transfer_id, True)
                else:
                    assert type(outcome) is record.error, outcome
                    assert outcome.details["transfer_id"] == record.transfer_id
                continue
            debit, credit = names[request.debit_account_id], names[request.credit_account_id]
            amount = int(request.amount * 100)
            if self._fits(debit, amount):
                assert isinstance(outcome, TransferResult), outcome
                assert (outcome.replayed, outcome.amount) == (False, request.amount)
                self._apply(outcome.id, debit, credit, amount)
                record = self._plain_record(request, outcome.id, None)
            else:
                assert type(outcome) is InsufficientFunds, outcome
                room = self._headroom(debit)
                assert outcome.details["available"] == str(_usd(room or 0))
                transfer_id = int(outcome.details["transfer_id"])
                self.n_transfers += 1
                self.failed_ids.append(transfer_id)
                record = self._plain_record(request, transfer_id, InsufficientFunds)
            known[key] = record
            self.keys.append(record)

    def _plain_record(
        self, request: TransferRequest, transfer_id: int, error: type[OpenTellerError] | None
    ) -> KeyRecord:
        other = replace(request, amount=request.amount + Decimal("0.01"))
        return KeyRecord(
            request.idempotency_key,
            lambda: self.ledger.transfer(request),
            lambda: self.ledger.transfer(other),
            transfer_id,
            error,
            request,
        )

    @rule(
        items=st.lists(st.tuples(st.sampled_from(PAIRS), AMOUNTS), min_size=1, max_size=4),
        bad=st.sampled_from(["0", "-1.00", "0.001", "NaN"]),
        data=st.data(),
    )
    def transfer_batch_with_a_bad_item(
        self, items: list[tuple[tuple[str, str], int]], bad: str, data: st.DataObject
    ) -> None:
        """A statically invalid request refuses the whole batch before anything is written."""
        batch = [
            _req(self._key("bx"), self.ids[debit], self.ids[credit], _usd(amount))
            for (debit, credit), amount in items
        ]
        poison = _req(self._key("bx"), self.ids["S"], self.ids["A"], Decimal(bad))
        batch.insert(data.draw(st.integers(0, len(batch)), label="at"), poison)
        self._rejected(lambda: self.ledger.transfer_batch(batch), InvalidAmount, records=False)

    # -------------------------------------------------------------------- holds

    @rule(
        account=st.sampled_from(NAMES),
        data=st.data(),
        amount=AMOUNTS,
    )
    def place_hold(self, account: str, data: st.DataObject, amount: int) -> None:
        counterparty = data.draw(st.sampled_from([n for n in NAMES if n != account]))
        reference = self._key("auth")
        request = HoldRequest(
            reference=reference,
            account_id=self.ids[account],
            counterparty_account_id=self.ids[counterparty],
            amount=_usd(amount),
            currency=USD,
            description=f"card auth {reference}",
            merchant="Corner Shop",
        )
        if self._fits(account, amount):
            result = self.ledger.place_hold(request)
            assert (result.status, result.replayed, result.amount) == (
                HoldStatus.PENDING,
                False,
                _usd(amount),
            )
            assert result.transfer_id is None
            self.held[account] += amount
            self.holds[result.id] = ModelHold(
                result.id, reference, request, account, counterparty, amount, HoldStatus.PENDING
            )
            return
        room = self._headroom(account)
        err = self._rejected(
            lambda: self.ledger.place_hold(request),
            InsufficientFunds,
            records=False,
            hold_records=True,
        )
        assert err.details["available"] == str(_usd(room or 0))
        hold_id = self._hold_id(reference)
        self.holds[hold_id] = ModelHold(
            hold_id,
            reference,
            request,
            account,
            counterparty,
            amount,
            HoldStatus.DECLINED,
            InsufficientFunds,
        )

    @precondition(lambda self: self._holds_in(HoldStatus.PENDING))
    @rule(data=st.data(), partial=st.booleans(), explicit=st.booleans())
    def capture_hold(self, data: st.DataObject, partial: bool, explicit: bool) -> None:
        hold = self.holds[data.draw(st.sampled_from(self._holds_in(HoldStatus.PENDING)))]
        amount = (
            data.draw(st.integers(1, hold.amount), label="captured") if partial else hold.amount
        )
        given = _usd(amount) if (partial or explicit) else None
        assert self._fits(hold.account, amount, released=hold.amount)
        key = self._key("cap")
        result = self.ledger.capture_hold(hold.id, key, given)
        assert result.status == TransferStatus.POSTED
        assert (result.kind, result.hold_id, result.amount, result.replayed) == (
            "card_purchase",
            hold.id,
            _usd(amount),
            False,
        )
        assert (result.debit_account_id, result.credit_account_id) == (
            self.ids[hold.account],
            self.ids[hold.counterparty],
        )
        self.held[hold.account] -= hold.amount  # a partial capture releases the whole hold
        self._apply(result.id, hold.account, hold.counterparty, amount)
        hold.status = HoldStatus.POSTED
        hold.transfer_id = result.id
        hold_id = hold.id
        self.keys.append(
            KeyRecord(
                key,
                lambda: self.ledger.capture_hold(hold_id, key, given),
                lambda: self.ledger.capture_hold(hold_id, key, _usd(amount + 1)),
                result.id,
                None,
            )
        )
        assert self.ledger.get_hold(hold.id).status == HoldStatus.POSTED

    @precondition(lambda self: self._holds_in(HoldStatus.PENDING))
    @rule(data=st.data(), extra=st.integers(1, 10_000))
    def capture_more_than_held(self, data: st.DataObject, extra: int) -> None:
        hold = self.holds[data.draw(st.sampled_from(self._holds_in(HoldStatus.PENDING)))]
        key = self._key("capx")
        hold_id, amount = hold.id, hold.amount + extra
        err = self._rejected(
            lambda: self.ledger.capture_hold(hold_id, key, _usd(amount)),
            ValidationFailed,
            records=True,
        )
        transfer_id = int(err.details["transfer_id"])
        self.failed_ids.append(transfer_id)
        self.keys.append(
            KeyRecord(
                key,
                lambda: self.ledger.capture_hold(hold_id, key, _usd(amount)),
                lambda: self.ledger.capture_hold(hold_id, key, _usd(amount + 1)),
                transfer_id,
                ValidationFailed,
            )
        )

    @precondition(
        lambda self: self._holds_in(HoldStatus.VOIDED, HoldStatus.POSTED, HoldStatus.DECLINED)
    )
    @rule(data=st.data())
    def capture_resolved_hold(self, data: st.DataObject) -> None:
        hold = self.holds[
            data.draw(
                st.sampled_from(
                    self._holds_in(HoldStatus.VOIDED, HoldStatus.POSTED, HoldStatus.DECLINED)
                )
            )
        ]
        key = self._key("capv")
        hold_id = hold.id
        # A hold declined for its currency: the capture request carries that currency, and
        # the currency check comes before the hold's state.
        error = CurrencyMismatch if hold.request.currency != USD else InvalidState
        err = self._rejected(lambda: self.ledger.capture_hold(hold_id, key), error, records=True)
        transfer_id = int(err.details["transfer_id"])
        self.failed_ids.append(transfer_id)
        amount = hold.amount
        self.keys.append(
            KeyRecord(
                key,
                lambda: self.ledger.capture_hold(hold_id, key),
                lambda: self.ledger.capture_hold(hold_id, key, _usd(amount + 1)),
                transfer_id,
                error,
            )
        )

    @precondition(lambda self: self._holds_in(HoldStatus.PENDING))
    @rule(data=st.data())
    def void_hold(self, data: st.DataObject) -> None:
        hold = self.holds[data.draw(st.sampled_from(self._holds_in(HoldStatus.PENDING)))]
        result = self.ledger.void_hold(hold.id)
        assert (result.status, result.replayed, result.amount) == (
            HoldStatus.VOIDED,
            False,
            _usd(hold.amount),
        )
        self.held[hold.account] -= hold.amount
        hold.status = HoldStatus.VOIDED

    @precondition(lambda self: self._holds_in(HoldStatus.VOIDED))
    @rule(data=st.data())
    def void_voided_hold_replays(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(self._holds_in(HoldStatus.VOIDED)))
        before = self._snapshot()
        result = self.ledger.void_hold(hold_id)
        assert (result.status, result.replayed) == (HoldStatus.VOIDED, True)
        assert self._snapshot() == before

    @precondition(lambda self: self._holds_in(HoldStatus.POSTED, HoldStatus.DECLINED))
    @rule(data=st.data())
    def void_resolved_hold(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(self._holds_in(HoldStatus.POSTED, HoldStatus.DECLINED)))
        self._rejected(lambda: self.ledger.void_hold(hold_id), InvalidState, records=False)

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), same=st.booleans())
    def retry_hold_reference(self, data: st.DataObject, same: bool) -> None:
        hold = self.holds[data.draw(st.sampled_from(sorted(self.holds)))]
        if not same:
            other = replace(hold.request, amount=_usd(hold.amount + 1))
            self._rejected(
                lambda: self.ledger.place_hold(other), IdempotencyConflict, records=False
            )
            return
        if hold.error is not None:
            err = self._rejected(
                lambda: self.ledger.place_hold(hold.request), hold.error, records=False
            )
            assert err.details["replayed"] is True
            return
        before = self._snapshot()
        result = self.ledger.place_hold(hold.request)
        assert self._snapshot() == before
        assert (result.id, result.status, result.replayed, result.transfer_id) == (
            hold.id,
            hold.status,
            True,
            hold.transfer_id,
        )

    # ---------------------------------------------------------------- reversals

    @precondition(lambda self: self._reversible(False))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        original = self.posted[data.draw(st.sampled_from(self._reversible(False)))]
        key = self._key("rev")
        original_id = original.id
        # The reversal debits the original credit account, which may have spent the money.
        if not self._fits(original.credit, original.amount):
            err = self._rejected(
                lambda: self.ledger.reverse(original_id, key), InsufficientFunds, records=True
            )
            transfer_id = int(err.details["transfer_id"])
            self.failed_ids.append(transfer_id)
            error: type[OpenTellerError] | None = InsufficientFunds
        else:
            result = self.ledger.reverse(original_id, key)
            assert (result.kind, result.reverses_id, result.replayed) == (
                "reversal",
                original_id,
                False,
            )
            assert (result.debit_account_id, result.credit_account_id) == (
                self.ids[original.credit],
                self.ids[original.debit],
            )
            assert result.amount == _usd(original.amount)
            original.reversed = True
            self._apply(result.id, original.credit, original.debit, original.amount)
            transfer_id, error = result.id, None
        self.keys.append(
            KeyRecord(
                key,
                lambda: self.ledger.reverse(original_id, key),
                lambda: self.ledger.reverse(original_id, key, description="another body"),
                transfer_id,
                error,
            )
        )

    @precondition(lambda self: self._reversible(True))
    @rule(data=st.data())
    def reverse_twice(self, data: st.DataObject) -> None:
        original_id = data.draw(st.sampled_from(self._reversible(True)))
        key = self._key("rev2")
        err = self._rejected(
            lambda: self.ledger.reverse(original_id, key), InvalidState, records=True
        )
        transfer_id = int(err.details["transfer_id"])
        self.failed_ids.append(transfer_id)
        self.keys.append(
            KeyRecord(
                key,
                lambda: self.ledger.reverse(original_id, key),
                lambda: self.ledger.reverse(original_id, key, description="another body"),
                transfer_id,
                InvalidState,
            )
        )

    @precondition(lambda self: self.failed_ids)
    @rule(data=st.data())
    def reverse_failed_transfer(self, data: st.DataObject) -> None:
        failed_id = data.draw(st.sampled_from(self.failed_ids))
        key = self._key("revf")
        self._rejected(lambda: self.ledger.reverse(failed_id, key), InvalidState, records=False)

    # ------------------------------------------------------------------ retries

    @precondition(lambda self: self.keys)
    @rule(data=st.data())
    def retry_same_body(self, data: st.DataObject) -> None:
        record = data.draw(st.sampled_from(self.keys), label="key")
        if record.error is not None:
            err = self._rejected(record.resend, record.error, records=False)
            assert err.details["replayed"] is True
            assert err.details["transfer_id"] == record.transfer_id
            return
        before = self._snapshot()
        result = record.resend()
        assert self._snapshot() == before
        assert (result.id, result.replayed, result.status, result.idempotency_key) == (
            record.transfer_id,
            True,
            TransferStatus.POSTED,
            record.key,
        )
        model = self.posted[record.transfer_id]
        assert result.amount == _usd(model.amount)
        assert (result.debit_account_id, result.credit_account_id) == (
            self.ids[model.debit],
            self.ids[model.credit],
        )

    @precondition(lambda self: self.keys)
    @rule(data=st.data())
    def retry_other_body(self, data: st.DataObject) -> None:
        record = data.draw(st.sampled_from(self.keys), label="key")
        self._rejected(record.other_body, IdempotencyConflict, records=False)

    # --------------------------------------------------------- failing requests

    @rule(
        kind=st.sampled_from(
            [
                "bad_key",
                "bad_amount",
                "unsupported_currency",
                "same_account",
                "hold_bad_reference",
                "hold_same_account",
                "hold_unknown_account",
                "capture_unknown_hold",
                "void_unknown_hold",
                "reverse_unknown_transfer",
            ]
        ),
        pair=st.sampled_from(PAIRS),
        data=st.data(),
    )
    def invalid_request(self, kind: str, pair: tuple[str, str], data: st.DataObject) -> None:
        """Requests refused before anything is written: no row of any kind appears."""
        debit, credit = self.ids[pair[0]], self.ids[pair[1]]
        key = self._key("bad")
        one = Decimal("1.00")
        ledger = self.ledger
        if kind == "bad_key":
            bad = data.draw(
                st.sampled_from(["", "x" * 41, "has space", "semi;colon", "-leading", "ключ"])
            )
            bad_key = _req(bad, debit, credit, one)
            self._rejected(lambda: ledger.transfer(bad_key), InvalidIdempotencyKey, records=False)
        elif kind == "bad_amount":
            amount = data.draw(
                st.sampled_from(["0", "0.00", "-0.01", "1.001", "0.005", "NaN", "1E+13"])
            )
            bad_amount = _req(key, debit, credit, Decimal(amount))
            self._rejected(lambda: ledger.transfer(bad_amount), InvalidAmount, records=False)
        elif kind == "unsupported_currency":
            xyz = _req(key, debit, credit, one, "XYZ")
            self._rejected(lambda: ledger.transfer(xyz), ValidationFailed, records=False)
        elif kind == "same_account":
            same = _req(key, debit, debit, one)
            self._rejected(lambda: ledger.transfer(same), ValidationFailed, records=False)
        elif kind == "hold_bad_reference":
            hold = HoldRequest("bad ref", debit, credit, one, USD)
            self._rejected(lambda: ledger.place_hold(hold), InvalidIdempotencyKey, records=False)
        elif kind == "hold_same_account":
            hold = HoldRequest(key, debit, debit, one, USD)
            self._rejected(lambda: ledger.place_hold(hold), ValidationFailed, records=False)
        elif kind == "hold_unknown_account":
            hold = HoldRequest(key, UNKNOWN_ACCOUNT, credit, one, USD)
            self._rejected(lambda: ledger.place_hold(hold), NotFound, records=False)
        elif kind == "capture_unknown_hold":
            self._rejected(lambda: ledger.capture_hold(UNKNOWN_HOLD, key), NotFound, records=False)
        elif kind == "void_unknown_hold":
            self._rejected(lambda: ledger.void_hold(UNKNOWN_HOLD), NotFound, records=False)
        else:
            assert kind == "reverse_unknown_transfer"
            self._rejected(lambda: ledger.reverse(UNKNOWN_TRANSFER, key), NotFound, records=False)

    @rule(
        kind=st.sampled_from(["currency_mismatch", "unknown_debit", "unknown_credit"]),
        pair=st.sampled_from(PAIRS),
        amount=AMOUNTS,
    )
    def failed_transfer(self, kind: str, pair: tuple[str, str], amount: int) -> None:
        """Requests that fail against the state: recorded under their key, no postings."""
        key = self._key("fail")
        debit, credit = self.ids[pair[0]], self.ids[pair[1]]
        currency, error = (
            ("EUR", CurrencyMismatch) if kind == "currency_mismatch" else (USD, NotFound)
        )
        if kind == "unknown_debit":
            debit = UNKNOWN_ACCOUNT
        elif kind == "unknown_credit":
            credit = UNKNOWN_ACCOUNT
        request = _req(key, debit, credit, _usd(amount), currency)
        err = self._rejected(lambda: self.ledger.transfer(request), error, records=True)
        if error is NotFound:
            assert err.details["account_id"] == UNKNOWN_ACCOUNT
        transfer_id = int(err.details["transfer_id"])
        self.failed_ids.append(transfer_id)
        other = replace(request, description="another body")
        self.keys.append(
            KeyRecord(
                key,
                lambda: self.ledger.transfer(request),
                lambda: self.ledger.transfer(other),
                transfer_id,
                error,
                request,
            )
        )

    @rule(account=st.sampled_from(NAMES), data=st.data(), amount=st.integers(1, 5_000))
    def hold_in_other_currency(self, account: str, data: st.DataObject, amount: int) -> None:
        counterparty = data.draw(st.sampled_from([n for n in NAMES if n != account]))
        reference = self._key("auth-eur")
        request = HoldRequest(
            reference=reference,
            account_id=self.ids[account],
            counterparty_account_id=self.ids[counterparty],
            amount=_usd(amount),
            currency="EUR",
        )
        self._rejected(
            lambda: self.ledger.place_hold(request),
            CurrencyMismatch,
            records=False,
            hold_records=True,
        )
        hold_id = self._hold_id(reference)
        self.holds[hold_id] = ModelHold(
            hold_id,
            reference,
            request,
            account,
            counterparty,
            amount,
            HoldStatus.DECLINED,
            CurrencyMismatch,
        )

    # --------------------------------------------------------------- invariants

    @invariant()
    def database_matches_model(self) -> None:
        report = check_ledger(self.engine)
        assert report.ok, report.violations
        assert report.totals == {USD: "0.00"}
        assert (report.transfers, report.postings) == (self.n_transfers, self.n_postings)
        rows, postings, transfers, holds = self._snapshot()
        expected = sorted((self.ids[n], self.bal[n], self.held[n]) for n in NAMES)
        assert rows == expected
        assert sum(r[1] for r in rows) == 0
        assert (postings, transfers, holds) == (self.n_postings, self.n_transfers, len(self.holds))
        for name in NAMES:
            balance = self.ledger.balance(self.ids[name])
            floor = FLOORS[name]
            assert (balance.ledger, balance.held, balance.available) == (
                _usd(self.bal[name]),
                _usd(self.held[name]),
                _usd(self.bal[name] - self.held[name]),
            )
            assert balance.spendable == (
                None if floor is None else _usd(self.bal[name] - self.held[name] - floor)
            )
            if floor is not None:
                assert self.bal[name] - self.held[name] >= floor
        with self.engine.connect() as conn:
            statuses = {
                int(i): HoldStatus(s) for i, s in conn.execute(text("SELECT id, status FROM holds"))
            }
        assert statuses == {h.id: h.status for h in self.holds.values()}


# ~25 examples x 30 steps keeps each backend within a CI budget (check_ledger runs after
# every step); raise OPENTELLER_STATEFUL_EXAMPLES for a deeper run.
STATEFUL_SETTINGS = settings(
    max_examples=int(os.environ.get("OPENTELLER_STATEFUL_EXAMPLES", "25")),
    stateful_step_count=int(os.environ.get("OPENTELLER_STATEFUL_STEPS", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_ledger_agrees_with_model(backend: Backend) -> None:
    class Machine(LedgerMachine):
        pass

    Machine.backend = backend
    run_state_machine_as_test(Machine, settings=STATEFUL_SETTINGS)
