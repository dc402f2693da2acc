"""The double-entry ledger: transfers, holds, reversals.

A transfer moves `amount` from a debit account to a credit account as two postings that
sum to zero, written in one database transaction together with the new balances. Every
account balance is the signed sum of its postings (positive: the holder owns money;
negative: the holder owes it), so across all accounts of a currency balances sum to zero.

Concurrency: inside a transaction the accounts a request touches are locked in ascending
id order (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serializes writers with
``BEGIN IMMEDIATE``), so opposite transfers cannot deadlock. A unique idempotency key per
transfer makes retries safe: the same key and body give back the first result, a failed
key stays failed, and the same key with another body raises `IdempotencyConflict`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from openteller.core.bulk import ROWS_PER_STATEMENT, bulk_insert, driver_params, placeholder
from openteller.core.clock import Clock
from openteller.core.errors import (
    IdempotencyConflict,
    InvalidState,
    NotFound,
    OpenTellerError,
    ValidationFailed,
)
from openteller.core.ledger_rules import (
    AccountState,
    Prepared,
    apply_transfer,
    card_problem,
    check_hold,
    check_transfer,
    replay,
    replay_hold,
)
from openteller.core.ledger_types import (
    Balance,
    HoldRequest,
    HoldResult,
    TransferRequest,
    TransferResult,
    hold_result,
    transfer_result,
    validate_key,
)
from openteller.core.models import (
    Account,
    AccountStatus,
    Card,
    Hold,
    HoldStatus,
    Posting,
    Transfer,
    TransferStatus,
)
from openteller.core.money import exponent, from_minor, to_minor

__all__ = [
    "Balance",
    "HoldRequest",
    "HoldResult",
    "Ledger",
    "TransferRequest",
    "TransferResult",
    "bulk_insert",
    "holds_t",
    "postings_t",
    "transfers_t",
    "validate_key",
]


accounts_t = cast(Table, Account.__table__)
transfers_t = cast(Table, Transfer.__table__)
postings_t = cast(Table, Posting.__table__)
holds_t = cast(Table, Hold.__table__)
cards_t = cast(Table, Card.__table__)


_T = TypeVar("_T")
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


class Ledger:
    """The ledger service. Stateless apart from its engine and clock: safe to share."""

    def __init__(self, engine: Engine, clock: Clock, *, max_retries: int = 5) -> None:
        self.engine = engine
        self.clock = clock
        self.max_retries = max_retries
        self._lock_accounts = engine.dialect.name != "sqlite"

    # ------------------------------------------------------------------ transfers

    def transfer(self, request: TransferRequest) -> TransferResult:
        """Post one transfer, or replay the first result for its idempotency key.

        Raises the domain error of a failed transfer (also on every replay of its key).
        """
        outcome = self.transfer_batch([request])[0]
        if isinstance(outcome, OpenTellerError):
            raise outcome
        return outcome

    def transfer_batch(
        self, requests: Sequence[TransferRequest]
    ) -> list[TransferResult | OpenTellerError]:
        """Post independent transfers in one database transaction.

        Each request succeeds or fails on its own (a failure is recorded under its key and
        returned in its slot); requests with static errors (bad key, bad amount) raise
        before anything is written.
        """
        prepared = [self._prepare(r) for r in requests]
        if not prepared:
            return []
        # A lone request skips the key lookup and lets the unique key answer instead
        # (one round trip less); if the key turns out to be taken, run the full path,
        # which replays the first result.
        optimistic = len(prepared) == 1
        try:
            return self._with_retries(lambda conn: self._post_batch(conn, prepared, optimistic))
        except _KeyTaken:
            return self._with_retries(lambda conn: self._post_batch(conn, prepared, False))

    def reverse(
        self, transfer_id: int, idempotency_key: str, *, description: str = ""
    ) -> TransferResult:
        """Post the mirror image of a posted transfer (corrections never edit postings)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(transfers_t).where(transfers_t.c.id == transfer_id)).first()
        if row is None:
            raise NotFound("transfer not found", transfer_id=transfer_id)
        if row.status != TransferStatus.POSTED:
            raise InvalidState("only a posted transfer can be reversed", transfer_id=transfer_id)
        return self.transfer(
            TransferRequest(
                idempotency_key=idempotency_key,
                debit_account_id=row.credit_account_id,
                credit_account_id=row.debit_account_id,
                amount=from_minor(row.amount_minor, row.currency),
                currency=row.currency,
                kind="reversal",
                description=description or f"Reversal of transfer {transfer_id}",
                merchant=row.merchant,
                category=row.category,
                channel=row.channel,
                reverses_id=transfer_id,
            )
        )

    def get_transfer(self, transfer_id: int) -> TransferResult:
        with self.engine.connect() as conn:
            row = conn.execute(select(transfers_t).where(transfers_t.c.id == transfer_id)).first()
        if row is None:
            raise NotFound("transfer not found", transfer_id=transfer_id)
        return transfer_result(row)

    # ---------------------------------------------------------------------- holds

    def place_hold(self, request: HoldRequest) -> HoldResult:
        """Reserve funds (a card authorization). Same reference and body -> the first result."""
        validate_key(request.reference)
        minor = to_minor(request.amount, request.currency)
        digest = request.request_hash()
        if request.account_id == request.counterparty_account_id:
            raise ValidationFailed("a hold needs two different accounts")

        def work(conn: Connection) -> HoldResult | OpenTellerError:
            existing = conn.execute(
                select(holds_t).where(holds_t.c.reference == request.reference)
            ).first()
            if existing is not None:
                return replay_hold(existing, digest)
            states = self._load(conn, [request.account_id, request.counterparty_account_id])
            now = self.clock.now()
            failure = self._card_failure(conn, request, now) or check_hold(states, request, minor)
            values = {
                "reference": request.reference,
                "request_hash": digest,
                "account_id": request.account_id,
                "counterparty_account_id": request.counterparty_account_id,
                "amount_minor": minor,
                "currency": request.currency,
                "status": HoldStatus.PENDING if failure is None else HoldStatus.DECLINED,
                "description": request.description,
                "merchant": request.merchant,
                "category": request.category,
                "created_at": now,
                "failure_code": None if failure is None else failure.code,
                "failure_message": None if failure is None else failure.message[:300],
            }
            if failure is not None and isinstance(failure, NotFound):
                # No account to attach a declined hold to: refuse without writing.
                return failure
            hold_id = conn.execute(
                insert(holds_t).values(values).returning(holds_t.c.id)
            ).scalar_one()
            if failure is not None:
                return failure
            conn.execute(
                update(accounts_t)
                .where(accounts_t.c.id == request.account_id)
                .values(held_minor=accounts_t.c.held_minor + minor)
            )
            return hold_result({**values, "id": hold_id, "transfer_id": None})

        outcome = self._with_retries(work)
        if isinstance(outcome, OpenTellerError):
            raise outcome
        return outcome

    def _card_failure(
        self, conn: Connection, request: HoldRequest, now: datetime
    ) -> OpenTellerError | None:
        """Check the authorizing card in this transaction (locked on PostgreSQL), so a
        card blocked a moment ago cannot authorize on a stale read."""
        if request.card_id is None:
            return None
        stmt = select(cards_t).where(cards_t.c.id == request.card_id)
        if self._lock_accounts:
            stmt = stmt.with_for_update()
        card = conn.execute(stmt).first()
        if card is None or card.account_id != request.account_id:
            return NotFound("card not found on this account", card_id=request.card_id)
        return card_problem(
            card.id, card.status, card.status_reason, (card.expiry_year, card.expiry_month), now
        )

    def capture_hold(
        self, hold_id: int, idempotency_key: str, amount: Decimal | None = None
    ) -> TransferResult:
        """Post a pending hold as a transfer of `amount` (default: the held amount)."""
        hold = self.get_hold(hold_id)
        return self.transfer(
            TransferRequest(
                idempotency_key=idempotency_key,
                debit_account_id=hold.account_id,
                credit_account_id=hold.counterparty_account_id,
                amount=hold.amount if amount is None else amount,
                currency=hold.currency,
                kind="card_purchase",
                description=hold.description,
                merchant=hold.merchant,
                category=None,
                channel="card",
                hold_id=hold_id,
            )
        )

    def void_hold(self, hold_id: int) -> HoldResult:
        """Release a pending hold. Voiding a voided hold returns it; a posted one cannot be."""

        def work(conn: Connection) -> HoldResult | OpenTellerError:
            row = conn.execute(select(holds_t).where(holds_t.c.id == hold_id)).first()
            if row is None:
                return NotFound("hold not found", hold_id=hold_id)
            self._load(conn, [row.account_id])
            row = conn.execute(select(holds_t).where(holds_t.c.id == hold_id)).one()
            if row.status == HoldStatus.VOIDED:
                return replace(hold_result(row._mapping), replayed=True)
            if row.status != HoldStatus.PENDING:
                return InvalidState(f"hold is {row.status}, not pending", hold_id=hold_id)
            now = self.clock.now()
            conn.execute(
                update(holds_t)
                .where(holds_t.c.id == hold_id)
                .values(status=HoldStatus.VOIDED, resolved_at=now)
            )
            conn.execute(
                update(accounts_t)
                .where(accounts_t.c.id == row.account_id)
                .values(held_minor=accounts_t.c.held_minor - row.amount_minor)
            )
            return hold_result({**row._mapping, "status": HoldStatus.VOIDED})

        outcome = self._with_retries(work)
        if isinstance(outcome, OpenTellerError):
            raise outcome
        return outcome

    def get_hold(self, hold_id: int) -> HoldResult:
        with self.engine.connect() as conn:
            row = conn.execute(select(holds_t).where(holds_t.c.id == hold_id)).first()
        if row is None:
            raise NotFound("hold not found", hold_id=hold_id)
        return hold_result(row._mapping)

    # ------------------------------------------------------------------- balances

    def balance(self, account_id: int, *, customer_id: int | None = None) -> Balance:
        """The account's balances; with `customer_id`, only if that customer owns it (one
        query, and another customer's id is `NotFound` like a missing one)."""
        stmt = select(accounts_t).where(accounts_t.c.id == account_id)
        if customer_id is not None:
            stmt = stmt.where(accounts_t.c.customer_id == customer_id)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            raise NotFound("account not found", account_id=account_id)
        available = row.balance_minor - row.held_minor
        return Balance(
            account_id=account_id,
            currency=row.currency,
            ledger=from_minor(row.balance_minor, row.currency),
            held=from_minor(row.held_minor, row.currency),
            available=from_minor(available, row.currency),
            spendable=None
            if row.min_balance_minor is None
            else from_minor(available - row.min_balance_minor, row.currency),
        )

    # ------------------------------------------------------------------ internals

    def _prepare(self, request: TransferRequest) -> Prepared:
        validate_key(request.idempotency_key)
        exponent(request.currency)
        minor = to_minor(request.amount, request.currency)
        if request.debit_account_id == request.credit_account_id:
            raise ValidationFailed(
                "debit and credit account must differ", account_id=request.debit_account_id
            )
        if len(request.description) > 200:
            raise ValidationFailed("description is longer than 200 characters")
        if request.occurred_at is not None:
            if request.occurred_at.tzinfo is None:
                raise ValidationFailed("occurred_at must be timezone-aware")
            if request.occurred_at > self.clock.now():
                raise ValidationFailed("occurred_at is in the future")
        return Prepared(request, minor, request.request_hash())

    def _with_retries(self, work: Callable[[Connection], _T]) -> _T:
        for attempt in range(self.max_retries + 1):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except IntegrityError:
                # A concurrent request took one of our keys first; the next attempt replays it.
                if attempt == self.max_retries:
                    raise
            except DBAPIError as exc:
                sqlstate = getattr(exc.orig, "sqlstate", None)
                # Deadlock, serialization failure, or a pooled connection the server
                # dropped (no pre-ping: it would cost a round trip per transaction).
                retry = sqlstate in _RETRYABLE_SQLSTATES or exc.connection_invalidated
                if not retry or attempt == self.max_retries:
                    raise
                time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    def _load(self, conn: Connection, ids: Sequence[int]) -> dict[int, AccountState]:
        """Read (and on PostgreSQL lock, in id order) the accounts with these ids."""
        wanted = sorted(set(ids))
        mark = placeholder(conn)
        sql = (
            "SELECT id, currency, status, balance_minor, held_minor, min_balance_minor "
            f"FROM accounts WHERE id IN ({', '.join(mark for _ in wanted)}) ORDER BY id"
        )
        if self._lock_accounts:
            sql += " FOR UPDATE"
        return {
            r[0]: AccountState(r[0], r[1], AccountStatus(r[2]), r[3], r[4], r[5], r[3])
            for r in conn.exec_driver_sql(sql, tuple(wanted))
        }

    def _post_batch(
        self, conn: Connection, batch: list[Prepared], optimistic: bool = False
    ) -> list[TransferResult | OpenTellerError]:
        states = self._load(conn, [i for p in batch for i in p.ids])
        keys = [p.request.idempotency_key for p in batch]
        existing = (
            {}
            if optimistic
            else {
                r.idempotency_key: r
                for r in conn.execute(
                    select(transfers_t).where(transfers_t.c.idempotency_key.in_(keys))
                )
            }
        )
        holds = self._pending_holds(conn, batch)
        reversed_ids = self._reversal_targets(conn, batch)

        now = self.clock.now()
        outcomes: list[TransferResult | OpenTellerError | None] = [None] * len(batch)
        rows: list[dict[str, Any]] = []  # transfer rows to insert, in order
        failures: list[OpenTellerError | None] = []  # why each row failed, or None
        slots: list[int] = []  # batch index of each row
        seen: dict[str, Prepared] = {}
        captured: set[int] = set()  # holds captured earlier in this batch
        for index, item in enumerate(batch):
            req = item.request
            if req.idempotency_key in existing:
                outcomes[index] = replay(existing[req.idempotency_key], item.hash)
                continue
            if req.idempotency_key in seen:
                first = seen[req.idempotency_key]
                if first.hash != item.hash:
                    outcomes[index] = IdempotencyConflict(
                        "idempotency key reused with a different request",
                        idempotency_key=req.idempotency_key,
                    )
                else:
                    outcomes[index] = None  # filled from the first occurrence below
                continue
            seen[req.idempotency_key] = item
            failure = check_transfer(states, item, holds, reversed_ids, captured)
            row: dict[str, Any] = {
                "idempotency_key": req.idempotency_key,
                "request_hash": item.hash,
                "status": TransferStatus.POSTED if failure is None else TransferStatus.FAILED,
                "kind": req.kind,
                "amount_minor": item.minor,
                "currency": req.currency,
                "debit_account_id": req.debit_account_id,
                "credit_account_id": req.credit_account_id,
                "description": req.description,
                "merchant": req.merchant,
                "category": req.category,
                "channel": req.channel,
                "location": req.location,
                # Only a posted reversal claims its target (reverses_id is unique).
                "reverses_id": req.reverses_id if failure is None else None,
                "hold_id": req.hold_id,
                "failure_code": None if failure is None else failure.code,
                "failure_message": None if failure is None else failure.message[:300],
                "occurred_at": req.occurred_at or now,
                "created_at": now,
            }
            if failure is None:
                apply_transfer(states, item, holds)
                if req.reverses_id is not None:
                    reversed_ids.add(req.reverses_id)
                if req.hold_id is not None:
                    captured.add(req.hold_id)
            rows.append(row)
            failures.append(failure)
            slots.append(index)

        if rows:
            self._write(conn, rows, failures, batch, slots, states, now)
        for index, row, failure in zip(slots, rows, failures, strict=True):
            outcomes[index] = transfer_result(row) if failure is None else failure
        for index, item in enumerate(batch):
            if outcomes[index] is None:  # duplicate key inside the batch with the same body
                first_index = next(
                    i
                    for i, p in enumerate(batch)
                    if p.request.idempotency_key == item.request.idempotency_key
                )
                earlier = outcomes[first_index]
                outcomes[index] = (
                    replace(earlier, replayed=True)
                    if isinstance(earlier, TransferResult)
                    else earlier
                )
        return [o for o in outcomes if o is not None]

    def _write(
        self,
        conn: Connection,
        rows: list[dict[str, Any]],
        failures: list[OpenTellerError | None],
        batch: list[Prepared],
        slots: list[int],
        states: dict[int, AccountState],
        now: datetime,
    ) -> None:
        if len(rows) == 1 and failures[0] is None and conn.dialect.name == "postgresql":
            self._write_one_postgres(conn, rows[0], batch[slots[0]], states, now)
            return
        if len(rows) == 1:
            new_id = bulk_insert(
                conn,
                transfers_t,
                rows,
                suffix=" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            )
            if new_id is None:
                raise _KeyTaken  # rolls the transaction back; the caller replays
            ids = [new_id]
        else:
            # One multi-row INSERT, then the ids by key: ordered RETURNING over many rows
            # would fall back to one statement per row on SQLite.
            bulk_insert(conn, transfers_t, rows)
            found = conn.execute(
                select(transfers_t.c.idempotency_key, transfers_t.c.id).where(
                    transfers_t.c.idempotency_key.in_([r["idempotency_key"] for r in rows])
                )
            )
            by_key: dict[str, int] = {row[0]: row[1] for row in found}
            ids = [by_key[r["idempotency_key"]] for r in rows]
        running: dict[int, int] = {}
        postings: list[dict[str, Any]] = []
        captured: list[dict[str, Any]] = []
        for row, failure, transfer_id, index in zip(rows, failures, ids, slots, strict=True):
            row["id"] = transfer_id
            if failure is not None:
                failure.details["transfer_id"] = transfer_id
                continue
            item = batch[index]
            for account_id, amount in (
                (item.request.debit_account_id, -item.minor),
                (item.request.credit_account_id, item.minor),
            ):
                start = running.get(account_id, states[account_id].balance_before)
                running[account_id] = start + amount
                postings.append(
                    {
                        "transfer_id": transfer_id,
                        "account_id": account_id,
                        "amount_minor": amount,
                        "currency": item.request.currency,
                        "balance_after_minor": running[account_id],
                        "created_at": now,
                    }
                )
            if item.request.hold_id is not None:
                captured.append(
                    {"b_id": item.request.hold_id, "b_transfer": transfer_id, "b_at": now}
                )
        if postings:
            bulk_insert(conn, postings_t, postings)
        if captured:
            conn.execute(
                update(holds_t)
                .where(holds_t.c.id == bindparam("b_id"))
                .values(
                    status=HoldStatus.POSTED,
                    transfer_id=bindparam("b_transfer"),
                    resolved_at=bindparam("b_at"),
                ),
                captured,
            )
        touched = [(s.id, s.balance, s.held) for s in states.values() if s.touched]
        for start in range(0, len(touched), ROWS_PER_STATEMENT):
            chunk = touched[start : start + ROWS_PER_STATEMENT]
            values = ", ".join(
                f"({placeholder(conn)}, {placeholder(conn)}, {placeholder(conn)})" for _ in chunk
            )
            # One statement for all new balances (SQLite >= 3.33 and PostgreSQL).
            conn.exec_driver_sql(
                f"WITH v(id, balance, held) AS (VALUES {values}) "
                "UPDATE accounts SET balance_minor = v.balance, held_minor = v.held "
                "FROM v WHERE accounts.id = v.id",
                tuple(value for row in chunk for value in row),
            )

    def _write_one_postgres(
        self,
        conn: Connection,
        row: dict[str, Any],
        item: Prepared,
        states: dict[int, AccountState],
        now: datetime,
    ) -> None:
        """One posted transfer in one round trip: data-modifying CTEs insert the transfer
        (unless its key exists), its two postings and the two new balances."""
        names = list(row)
        transfer_params = driver_params(conn, transfers_t, names, [row])[0]
        at = driver_params(conn, postings_t, ["created_at"], [{"created_at": now}])[0][0]
        req = item.request
        debit, credit = states[req.debit_account_id], states[req.credit_account_id]
        sql = (
            f"WITH t AS (INSERT INTO transfers ({', '.join(names)}) "
            f"VALUES ({', '.join('%s' for _ in names)}) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id), "
            "p AS (INSERT INTO postings (transfer_id, account_id, amount_minor, currency, "
            "balance_after_minor, created_at) "
            "SELECT t.id, v.account_id, v.amount, v.currency, v.after, v.at FROM t, (VALUES "
            "(%s::int, %s::bigint, %s::varchar, %s::bigint, %s::timestamptz), "
            "(%s::int, %s::bigint, %s::varchar, %s::bigint, %s::timestamptz)) "
            "AS v(account_id, amount, currency, after, at)), "
            "u AS (UPDATE accounts SET balance_minor = v.balance, held_minor = v.held FROM "
            "(VALUES (%s::int, %s::bigint, %s::bigint), (%s::int, %s::bigint, %s::bigint)) "
            "AS v(id, balance, held) WHERE accounts.id = v.id AND EXISTS (SELECT 1 FROM t)) "
            "SELECT id FROM t"
        )
        params = (
            *transfer_params,
            *(debit.id, -item.minor, req.currency, debit.balance, at),
            *(credit.id, item.minor, req.currency, credit.balance, at),
            *(debit.id, debit.balance, debit.held),
            *(credit.id, credit.balance, credit.held),
        )
        found = conn.exec_driver_sql(sql, params).first()
        if found is None:
            raise _KeyTaken  # rolls the transaction back; the caller replays
        row["id"] = found[0]
        if req.hold_id is not None:
            conn.execute(
                update(holds_t)
                .where(holds_t.c.id == req.hold_id)
                .values(status=HoldStatus.POSTED, transfer_id=found[0], resolved_at=now)
            )

    def _pending_holds(self, conn: Connection, batch: list[Prepared]) -> dict[int, Row[Any]]:
        hold_ids = [p.request.hold_id for p in batch if p.request.hold_id is not None]
        if not hold_ids:
            return {}
        return {r.id: r for r in conn.execute(select(holds_t).where(holds_t.c.id.in_(hold_ids)))}

    def _reversal_targets(self, conn: Connection, batch: list[Prepared]) -> set[int]:
        """Ids among the batch's reversal targets that are already reversed."""
        targets = [p.request.reverses_id for p in batch if p.request.reverses_id is not None]
        if not targets:
            return set()
        done = conn.execute(
            select(transfers_t.c.reverses_id).where(
                transfers_t.c.reverses_id.in_(targets),
                transfers_t.c.status == TransferStatus.POSTED,
            )
        ).scalars()
        return {int(t) for t in done}


class _KeyTaken(Exception):
    """The idempotency key of an optimistic single insert already exists."""
