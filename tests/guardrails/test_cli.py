"""`openteller guard check` and `openteller audit verify`, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from openteller.core import FixedClock, make_engine, upgrade
from openteller.guardrails import AuditLog, AuditRecord
from tests.cli.test_cli import run
from tests.conftest import NOW
from tests.guardrails.test_audit import tampering


def test_guard_check_json_shows_every_rule(tmp_path: Path) -> None:
    done = run(
        "guard", "check", "--stage", "output", "--json",
        "--db", f"sqlite:///{tmp_path / 'none.db'}",
        "--text", "Your card 4111-1111-1111-1111 has a $35.00 overdraft fee.",
        "--context", json.dumps({"customer_identifiers": ["4111111111111111"]}),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert {"decisions", "blocked", "redacted_text"} <= set(body)
    assert body["blocked"] is False
    assert body["redacted_text"] == "Your card 411111******1111 has a $35.00 overdraft fee."
    assert body["output"]["text"] == "Your card 411111******1111 has a $35.00 overdraft fee."
    actions = {d["rule_id"]: d["action"] for d in body["decisions"]}
    assert actions["pci.card_data"] == "rewrite"
    assert actions["grounding.numbers"] == "pass"
    assert len(actions) == 12


def test_guard_check_refuses_bad_context() -> None:
    for context, message in (("{", "not valid JSON"), ("[1]", "JSON object"), ('{"x": 1}', "x")):
        done = run("guard", "check", "--stage", "output", "--text", "hi", "--context", context)
        assert done.returncode == 2
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_audit_verify_ok_then_broken(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(url)
    upgrade(engine)
    log = AuditLog(engine, FixedClock(NOW))
    for i in range(3):
        log.append([AuditRecord("udaap.claims", "1", "block", f"excerpt {i}", {"i": i})])
    ok = run("audit", "verify", "--db", url, "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["entries"] == 3
    with tampering(engine) as conn:
        conn.execute(text("UPDATE audit_log SET excerpt = 'nothing to see' WHERE seq = 2"))
    engine.dispose()
    bad = run("audit", "verify", "--db", url)
    assert bad.returncode == 1
    assert "audit log BROKEN at seq 2: content does not match its hash" in bad.stdout
