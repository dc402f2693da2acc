"""The audit log: append-only, hash-chained entries of the rails' decisions.

Each entry's hash is the SHA-256 of a canonical JSON encoding (sorted keys, no spaces,
UTF-8) of its fields (seq, occurred_at in UTC with microseconds, session_id, rule_id,
rule_version, decision, excerpt, details) and the previous entry's hash; the first entry's
previous hash is 64 zeros. Editing an entry breaks its own hash; removing or reordering
entries breaks the link of the next one (and leaves a gap in seq).

Appends are serialized: on SQLite by the engine's BEGIN IMMEDIATE transactions, on
PostgreSQL by a transaction-scoped advisory lock taken before the last entry is read, so
two API workers never chain onto the same entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, insert, select, text

from openteller.core import AuditEntry, Clock

audit_t = cast(Table, AuditEntry.__table__)
GENESIS = "0" * 64
MAX_EXCERPT = 500
_PG_LOCK_KEY = 0x6F7441554449  # "otAUDI": one advisory lock for the chain


@dataclass(frozen=True)
class AuditRecord:
    """One decision to write: the rule, what it decided, a redacted excerpt, details."""

    rule_id: str
    rule_version: str
    decision: str
    excerpt: str
    details: Mapping[str, Any]
    session_id: str | None = None


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries: int
    first_bad_seq: int | None
    problem: str | None
    head_hash: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "head_hash": self.head_hash,
        }


def _json_safe(value: Any) -> Any:
    """Details as they come back from a JSON column (so the hash survives storage)."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    seq: int,
    occurred_at: datetime,
    session_id: str | None,
    rule_id: str,
    rule_version: str,
    decision: str,
    excerpt: str,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) of the canonical encoding of an entry and its predecessor's hash."""
    body = {
        "seq": seq,
        "occurred_at": _timestamp(occurred_at),
        "session_id": session_id,
        "rule_id": rule_id,
        "rule_version": rule_version,
        "decision": decision,
        "excerpt": excerpt,
        "details": details,
        "prev_hash": prev_hash,
    }
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


class AuditLog:
    """Appends to and verifies the `audit_log` table."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def append(self, records: Sequence[AuditRecord]) -> list[int]:
        """Append `records` in order, in one transaction; returns their seq numbers."""
        if not records:
            return []
        with self.engine.begin() as conn:
            return self.append_on(conn, records)

    def append_on(self, conn: Connection, records: Sequence[AuditRecord]) -> list[int]:
        """Append inside the caller's transaction (it must commit for the entries to stay)."""
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        last = conn.execute(
            select(audit_t.c.seq, audit_t.c.hash).order_by(audit_t.c.seq.desc()).limit(1)
        ).first()
        seq, prev = (0, GENESIS) if last is None else (int(last.seq), str(last.hash))
        now = self.clock.now()
        rows: list[dict[str, Any]] = []
        for record in records:
            seq += 1
            details = _json_safe(dict(record.details))
            excerpt = record.excerpt[:MAX_EXCERPT]
            digest = entry_hash(
                seq,
                now,
                record.session_id,
                record.rule_id,
                record.rule_version,
                record.decision,
                excerpt,
                details,
                prev,
            )
            rows.append(
                {
                    "seq": seq,
                    "occurred_at": now,
                    "session_id": record.session_id,
                    "rule_id": record.rule_id,
                    "rule_version": record.rule_version,
                    "decision": record.decision,
                    "excerpt": excerpt,
                    "details": details,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            prev = digest
        conn.execute(insert(audit_t), rows)
        return [r["seq"] for r in rows]

    def verify(self) -> VerifyReport:
        """Walk the chain in seq order; the first entry that does not hold is reported."""
        expected_prev = GENESIS
        expected_seq = 1
        count = 0
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_t).order_by(audit_t.c.seq))
            for row in rows:
                count += 1
                r = row._mapping
                seq = int(r["seq"])
                if seq != expected_seq:
                    return VerifyReport(
                        False, count, seq, f"entry {expected_seq} is missing", expected_prev
                    )
                if r["prev_hash"] != expected_prev:
                    return VerifyReport(
                        False, count, seq, "does not link to the previous entry", expected_prev
                    )
                digest = entry_hash(
                    seq,
                    r["occurred_at"],
                    r["session_id"],
                    r["rule_id"],
                    r["rule_version"],
                    r["decision"],
                    r["excerpt"],
                    r["details"],
                    r["prev_hash"],
                )
                if digest != r["hash"]:
                    return VerifyReport(
                        False, count, seq, "content does not match its hash", expected_prev
                    )
                expected_prev = digest
                expected_seq += 1
        return VerifyReport(True, count, None, None, None if count == 0 else expected_prev)

    def entries(
        self,
        *,
        after: int = 0,
        limit: int = 100,
        session_id: str | None = None,
        rule_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """A page of entries in seq order (keyset pagination on seq)."""
        stmt = select(audit_t).where(audit_t.c.seq > after)
        if session_id is not None:
            stmt = stmt.where(audit_t.c.session_id == session_id)
        if rule_id is not None:
            stmt = stmt.where(audit_t.c.rule_id == rule_id)
        stmt = stmt.order_by(audit_t.c.seq).limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_t)).scalar_one())
