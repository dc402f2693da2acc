"""A model's text, used only once the output rails passed it.

`checked_completion` renders a registry prompt, calls the provider and reviews the answer
with the guardrails against the figures it may state; any failure gives no text and the
reason, so the caller falls back to its template. Used by the period summary and the
handoff summary.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openteller.guardrails._engine import Guardrails
    from openteller.llm import LLMProvider, Message, PromptRef

logger = logging.getLogger("openteller.guardrails")


@dataclass(frozen=True)
class CheckedText:
    """A model's answer that passed the output review (`text`), or why there is none."""

    text: str | None
    prompt: PromptRef | None
    reason: str | None


def checked_completion(
    provider: LLMProvider,
    guard: Guardrails | None,
    prompt_id: str,
    version: str,
    values: Mapping[str, Any],
    *,
    facts: Sequence[str],
    grounds: Sequence[Any] = (),
    quotes: Sequence[str] = (),
    session_id: str | None = None,
) -> CheckedText:
    """Render the prompt, call the provider, and review the answer against `facts`
    (displayed figures), `grounds` (values walked for figures) and `quotes` (texts the
    answer may quote, their dates included, like cited passages). Fails closed: no
    guardrails, a provider error, an empty answer, any rule that does not pass, or an
    answer that repeats the prompt gives `text=None` and the reason."""
    from openteller.guardrails import OutputContext
    from openteller.llm import LLMError, default_registry

    rendered = default_registry().render(prompt_id, values, version)
    if guard is None:
        return CheckedText(None, rendered.ref, "no guardrails to check the model's answer")
    try:
        completion = provider.complete(
            rendered.messages, prompt=rendered.ref, session_id=session_id
        )
    except LLMError as exc:
        logger.warning("%s: the model failed (%s); template used", rendered.ref, exc.code)
        return CheckedText(None, rendered.ref, f"model error: {exc.code}")
    answer = completion.text.strip()
    if not answer:
        return CheckedText(None, rendered.ref, "the model gave an empty answer")
    try:
        context = OutputContext(strings=tuple(facts), passages=tuple(quotes)).with_facts(*grounds)
        verdict = guard.review_output(session_id, answer, context)
    except Exception as exc:  # fail closed: an unchecked answer is never used
        logger.exception("%s: output review failed; template used", rendered.ref)
        return CheckedText(None, rendered.ref, f"output review failed: {exc!r}")
    fired = [d for d in verdict.decisions if d.action != "pass"]
    if fired:
        first = fired[0]
        reason = f"{first.rule_id}: {first.action}" + (f" ({first.reason})" if first.reason else "")
        return CheckedText(None, rendered.ref, reason)
    echo = _echoed(verdict.text, rendered.messages)
    if echo is not None:
        return CheckedText(None, rendered.ref, echo)
    return CheckedText(verdict.text, rendered.ref, None)


def _echoed(text: str, messages: Sequence[Message]) -> str | None:
    """A small model sometimes hands its input back: that is data, not an answer. The
    answer is an echo when most of its lines are lines of the prompt."""
    prompt_lines = {line.strip() for m in messages for line in m.content.splitlines()}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    repeated = sum(1 for line in lines if line in prompt_lines)
    if lines and repeated * 2 > len(lines):
        return f"the model repeated its input ({repeated} of {len(lines)} lines)"
    return None
