"""Compliance guardrails: input screening, output review, policy rules, PII, audit log.

`Guardrails.from_settings(settings, engine, clock)` builds the rails of a deployment;
the assistant calls `screen_input` on each customer message and `review_output` on each
answer. Rules are data (`policy.yaml`); their detectors register by rule id
(`output_rule`). Heavy libraries (presidio, torch) load on first use.
"""

from openteller.guardrails._audit import GENESIS, AuditLog, AuditRecord, VerifyReport, entry_hash
from openteller.guardrails._cards import (
    card_brand,
    find_cards,
    is_card_number,
    mask_card,
    mask_cards,
)
from openteller.guardrails._context import OutputContext, collect_facts
from openteller.guardrails._engine import Decision, Guardrails, InputVerdict, OutputVerdict
from openteller.guardrails._pii import PiiSpan, redact_pii, scan_pii
from openteller.guardrails._policy import Example, Policy, Rule, default_policy_path, load_policy
from openteller.guardrails._rules import Finding, output_rule
from openteller.guardrails._screening import ScreeningModel, rights_invoked, shared_model

__all__ = [
    "GENESIS",
    "AuditLog",
    "AuditRecord",
    "Decision",
    "Example",
    "Finding",
    "Guardrails",
    "InputVerdict",
    "OutputContext",
    "OutputVerdict",
    "PiiSpan",
    "Policy",
    "Rule",
    "ScreeningModel",
    "VerifyReport",
    "card_brand",
    "collect_facts",
    "default_policy_path",
    "entry_hash",
    "find_cards",
    "is_card_number",
    "load_policy",
    "mask_card",
    "mask_cards",
    "output_rule",
    "redact_pii",
    "rights_invoked",
    "scan_pii",
    "shared_model",
]
