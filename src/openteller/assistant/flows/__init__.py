"""The assistant's flows. Importing this package registers every flow in `REGISTRY`."""

from openteller.assistant.flows import accounts, cards, insights, money, service
from openteller.assistant.flows.base import CONFIRM, REGISTRY, Flow, FlowState, Problem, SlotError

__all__ = [
    "CONFIRM",
    "REGISTRY",
    "Flow",
    "FlowState",
    "Problem",
    "SlotError",
    "accounts",
    "cards",
    "insights",
    "money",
    "service",
]
