"""`Guardrails`: the input screen and the output review every assistant turn goes through.

Both fail closed: a rule whose detector raises (or has no detector) blocks, and the
decision says why. Every decision that is not a plain pass is appended to the audit log
with a redacted excerpt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from openteller.core import Catalog, Clock, read_catalog
from openteller.guardrails._audit import AuditLog, AuditRecord
from openteller.guardrails._catalog import CatalogFacts
from openteller.guardrails._context import OutputContext
from openteller.guardrails._pii import redact_pii, scan_pii
from openteller.guardrails._policy import Policy, Rule, load_policy
from openteller.guardrails._rules import OUTPUT_CHECKS, Finding
from openteller.guardrails._screening import (
    ScreeningModel,
    rights_invoked,
    shared_model,
)
from openteller.settings import Settings

logger = logging.getLogger("openteller.guardrails")

PASS = "pass"
BLOCK = "block"
INPUT_RULES = ("input.pii", "input.injection", "input.scope", "rights.invocation")


@dataclass(frozen=True)
class Decision:
    """One rule's decision on one text."""

    rule_id: str
    version: str
    stage: str
    action: str  # pass | block | rewrite | append_disclosure | escalate
    reason: str = ""
    severity: str = ""
    citation: str = ""
    error: bool = False  # the detector raised: blocked, fail closed

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "version": self.version,
            "stage": self.stage,
            "action": self.action,
            "reason": self.reason,
            "severity": self.severity,
            "citation": self.citation,
            "error": self.error,
        }


@dataclass(frozen=True)
class InputVerdict:
    """The screen of a customer's message (and the recent turns before it)."""

    redacted_text: str  # the last message with PII redacted: what a model or log may see
    pii_kinds: list[str]
    injection_score: float
    injection: bool
    off_topic_score: float
    out_of_scope: bool
    rights: list[str]  # dispute, billing_error, fraud, complaint, human
    blocked: bool
    reply: str | None  # what to answer instead when blocked
    escalate: str | None  # why a person must be brought in, or None
    decisions: list[Decision] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "redacted_text": self.redacted_text,
            "pii_kinds": self.pii_kinds,
            "injection_score": self.injection_score,
            "injection": self.injection,
            "off_topic_score": self.off_topic_score,
            "out_of_scope": self.out_of_scope,
            "rights": self.rights,
            "blocked": self.blocked,
            "reply": self.reply,
            "escalate": self.escalate,
            "decisions": [d.to_dict() for d in self.decisions],
        }


@dataclass(frozen=True)
class OutputVerdict:
    """The review of an answer: the text the customer may see and why."""

    text: str
    blocked: bool
    decisions: list[Decision]
    escalate: str | None
    escalated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "blocked": self.blocked,
            "escalate": self.escalate,
            "escalated_at": None if self.escalated_at is None else self.escalated_at.isoformat(),
            "decisions": [d.to_dict() for d in self.decisions],
        }


def _decision(rule: Rule, action: str, reason: str = "", error: bool = False) -> Decision:
    return Decision(
        rule.id, rule.version, rule.stage, action, reason, rule.severity, rule.citation, error
    )


