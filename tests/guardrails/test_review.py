"""The output review as the assistant sees it: rewrites, disclosures, blocks, escalation,
fail closed, and what reaches the audit log."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine

from openteller.core import Catalog, FixedClock
from openteller.guardrails import (
    AuditLog,
    Finding,
    Guardrails,
    OutputContext,
    Policy,
    collect_facts,
)
from openteller.guardrails._rules import OUTPUT_CHECKS
from tests.conftest import NOW

SAFE = (
    "I'm sorry, I can't give you a reliable answer to that here. I can connect you with a "
    'member of our team who can help; just say "talk to a person".'
)


@pytest.fixture
def quiet(policy: Policy, catalog: Catalog) -> Guardrails:
    return Guardrails(policy, catalog, FixedClock(NOW), use_presidio=False)


def _actions(verdict: object) -> dict[str, str]:
    return {d.rule_id: d.action for d in verdict.decisions if d.action != "pass"}  # type: ignore[attr-defined]


def test_a_grounded_answer_passes_unchanged(quiet: Guardrails) -> None:
    ctx = OutputContext(amounts=(Decimal("1234.50"),), customer_identifiers=("100200306239",))
    text = "Your Everyday Checking ****6239 has $1,234.50 available."
    verdict = quiet.review_output("s1", text, ctx)
    assert (verdict.text, verdict.blocked, verdict.escalate) == (text, False, None)
    assert _actions(verdict) == {}
    assert len(verdict.decisions) == len(quiet.policy.stage("output"))


def test_an_invented_fee_is_blocked_with_the_safe_template(quiet: Guardrails) -> None:
    verdict = quiet.review_output("s1", "The overdraft fee is $25 and $3.0 per day.")
    assert verdict.blocked
    assert verdict.text == SAFE
    assert _actions(verdict) == {"grounding.numbers": "block"}
    reason = next(d.reason for d in verdict.decisions if d.rule_id == "grounding.numbers")
    assert "money '$25'" in reason
    assert "money '$3.0'" in reason


def test_a_card_number_is_masked_and_the_rest_still_checked(quiet: Guardrails) -> None:
    ctx = OutputContext(strings=("453201******0366",))
    verdict = quiet.review_output("s1", "Your new card is 4532-0151-1283-0366.", ctx)
    assert verdict.text == "Your new card is 453201******0366."
    assert not verdict.blocked
    assert _actions(verdict) == {"pci.card_data": "rewrite"}


def test_apy_disclosures_come_from_the_catalog(quiet: Guardrails) -> None:
    verdict = quiet.review_output(
        "s1", "High-Yield Savings has an annual percentage yield (APY) of 4.10%."
    )
    assert verdict.text == (
        "High-Yield Savings has an annual percentage yield (APY) of 4.10%. The APY is variable "
        "and may change after the account is opened. A minimum balance of $100.00 is required "
        "to earn the stated APY. Fees could reduce earnings on the account."
    )
    assert _actions(verdict) == {"reg_dd.apy_disclosures": "append_disclosure"}


def test_first_reply_gets_the_ai_disclosure_even_when_blocked(quiet: Guardrails) -> None:
    ctx = OutputContext(first_reply=True)
    verdict = quiet.review_output("s1", "Guaranteed approval for everyone!", ctx)
    assert verdict.blocked
    assert verdict.text == "Hi, I'm the bank's AI assistant (not a person). " + SAFE
    assert _actions(verdict) == {"udaap.claims": "block", "ai.disclosure": "append_disclosure"}


def test_a_dispute_without_a_handoff_escalates_with_a_timestamp(quiet: Guardrails) -> None:
    ctx = OutputContext(rights_invoked=("dispute",))
    verdict = quiet.review_output("s1", "I can show you your recent transactions.", ctx)
    assert not verdict.blocked
    assert verdict.escalate == "the customer invoked dispute and no person was brought in"
    assert verdict.escalated_at == NOW
    assert verdict.text.endswith(
        "I've passed this to a member of our team, who will follow up with you. You can also "
        "ask to talk to a person at any time."
    )


def test_a_rule_that_raises_blocks_and_says_why(
    quiet: Guardrails, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> Finding | None:
        raise RuntimeError("detector bug")

    monkeypatch.setitem(OUTPUT_CHECKS, "udaap.claims", broken)
    verdict = quiet.review_output("s1", "Hello.")
    assert verdict.blocked
    assert verdict.text == SAFE
    failed = next(d for d in verdict.decisions if d.rule_id == "udaap.claims")
    assert (failed.action, failed.error) == ("block", True)
    assert "detector bug" in failed.reason


def test_a_rule_without_a_detector_blocks(
    quiet: Guardrails, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(OUTPUT_CHECKS, "finra.returns")
    verdict = quiet.review_output("s1", "Hello.")
    assert verdict.blocked
    assert "no detector registered" in next(
        d.reason for d in verdict.decisions if d.rule_id == "finra.returns"
    )


def test_decisions_other_than_pass_are_audited_redacted(
    sqlite_engine: Engine, policy: Policy, catalog: Catalog
) -> None:
    clock = FixedClock(NOW)
    audit = AuditLog(sqlite_engine, clock)
    rails = Guardrails(policy, catalog, clock, audit, use_presidio=False)
    rails.review_output("sess-1", "Your balance is $5.00.", OutputContext(amounts=(Decimal(5),)))
    assert audit.count() == 0
    rails.review_output("sess-1", "Card 5555 5555 5555 4444 costs $99.00 a year.")
    rows = audit.entries()
    # The masked card is not one of this customer's (no identifiers given): blocked too.
    assert [(r["rule_id"], r["decision"]) for r in rows] == [
        ("pci.card_data", "rewrite"),
        ("privacy.other_customer", "block"),
        ("grounding.numbers", "block"),
    ]
    assert {r["excerpt"] for r in rows} == {"Card 555555******4444 costs $99.00 a year."}
    assert rows[0]["session_id"] == "sess-1"
    assert rows[1]["details"]["stage"] == "output"
    assert audit.verify().ok


def test_tool_results_are_collected_for_grounding() -> None:
    from dataclasses import dataclass
    from datetime import date

    @dataclass
    class Balance:
        ledger: Decimal
        as_of: date
        items: int
        label: str

    amounts, dates, counts, strings = collect_facts(
        [Balance(Decimal("10.50"), date(2026, 11, 14), 3, "****6239"), {"x": [True, 2.5]}]
    )
    assert (amounts, dates, counts, strings) == (
        [Decimal("10.50"), Decimal("2.5")],
        [date(2026, 11, 14)],
        [3],
        ["****6239"],
    )
