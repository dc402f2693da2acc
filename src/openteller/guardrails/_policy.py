"""The policy file: rules as data (id, citation, severity, action, version, examples)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from openteller.core import ValidationFailed

Action = Literal["block", "rewrite", "append_disclosure", "escalate"]
Stage = Literal["input", "output"]
Severity = Literal["low", "medium", "high", "critical"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Example(_Spec):
    """A text (or, for input rules, the recent user turns) and the turn's context."""

    text: str | None = None
    turns: list[str] | None = None
    context: dict[str, Any] = {}

    @model_validator(mode="after")
    def _one_text(self) -> Example:
        if (self.text is None) == (self.turns is None):
            raise ValueError("an example has exactly one of text or turns")
        return self

    def messages(self) -> list[str]:
        return list(self.turns) if self.turns is not None else [str(self.text)]


class Examples(_Spec):
    positive: list[Example] = Field(min_length=1)
    negative: list[Example] = Field(min_length=1)


class Rule(_Spec):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
    stage: Stage
    title: str
    citation: str = Field(min_length=3)
    severity: Severity
    action: Action
    version: str = Field(pattern=r"^[0-9][0-9A-Za-z.\-]{0,31}$")
    disclosure: str | None = None
    template: str | None = None
    examples: Examples

    @model_validator(mode="after")
    def _disclosure_needed(self) -> Rule:
        if self.action == "append_disclosure" and not self.disclosure:
            raise ValueError(f"rule {self.id}: append_disclosure needs a disclosure text")
        return self


class Policy(_Spec):
    version: str
    safe_template: str
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Policy:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate rule ids: {', '.join(dupes)}")
        return self

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def stage(self, stage: Stage) -> list[Rule]:
        return [r for r in self.rules if r.stage == stage]


def default_policy_path() -> Path:
    return Path(str(resources.files("openteller.guardrails") / "policy.yaml"))


def load_policy(path: Path | None = None) -> Policy:
    """Read and validate a policy file; `ValidationFailed` lists every problem."""
    source = path or default_policy_path()
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"cannot read policy {source}: {exc}") from exc
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ValidationFailed(
            f"invalid policy {source}: " + "; ".join(problems[:5]), problems=problems
        ) from exc
