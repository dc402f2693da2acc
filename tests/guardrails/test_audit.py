"""The audit log: a SHA-256 chain that `verify` walks; edited, removed and reordered rows
are found at the first bad seq; concurrent writers never fork the chain. SQLite and
PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DatabaseError

from openteller.core import FixedClock
from openteller.guardrails import GENESIS, AuditLog, AuditRecord, entry_hash
from tests.conftest import NOW


def _record(i: int) -> AuditRecord:
    return AuditRecord(
        rule_id="grounding.numbers",
        rule_version="1",
        decision="block",
        excerpt=f"The overdraft fee is ${i}.00 per item, café ✓",
        details={"reason": f"money '${i}.00'", "n": i, "nested": {"ok": [1, 2]}},
        session_id=f"s{i % 3}",
    )


SQLITE_GUARDS = [
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]


@contextmanager
def tampering(engine: Engine) -> Iterator[Connection]:
    """A connection with the append-only guard off, as someone with DDL rights would have
    it; the guard is back when the transaction commits."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for verb in ("update", "delete"):
                conn.execute(text(f"DROP TRIGGER audit_log_no_{verb}"))
            yield conn
            for statement in SQLITE_GUARDS:
                conn.execute(text(statement))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
            yield conn
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


def test_the_database_refuses_updates_and_deletes(engine: Engine, clock: FixedClock) -> None:
    log = _fill(engine, clock, 2)
    for statement in (
        "UPDATE audit_log SET decision = 'pass' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 2",
    ):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert log.verify().ok


def _fill(engine: Engine, clock: FixedClock, n: int = 6) -> AuditLog:
    log = AuditLog(engine, clock)
    for i in range(1, n + 1):
        clock.advance(timedelta(seconds=1))
        assert log.append([_record(i)]) == [i]
    return log


def test_chain_links_and_verifies(engine: Engine, clock: FixedClock) -> None:
    log = _fill(engine, clock)
    rows = log.entries()
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0]["occurred_at"] == NOW + timedelta(seconds=1)
    assert rows[0]["prev_hash"] == GENESIS
    for before, after in itertools.pairwise(rows):
        assert after["prev_hash"] == before["hash"]
    first = rows[0]
    assert first["hash"] == entry_hash(
        1,
        NOW + timedelta(seconds=1),
        "s1",
        "grounding.numbers",
        "1",
        "block",
        "The overdraft fee is $1.00 per item, café ✓",
        {"reason": "money '$1.00'", "n": 1, "nested": {"ok": [1, 2]}},
        GENESIS,
    )
    report = log.verify()
    assert (report.ok, report.entries, report.first_bad_seq) == (True, 6, None)
    assert report.head_hash == rows[-1]["hash"]
    assert log.append([_record(7), _record(8)]) == [7, 8]
    assert log.verify().ok


def test_an_empty_log_verifies(engine: Engine, clock: FixedClock) -> None:
    assert AuditLog(engine, clock).verify().to_dict() == {
        "ok": True,
        "entries": 0,
        "first_bad_seq": None,
        "problem": None,
        "head_hash": None,
    }


def test_an_edited_entry_is_found(engine: Engine, clock: FixedClock) -> None:
    log = _fill(engine, clock)
    with tampering(engine) as conn:
        conn.execute(text("UPDATE audit_log SET decision = 'pass' WHERE seq = 4"))
    report = log.verify()
    assert (report.ok, report.first_bad_seq) == (False, 4)
    assert report.problem == "content does not match its hash"


def test_an_edit_that_recomputes_its_own_hash_breaks_the_next_link(
    engine: Engine, clock: FixedClock
) -> None:
    log = _fill(engine, clock)
    row = log.entries(after=2, limit=1)[0]
    forged = entry_hash(
        3, row["occurred_at"], row["session_id"], row["rule_id"], row["rule_version"],
        "pass", row["excerpt"], row["details"], row["prev_hash"],
    )  # fmt: skip
    with tampering(engine) as conn:
        conn.execute(
            text("UPDATE audit_log SET decision = 'pass', hash = :h WHERE seq = 3"), {"h": forged}
        )
    report = log.verify()
    assert (report.first_bad_seq, report.problem) == (4, "does not link to the previous entry")


def test_a_removed_entry_is_found(engine: Engine, clock: FixedClock) -> None:
    log = _fill(engine, clock)
    with tampering(engine) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    report = log.verify()
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 4, "entry 3 is missing")


def test_reordered_entries_are_found(engine: Engine, clock: FixedClock) -> None:
    log = _fill(engine, clock)
    # Swap the contents of entries 2 and 5, keeping every row's own hash consistent
    # with its content: only the chain can tell.
    with tampering(engine) as conn:
        conn.execute(text("UPDATE audit_log SET seq = 1000 WHERE seq = 2"))
        conn.execute(text("UPDATE audit_log SET seq = 2 WHERE seq = 5"))
        conn.execute(text("UPDATE audit_log SET seq = 5 WHERE seq = 1000"))
    report = log.verify()
    assert (report.ok, report.first_bad_seq) == (False, 2)


def test_concurrent_writers_keep_one_chain(engine: Engine, clock: FixedClock) -> None:
    log = AuditLog(engine, clock)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(10):
                log.append([_record(worker * 100 + i), _record(worker * 100 + i + 50)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = log.verify()
    assert (report.ok, report.entries) == (True, 80)
    seqs = [r["seq"] for r in log.entries(limit=100)]
    assert seqs == list(range(1, 81))
