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
from typing import Any, ClassVar

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
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)

    def fresh() -> Engine:
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            load_catalog(conn, read_spec())
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
            )
        )

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
        key=st.sampled_from(["", "x" * 41, "has space", "semi;colon", "-leading", "ключ", "a/b"]),
        pair=st.sampled_from(PAIRS),
    )
    def bad_key(self, key: str, pair: tuple[str, str]) -> None:
        request = _req(key, self.ids[pair[0]], self.ids[pair[1]], Decimal("1.00"))
        self._rejected(lambda: self.ledger.transfer(request), InvalidIdempotencyKey, records=False)

    @rule(
        amount=st.sampled_from(["0", "0.00", "-0.01", "-5.00", "1.001", "0.005", "NaN", "1E+13"]),
        pair=st.sampled_from(PAIRS),
    )
    def bad_amount(self, amount: str, pair: tuple[str, str]) -> None:
        request = _req(self._key("amt"), self.ids[pair[0]], self.ids[pair[1]], Decimal(amount))
        self._rejected(lambda: self.ledger.transfer(request), InvalidAmount, records=False)

    @rule(pair=st.sampled_from(PAIRS), amount=AMOUNTS)
    def unsupported_currency(self, pair: tuple[str, str], amount: int) -> None:
        request = _req(self._key("xyz"), self.ids[pair[0]], self.ids[pair[1]], _usd(amount), "XYZ")
        self._rejected(lambda: self.ledger.transfer(request), ValidationFailed, records=False)

    @rule(account=st.sampled_from(NAMES))
    def same_account(self, account: str) -> None:
        request = _req(self._key("same"), self.ids[account], self.ids[account], Decimal("1.00"))
        self._rejected(lambda: self.ledger.transfer(request), ValidationFailed, records=False)

    @rule(pair=st.sampled_from(PAIRS), amount=AMOUNTS)
    def currency_mismatch(self, pair: tuple[str, str], amount: int) -> None:
        key = self._key("eur")
        request = _req(key, self.ids[pair[0]], self.ids[pair[1]], _usd(amount), "EUR")
        err = self._rejected(lambda: self.ledger.transfer(request), CurrencyMismatch, records=True)
        self._record_failure(key, request, err, CurrencyMismatch)

    @rule(account=st.sampled_from(NAMES), unknown_debit=st.booleans(), amount=AMOUNTS)
    def unknown_account(self, account: str, unknown_debit: bool, amount: int) -> None:
        key = self._key("unk")
        known = self.ids[account]
        debit, credit = (UNKNOWN_ACCOUNT, known) if unknown_debit else (known, UNKNOWN_ACCOUNT)
        request = _req(key, debit, credit, _usd(amount))
        err = self._rejected(lambda: self.ledger.transfer(request), NotFound, records=True)
        assert err.details["account_id"] == UNKNOWN_ACCOUNT
        self._record_failure(key, request, err, NotFound)

    def _record_failure(
        self,
        key: str,
        request: TransferRequest,
        err: OpenTellerError,
        error: type[OpenTellerError],
    ) -> None:
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
            )
        )

    @rule(account=st.sampled_from(NAMES), amount=AMOUNTS)
    def hold_on_unknown_account(self, account: str, amount: int) -> None:
        request = HoldRequest(
            reference=self._key("auth-unk"),
            account_id=UNKNOWN_ACCOUNT,
            counterparty_account_id=self.ids[account],
            amount=_usd(amount),
            currency=USD,
        )
        self._rejected(lambda: self.ledger.place_hold(request), NotFound, records=False)

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

    @rule(
        reference=st.sampled_from(["", "r" * 41, "bad ref"]),
        account=st.sampled_from(NAMES),
        same=st.booleans(),
    )
    def bad_hold_request(self, reference: str, account: str, same: bool) -> None:
        other = self.ids["A" if account != "A" else "S"]
        request = HoldRequest(
            reference=reference if not same else self._key("auth-same"),
            account_id=self.ids[account],
            counterparty_account_id=self.ids[account] if same else other,
            amount=Decimal("1.00"),
            currency=USD,
        )
        error = ValidationFailed if same else InvalidIdempotencyKey
        self._rejected(lambda: self.ledger.place_hold(request), error, records=False)

    @rule(capture=st.booleans())
    def unknown_hold(self, capture: bool) -> None:
        key = self._key("cap-unk")
        call: Callable[[], Any] = (
            (lambda: self.ledger.capture_hold(UNKNOWN_HOLD, key))
            if capture
            else (lambda: self.ledger.void_hold(UNKNOWN_HOLD))
        )
        self._rejected(call, NotFound, records=False)

    @rule()
    def reverse_unknown_transfer(self) -> None:
        key = self._key("rev-unk")
        self._rejected(lambda: self.ledger.reverse(UNKNOWN_ACCOUNT, key), NotFound, records=False)

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
