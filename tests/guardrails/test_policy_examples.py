"""Every rule's positive examples fire it and its negative examples do not."""

from __future__ import annotations

import pytest

from openteller.guardrails import Example, Guardrails, OutputContext, Policy, Rule, load_policy

ISSUE_RULES = {
    "reg_z.apr": "1026.24",
    "reg_dd.apy_term": "1030.8(b)",
    "reg_dd.apy_disclosures": "1030.8(c)",
    "reg_dd.free": "1030.8(a)(2)",
    "udaap.claims": "5531",
    "finra.returns": "2210(d)(1)",
    "pci.card_data": "3.4.1",
    "grounding.numbers": "5531",
    "rights.escalation": "1005.11",
    "ai.disclosure": "Art. 50",
    "privacy.identifiers": "Gramm-Leach-Bliley",
    "privacy.other_customer": "6802",
}


def _cases() -> list[object]:
    cases: list[object] = []
    for rule in load_policy().rules:
        for kind in ("positive", "negative"):
            for i, example in enumerate(getattr(rule.examples, kind)):
                cases.append(pytest.param(rule, kind, example, id=f"{rule.id}-{kind}-{i}"))
    return cases


def test_the_policy_has_the_rules_of_the_issue_with_citations(policy: Policy) -> None:
    rules = {r.id: r for r in policy.rules}
    for rule_id, cited in ISSUE_RULES.items():
        assert cited in rules[rule_id].citation, rule_id
    assert {r.action for r in policy.rules} == {
        "block",
        "rewrite",
        "append_disclosure",
        "escalate",
    }
    assert len(policy.stage("output")) >= 10


@pytest.mark.parametrize(("rule", "kind", "example"), _cases())
def test_rule_example(rails: Guardrails, rule: Rule, kind: str, example: Example) -> None:
    if rule.stage == "output":
        assert example.text is not None
        verdict = rails.review_output(None, example.text, OutputContext.from_dict(example.context))
        decisions = verdict.decisions
    else:
        decisions = rails.screen_input(None, example.messages()).decisions
    decision = next(d for d in decisions if d.rule_id == rule.id)
    assert not decision.error
    if kind == "positive":
        assert decision.action == rule.action or decision.action == "block", decision
        assert decision.reason
    else:
        assert decision.action == "pass", decision
