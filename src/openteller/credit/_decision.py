"""The credit decision: score, probability of default, cut-offs, tier and principal reasons.

Cut-offs are probabilities of default (the scorecard converts them to points), so a
retrained scorecard keeps the bank's risk appetite. Reasons follow the Reg B
commentary's method (Official Interpretation of 1002.9(b)(2), comment 5): for each
characteristic, the points the applicant lost against the best attribute (bin) of that
characteristic; the characteristics that lost the most are the principal reasons, at
most four. Protected attributes are never characteristics, so they can never be reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from openteller.credit._scorecard import Scorecard

Outcome = Literal["approve", "refer", "decline"]
MAX_REASONS = 4
AFFORDABILITY_STATEMENT = "Income insufficient for amount of credit requested"


@dataclass(frozen=True)
class DecisionPolicy:
    """The bank's risk appetite. Probabilities are the scorecard's probability of "bad".

    approve at or below `approve_max_pd`, refer to a person up to `refer_max_pd`, decline
    above; an approval is priced at the first tier whose ceiling it is under; any offer
    whose payment is above `max_payment_to_income` of the stated monthly income is
    declined whatever the score (an affordability rule, stated as its own reason).
    """

    approve_max_pd: float = 0.22
    refer_max_pd: float = 0.40
    tiers: tuple[tuple[str, float], ...] = (("A", 0.08), ("B", 0.13), ("C", 0.18), ("D", 0.22))
    max_payment_to_income: Decimal = Decimal("0.40")

    def __post_init__(self) -> None:
        if not 0 < self.approve_max_pd <= self.refer_max_pd < 1:
            raise ValueError("need 0 < approve_max_pd <= refer_max_pd < 1")
        ceilings = [pd for _, pd in self.tiers]
        if ceilings != sorted(ceilings) or ceilings[-1] < self.approve_max_pd:
            raise ValueError("tier ceilings must rise and the last must cover approve_max_pd")

    def to_dict(self) -> dict[str, Any]:
        return {
            "approve_max_pd": self.approve_max_pd,
            "refer_max_pd": self.refer_max_pd,
            "tiers": [list(t) for t in self.tiers],
            "max_payment_to_income": str(self.max_payment_to_income),
        }


@dataclass(frozen=True)
class Reason:
    """One principal reason: the characteristic, its statement and the points it cost."""

    code: str  # the characteristic's name, or "affordability"
    statement: str
    points_lost: int
    factor: str  # the characteristic's label (the key factor)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "statement": self.statement,
            "points_lost": self.points_lost,
            "factor": self.factor,
        }


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    score: int
    probability_of_default: float
    tier: str | None
    reasons: tuple[Reason, ...]  # the principal reasons (stated on a decline)
    key_factors: tuple[Reason, ...]  # what lowered the score most, whatever the outcome
    points: Mapping[str, int] = field(default_factory=dict)


def ranked_shortfalls(card: Scorecard, values: Mapping[str, Any]) -> list[Reason]:
    """Every characteristic that cost points, most points lost first (ties: card order).

    Characteristics sharing a statement count once, at their largest loss.
    """
    losses: list[tuple[int, int, Reason]] = []
    for order, c in enumerate(card.characteristics):
        lost = c.best_points - c.points(values.get(c.name))
        if lost > 0:
            value = values.get(c.name)
            losses.append((-lost, order, Reason(c.name, c.statement(value), lost, c.label)))
    seen: set[str] = set()
    ranked: list[Reason] = []
    for _, _, reason in sorted(losses, key=lambda t: (t[0], t[1])):
        if reason.statement not in seen:
            seen.add(reason.statement)
            ranked.append(reason)
    return ranked


def decide(
    card: Scorecard,
    values: Mapping[str, Any],
    policy: DecisionPolicy,
    payment_to_income: Decimal | None = None,
) -> Decision:
    """Score one applicant and apply the policy."""
    points = card.points(values)
    score = sum(points.values())
    pd = card.probability_of_default(score)
    shortfalls = ranked_shortfalls(card, values)
    key_factors = tuple(shortfalls[:MAX_REASONS])
    if pd <= policy.approve_max_pd:
        outcome: Outcome = "approve"
    elif pd <= policy.refer_max_pd:
        outcome = "refer"
    else:
        outcome = "decline"
    reasons = key_factors
    if (
        outcome != "decline"
        and payment_to_income is not None
        and payment_to_income > policy.max_payment_to_income
    ):
        outcome = "decline"
        affordability = Reason("affordability", AFFORDABILITY_STATEMENT, 0, "Payment and income")
        reasons = (affordability, *shortfalls[: MAX_REASONS - 1])
    tier = None
    if outcome == "approve":
        tier = next(name for name, ceiling in policy.tiers if pd <= ceiling)
    return Decision(outcome, score, pd, tier, reasons, key_factors, points)
