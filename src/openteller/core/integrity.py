"""Ledger invariants, statistics and a content digest (`openteller ledger check|stats`).

Every check is one SQL query, so a ledger of millions of postings is checked in seconds
on either backend. A check returns the offending ids (at most `limit` of them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, and_, case, func, or_, select, text

from openteller.core.models import (
    Account,
    Base,
    Card,
    Customer,
    Hold,
    HoldStatus,
    Loan,
    Payee,
    Posting,
    SeedLabel,
    Transfer,
    TransferStatus,
)
from openteller.core.money import from_minor

accounts_t = cast(Table, Account.__table__)
transfers_t = cast(Table, Transfer.__table__)
postings_t = cast(Table, Posting.__table__)
holds_t = cast(Table, Hold.__table__)


@dataclass(frozen=True)
class Violation:
    check: str
    message: str
    ids: list[int]


@dataclass
class LedgerReport:
    checks: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    totals: dict[str, str] = field(default_factory=dict)  # currency -> sum of balances
    accounts: int = 0
    transfers: int = 0
    postings: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": self.checks,
            "violations": [v.__dict__ for v in self.violations],
            "totals": self.totals,
            "accounts": self.accounts,
            "transfers": self.transfers,
            "postings": self.postings,
        }


def _ids(conn: Connection, stmt: Any, limit: int) -> list[int]:
    return [int(r[0]) for r in conn.execute(stmt.limit(limit))]


def check_ledger(engine: Engine, limit: int = 20) -> LedgerReport:
    """Verify every invariant of the ledger in one read transaction."""
    report = LedgerReport()
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        posting_sums = (
            select(
                postings_t.c.account_id.label("account_id"),
                func.sum(postings_t.c.amount_minor).label("total"),
            )
            .group_by(postings_t.c.account_id)
            .subquery()
        )
        checks: list[tuple[str, str, Callable[[], list[int]]]] = [
            (
                "balance_equals_postings",
                "account balance differs from the sum of its postings",
                lambda: _ids(
                    conn,
                    select(accounts_t.c.id)
                    .select_from(
                        accounts_t.outerjoin(
                            posting_sums, posting_sums.c.account_id == accounts_t.c.id
                        )
                    )
                    .where(accounts_t.c.balance_minor != func.coalesce(posting_sums.c.total, 0))
                    .order_by(accounts_t.c.id),
                    limit,
                ),
            ),
            (
                "transfers_balanced",
                "posted transfer whose postings are not exactly one debit and one credit "
                "summing to zero",
                lambda: _ids(
                    conn,
                    select(postings_t.c.transfer_id)
                    .group_by(postings_t.c.transfer_id)
                    .having(
                        or_(
                            func.sum(postings_t.c.amount_minor) != 0,
                            func.count() != 2,
                            func.min(postings_t.c.amount_minor) >= 0,
                        )
                    )
                    .order_by(postings_t.c.transfer_id),
                    limit,
                ),
            ),
            (
                "posted_transfers_have_postings",
                "posted transfer without postings, or failed transfer with postings",
                lambda: _ids(
                    conn,
                    select(transfers_t.c.id)
                    .where(
                        or_(
                            and_(
                                transfers_t.c.status == TransferStatus.POSTED,
                                ~select(postings_t.c.id)
                                .where(postings_t.c.transfer_id == transfers_t.c.id)
                                .exists(),
                            ),
                            and_(
                                transfers_t.c.status == TransferStatus.FAILED,
                                select(postings_t.c.id)
                                .where(postings_t.c.transfer_id == transfers_t.c.id)
                                .exists(),
                            ),
                        )
                    )
                    .order_by(transfers_t.c.id),
                    limit,
                ),
            ),
            (
                "postings_match_transfer",
                "posting whose account, amount or currency disagrees with its transfer",
                lambda: _ids(
                    conn,
                    select(postings_t.c.id)
                    .select_from(
                        postings_t.join(transfers_t, transfers_t.c.id == postings_t.c.transfer_id)
                    )
                    .where(
                        or_(
                            postings_t.c.currency != transfers_t.c.currency,
                            and_(
                                postings_t.c.amount_minor < 0,
                                or_(
                                    postings_t.c.account_id != transfers_t.c.debit_account_id,
                                    postings_t.c.amount_minor != -transfers_t.c.amount_minor,
                                ),
                            ),
                            and_(
                                postings_t.c.amount_minor > 0,
                                or_(
                                    postings_t.c.account_id != transfers_t.c.credit_account_id,
                                    postings_t.c.amount_minor != transfers_t.c.amount_minor,
                                ),
                            ),
                        )
                    )
                    .order_by(postings_t.c.id),
                    limit,
                ),
            ),
            (
                "posting_currency",
                "posting in another currency than its account",
                lambda: _ids(
                    conn,
                    select(postings_t.c.id)
                    .select_from(
                        postings_t.join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
                    )
                    .where(postings_t.c.currency != accounts_t.c.currency)
                    .order_by(postings_t.c.id),
                    limit,
                ),
            ),
            (
                "running_balances",
                "posting whose balance_after is not the running sum of the account's postings",
                lambda: _running_balance_violations(conn, limit),
            ),
            (
                "floors",
                "account below its overdraft/credit floor (ledger or available balance)",
                lambda: _ids(
                    conn,
                    select(accounts_t.c.id)
                    .where(
                        accounts_t.c.min_balance_minor.is_not(None),
                        or_(
                            accounts_t.c.balance_minor < accounts_t.c.min_balance_minor,
                            accounts_t.c.balance_minor - accounts_t.c.held_minor
                            < accounts_t.c.min_balance_minor,
                        ),
                    )
                    .order_by(accounts_t.c.id),
                    limit,
                ),
            ),
            (
                "held_equals_pending_holds",
                "account's held amount differs from the sum of its pending holds",
                lambda: _held_violations(conn, limit),
            ),
            (
                "holds_consistent",
                "posted hold without its transfer, or pending/voided hold with one",
                lambda: _ids(
                    conn,
                    select(holds_t.c.id)
                    .where(
                        or_(
                            and_(
                                holds_t.c.status == HoldStatus.POSTED,
                                holds_t.c.transfer_id.is_(None),
                            ),
                            and_(
                                holds_t.c.status != HoldStatus.POSTED,
                                holds_t.c.transfer_id.is_not(None),
                            ),
                        )
                    )
                    .order_by(holds_t.c.id),
                    limit,
                ),
            ),
            (
                "reversals_mirror",
                "reversal that is not the mirror image of the transfer it reverses",
                lambda: _reversal_violations(conn, limit),
            ),
        ]
        for name, message, run in checks:
            report.checks.append(name)
            found = run()
            if found:
                report.violations.append(Violation(name, message, found))

        report.checks.append("currency_totals_zero")
        unbalanced: list[int] = []
        for currency, total in conn.execute(
            select(accounts_t.c.currency, func.sum(accounts_t.c.balance_minor))
            .group_by(accounts_t.c.currency)
            .order_by(accounts_t.c.currency)
        ):
            report.totals[currency] = str(from_minor(int(total), currency))
            if int(total) != 0:
                unbalanced.append(int(total))
        if unbalanced:
            report.violations.append(
                Violation(
                    "currency_totals_zero",
                    f"balances do not sum to zero per currency: {report.totals}",
                    [],
                )
            )
        report.accounts = _count(conn, accounts_t)
        report.transfers = _count(conn, transfers_t)
        report.postings = _count(conn, postings_t)
    return report


def _running_balance_violations(conn: Connection, limit: int) -> list[int]:
    running = select(
        postings_t.c.id,
        postings_t.c.balance_after_minor,
        func.sum(postings_t.c.amount_minor)
        .over(partition_by=postings_t.c.account_id, order_by=postings_t.c.id)
        .label("running"),
    ).subquery()
    return _ids(
        conn,
        select(running.c.id)
        .where(running.c.balance_after_minor != running.c.running)
        .order_by(running.c.id),
        limit,
    )


def _held_violations(conn: Connection, limit: int) -> list[int]:
    pending = (
        select(holds_t.c.account_id, func.sum(holds_t.c.amount_minor).label("total"))
        .where(holds_t.c.status == HoldStatus.PENDING)
        .group_by(holds_t.c.account_id)
        .subquery()
    )
    return _ids(
        conn,
        select(accounts_t.c.id)
        .select_from(accounts_t.outerjoin(pending, pending.c.account_id == accounts_t.c.id))
        .where(accounts_t.c.held_minor != func.coalesce(pending.c.total, 0))
        .order_by(accounts_t.c.id),
        limit,
    )


def _reversal_violations(conn: Connection, limit: int) -> list[int]:
    original = transfers_t.alias("original")
    return _ids(
        conn,
        select(transfers_t.c.id)
        .select_from(transfers_t.join(original, original.c.id == transfers_t.c.reverses_id))
        .where(
            transfers_t.c.status == TransferStatus.POSTED,
            or_(
                original.c.status != TransferStatus.POSTED,
                transfers_t.c.amount_minor != original.c.amount_minor,
                transfers_t.c.currency != original.c.currency,
                transfers_t.c.debit_account_id != original.c.credit_account_id,
                transfers_t.c.credit_account_id != original.c.debit_account_id,
            ),
        )
        .order_by(transfers_t.c.id),
        limit,
    )


def _count(conn: Connection, table: Table, *where: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def ledger_stats(engine: Engine) -> dict[str, Any]:
    """Counts and totals that show what is in the bank (`openteller ledger stats --json`)."""
    with engine.connect() as conn:
        by_kind = {
            str(kind): {"count": int(n), "balance": str(from_minor(int(total or 0), cur))}
            for kind, cur, n, total in conn.execute(
                select(
                    accounts_t.c.kind,
                    accounts_t.c.currency,
                    func.count(),
                    func.sum(accounts_t.c.balance_minor),
                )
                .group_by(accounts_t.c.kind, accounts_t.c.currency)
                .order_by(accounts_t.c.kind)
            )
        }
        transfers_by_status = {
            str(status): int(n)
            for status, n in conn.execute(
                select(transfers_t.c.status, func.count()).group_by(transfers_t.c.status)
            )
        }
        holds_by_status = {
            str(status): int(n)
            for status, n in conn.execute(
                select(holds_t.c.status, func.count()).group_by(holds_t.c.status)
            )
        }
        first, last = conn.execute(
            select(func.min(transfers_t.c.created_at), func.max(transfers_t.c.created_at))
        ).one()
        cards_t = cast(Table, Card.__table__)
        return {
            "customers": _count(conn, cast(Table, Customer.__table__)),
            "accounts": by_kind,
            "transfers": transfers_by_status,
            "postings": _count(conn, postings_t),
            "holds": holds_by_status,
            "cards": {
                str(s): int(n)
                for s, n in conn.execute(
                    select(cards_t.c.status, func.count()).group_by(cards_t.c.status)
                )
            },
            "loans": _count(conn, cast(Table, Loan.__table__)),
            "payees": _count(conn, cast(Table, Payee.__table__)),
            "seed_labels": {
                str(label): int(n)
                for label, n in conn.execute(
                    select(SeedLabel.label, func.count()).group_by(SeedLabel.label)
                )
            },
            "first_transfer_at": None if first is None else _iso(first),
            "last_transfer_at": None if last is None else _iso(last),
            "volume": {
                cur: str(from_minor(int(total or 0), cur))
                for cur, total in conn.execute(
                    select(
                        transfers_t.c.currency,
                        func.sum(
                            case(
                                (
                                    transfers_t.c.status == TransferStatus.POSTED,
                                    transfers_t.c.amount_minor,
                                ),
                                else_=0,
                            )
                        ),
                    ).group_by(transfers_t.c.currency)
                )
            },
        }


def _iso(value: Any) -> str:
    return str(value.isoformat()) if hasattr(value, "isoformat") else str(value)


def ledger_digest(engine: Engine) -> str:
    """SHA-256 over every row of the bank's data in primary-key order (seed determinism).

    Password hashes are left out: Argon2 salts are random by design.
    """
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name != "password_hash"]
            stmt = select(*columns).order_by(*table.primary_key.columns)
            digest.update(table.name.encode())
            for row in conn.execute(stmt):
                digest.update(repr(tuple(_canonical(v) for v in row)).encode())
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return str(value) if value is not None else None


__all__ = ["LedgerReport", "Violation", "check_ledger", "ledger_digest", "ledger_stats"]
