"""Decisions and principal reasons: the Reg B points-lost method, at most four reasons,
consistency (moving the first reason to its best bin raises the score), cut-offs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from openteller.credit import (
    CoreFacts,
    DecisionPolicy,
    Scorecard,
    characteristics,
    decide,
    ranked_shortfalls,
)
from tests.credit.conftest import strong, weak

GOOD_FACTS = CoreFacts(1, Decimal("2500"), 1, Decimal("6000"), 0)
NO_ACCOUNTS = CoreFacts(0, Decimal("0"), 0, Decimal("0"), 0)


def _best_value(card: Scorecard, name: str) -> Any:
    c = card.characteristic(name)
    best = c.best_bin()
    if c.kind == "categorical":
        return best.categories[0]
    return best.lower if best.lower is not None else (best.upper or 0) - 1


def test_weak_applicant_reasons_are_ranked_by_points_lost(scorecard: Scorecard) -> None:
    values = characteristics(weak(), CoreFacts(1, Decimal("-50"), 0, Decimal("0"), 0))
    decision = decide(scorecard, values, DecisionPolicy())
    assert (decision.outcome, decision.score) == ("decline", 416)
    assert [(r.code, r.points_lost) for r in decision.reasons] == [
        ("credit_amount", 49),
        ("duration_months", 45),
        ("checking_status", 43),
        ("credit_history", 35),
    ]
    assert [r.statement for r in decision.reasons] == [
        "Amount of credit requested",
        "Length of loan term requested",
        "Insufficient balance in checking account with us",
        "Limited credit experience",
    ]
    lost = [r.points_lost for r in ranked_shortfalls(scorecard, values)]
    assert lost == sorted(lost, reverse=True)
    # Points lost are measured against each characteristic's best bin.
    for r in decision.reasons:
        c = scorecard.characteristic(r.code)
        assert r.points_lost == c.best_points - c.points(values[r.code])


@pytest.mark.parametrize(
    ("application", "facts"),
    [
        (weak(), NO_ACCOUNTS),
        (weak(purpose="business", housing="own"), GOOD_FACTS),
        (strong(amount=Decimal("20000"), term_months=48), NO_ACCOUNTS),
        (strong(employment="unemployed", employment_years=0), GOOD_FACTS),
    ],
)
def test_moving_the_first_reason_to_its_best_bin_raises_the_score(
    scorecard: Scorecard, application: Any, facts: CoreFacts
) -> None:
    values = characteristics(application, facts)
    decision = decide(scorecard, values, DecisionPolicy())
    first = decision.reasons[0]
    improved = values | {first.code: _best_value(scorecard, first.code)}
    assert scorecard.score(improved) == decision.score + first.points_lost
    assert scorecard.score(improved) > decision.score


def test_outcomes_follow_the_cut_offs(scorecard: Scorecard) -> None:
    policy = DecisionPolicy()
    approve_at = scorecard.score_at(policy.approve_max_pd)
    refer_at = scorecard.score_at(policy.refer_max_pd)
    assert (round(approve_at, 2), round(refer_at, 2)) == (523.64, 498.82)
    values = characteristics(strong(), GOOD_FACTS)
    decision = decide(scorecard, values, policy)
    assert (decision.outcome, decision.score, decision.tier) == ("approve", 573, "A")
    assert decision.key_factors[0].code == "credit_amount"
    strict = DecisionPolicy(approve_max_pd=0.01, refer_max_pd=0.05, tiers=(("A", 0.01),))
    assert decide(scorecard, values, strict).outcome == "refer"
    stricter = DecisionPolicy(approve_max_pd=0.01, refer_max_pd=0.02, tiers=(("A", 0.01),))
    assert decide(scorecard, values, stricter).outcome == "decline"


def test_affordability_rule(scorecard: Scorecard) -> None:
    values = characteristics(strong(), GOOD_FACTS)
    ok = decide(scorecard, values, DecisionPolicy(), Decimal("0.40"))
    assert ok.outcome == "approve"
    too_much = decide(scorecard, values, DecisionPolicy(), Decimal("0.41"))
    assert too_much.outcome == "decline"
    assert too_much.tier is None
    assert [r.code for r in too_much.reasons] == [
        "affordability",
        "credit_amount",
        "duration_months",
        "checking_status",
    ]


def test_policy_refuses_inconsistent_cut_offs() -> None:
    with pytest.raises(ValueError, match="approve_max_pd"):
        DecisionPolicy(approve_max_pd=0.5, refer_max_pd=0.4)
    with pytest.raises(ValueError, match="tier ceilings"):
        DecisionPolicy(tiers=(("A", 0.1), ("B", 0.05)))
    with pytest.raises(ValueError, match="tier ceilings"):
        DecisionPolicy(tiers=(("A", 0.1),))