class Guardrails:
    """The rails of one deployment: a policy, the catalog's figures, a clock, an audit log."""

    def __init__(
        self,
        policy: Policy,
        catalog: Catalog,
        clock: Clock,
        audit: AuditLog | None = None,
        screening: ScreeningModel | None = None,
        *,
        use_presidio: bool = True,
    ) -> None:
        self.policy = policy
        self.facts = CatalogFacts.build(catalog)
        self.clock = clock
        self.audit = audit
        self.screening = screening or shared_model()
        self.use_presidio = use_presidio
        missing = [r.id for r in policy.stage("output") if r.id not in OUTPUT_CHECKS]
        if missing:
            # Not fatal here: each such rule blocks every answer (fail closed) and says why.
            logger.error("output rules without a detector: %s", ", ".join(missing))

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        engine: Engine,
        clock: Clock,
        *,
        policy_path: Path | None = None,
        audit: bool = True,
    ) -> Guardrails:
        """Policy from the packaged policy.yaml (or `policy_path`), the catalog from the
        database, the audit log in the same database."""
        del settings  # nothing configurable yet; kept so callers pass what they have
        return cls(
            load_policy(policy_path),
            read_catalog(engine),
            clock,
            AuditLog(engine, clock) if audit else None,
        )

    # ------------------------------------------------------------------ input

    def screen_input(self, session_id: str | None, recent_user_messages: list[str]) -> InputVerdict:
        """Screen the customer's last message (PII, rights, scope) and the recent turns
        together (injection). `recent_user_messages` ends with the current message."""
        if not recent_user_messages:
            raise ValueError("screen_input needs at least the current message")
        last = recent_user_messages[-1]
        decisions: list[Decision] = []
        rules = {r.id: r for r in self.policy.stage("input")}

        redacted, kinds = self._redact(last, rules, decisions)
        recent = [redact_pii(m) for m in recent_user_messages[:-1]] + [redacted]
        screening = None
        try:
            screening = self.screening.screen(recent)
        except Exception as exc:
            logger.exception("injection screening failed")
            for rule_id in ("input.injection", "input.scope"):
                if rule_id in rules:
                    decisions.append(
                        _decision(rules[rule_id], BLOCK, f"screening failed: {exc!r}", True)
                    )
        if screening is not None:
            if "input.injection" in rules:
                r = rules["input.injection"]
                decisions.append(
                    _decision(
                        r,
                        r.action if screening.injection else PASS,
                        f"injection score {screening.injection_score:.2f}"
                        + (f" (pattern {screening.heuristic!r})" if screening.heuristic else ""),
                    )
                )
            if "input.scope" in rules:
                r = rules["input.scope"]
                decisions.append(
                    _decision(
                        r,
                        r.action if screening.out_of_scope else PASS,
                        f"off-topic score {screening.off_topic_score:.2f}",
                    )
                )
        rights = rights_invoked(last)
        if "rights.invocation" in rules:
            r = rules["rights.invocation"]
            decisions.append(
                _decision(r, r.action if rights else PASS, ", ".join(rights) if rights else "none")
            )
        blocked = any(d.action == BLOCK for d in decisions)
        reply = None
        if blocked:
            first = next(d for d in decisions if d.action == BLOCK)
            reply = rules[first.rule_id].template or self.policy.safe_template
        verdict = InputVerdict(
            redacted_text=redacted,
            pii_kinds=kinds,
            injection_score=screening.injection_score if screening else 1.0,
            injection=screening.injection if screening else True,
            off_topic_score=screening.off_topic_score if screening else 0.0,
            out_of_scope=screening.out_of_scope if screening else False,
            rights=rights,
            blocked=blocked,
            reply=reply,
            escalate=f"customer invoked {', '.join(rights)}" if rights else None,
            decisions=decisions,
        )
        self._record(session_id, redacted, decisions)
        return verdict

    def _redact(
        self, text: str, rules: dict[str, Rule], decisions: list[Decision]
    ) -> tuple[str, list[str]]:
        rule = rules.get("input.pii")
        try:
            if self.use_presidio:
                from openteller.guardrails._presidio import presidio_redact

                redacted, kinds = presidio_redact(text)
            else:
                spans = scan_pii(text)
                redacted, kinds = redact_pii(text), sorted({s.kind for s in spans})
        except Exception as exc:
            logger.exception("PII redaction failed")
            # Never pass PII on: redact with our own recognizers, and block the turn.
            if rule is not None:
                decisions.append(_decision(rule, BLOCK, f"redaction failed: {exc!r}", True))
            spans = scan_pii(text)
            return redact_pii(text), sorted({s.kind for s in spans})
        if rule is not None:
            decisions.append(
                _decision(
                    rule,
                    rule.action if kinds else PASS,
                    ("redacted " + ", ".join(kinds)) if kinds else "no PII",
                )
            )
        return redacted, kinds

    # ------------------------------------------------------------------ output

    def review_output(
        self, session_id: str | None, text: str, context: OutputContext | None = None
    ) -> OutputVerdict:
        """Check an answer against every output rule; rewrite, add disclosures, or block."""
        ctx = context or OutputContext()
        current = text
        decisions: list[Decision] = []
        prefix: list[str] = []
        suffix: list[str] = []
        handoff: list[str] = []
        escalate: str | None = None
        block_rule: Rule | None = None
        for rule in self.policy.stage("output"):
            check = OUTPUT_CHECKS.get(rule.id)
            try:
                if check is None:
                    raise LookupError(f"no detector registered for rule {rule.id}")
                finding: Finding | None = check(current, ctx, self.facts)
            except Exception as exc:
                logger.exception("guardrail %s failed", rule.id)
                decisions.append(_decision(rule, BLOCK, f"rule failed: {exc!r}", True))
                block_rule = block_rule or rule
                continue
            if finding is None:
                decisions.append(_decision(rule, PASS))
                continue
            action = BLOCK if finding.block else rule.action
            decisions.append(_decision(rule, action, finding.reason))
            if action == BLOCK:
                block_rule = block_rule or rule
            elif action == "rewrite" and finding.rewrite is not None:
                current = finding.rewrite
            elif action == "append_disclosure":
                note = finding.disclosure or rule.disclosure or ""
                (prefix if rule.id == "ai.disclosure" else suffix).append(note)
            elif action == "escalate":
                escalate = escalate or finding.reason
                if not ctx.handoff_opened and rule.disclosure:
                    handoff.append(rule.disclosure)
        if block_rule is not None:
            body = block_rule.template or self.policy.safe_template
            final = " ".join([*prefix, body, *handoff])
        else:
            final = " ".join([*prefix, current.strip(), *suffix, *handoff])
        verdict = OutputVerdict(
            text=final.strip(),
            blocked=block_rule is not None,
            decisions=decisions,
            escalate=escalate,
            escalated_at=self.clock.now() if escalate else None,
        )
        self._record(session_id, redact_pii(text), decisions)
        return verdict

    # ------------------------------------------------------------------ audit

    def _record(self, session_id: str | None, excerpt: str, decisions: list[Decision]) -> None:
        if self.audit is None:
            return
        records = [
            AuditRecord(
                rule_id=d.rule_id,
                rule_version=d.version,
                decision=d.action if not d.error else "error",
                excerpt=excerpt,
                details={"reason": d.reason, "stage": d.stage, "severity": d.severity},
                session_id=session_id,
            )
            for d in decisions
            if d.action != PASS
        ]
        if records:
            self.audit.append(records)
