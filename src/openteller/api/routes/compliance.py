"""Compliance console: the guardrails' audit log.

| route                         | analyst | compliance | product |
|-------------------------------|---------|------------|---------|
| GET /v1/compliance/audit      |         | yes        |         |

Customers' tokens get 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from openteller.api.deps import ClockDep, EngineDep, StaffUser
from openteller.api.schemas import MAX_ID, NO_NUL, Out, Timestamp, errors
from openteller.core import StaffRole
from openteller.guardrails import AuditLog

router = APIRouter(prefix="/v1/compliance", tags=["compliance"])

_FORBIDDEN = {403: "A customer's token, or a staff role other than compliance."}


class AuditItem(Out):
    seq: int = Field(ge=1)
    occurred_at: Timestamp
    session_id: str | None
    rule_id: str = Field(examples=["grounding.numbers"])
    rule_version: str
    decision: str = Field(
        description="block, rewrite, append_disclosure, escalate, or error (a rule failed).",
        examples=["block"],
    )
    excerpt: str = Field(description="The text the rule looked at, PII redacted.")
    details: dict[str, Any]
    prev_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class AuditChain(Out):
    ok: bool = Field(description="True when the whole hash chain verifies.")
    entries: int = Field(ge=0)
    first_bad_seq: int | None = Field(description="The first entry that does not verify.")
    problem: str | None
    head_hash: str | None


class AuditPage(Out):
    entries: list[AuditItem]
    next_after: int | None = Field(
        description="Pass as `after` for the next page; null when this page is the last."
    )
    chain: AuditChain | None = Field(description="The chain's verification (`verify=true`).")


@router.get(
    "/audit",
    summary="Read the audit log",
    response_model=AuditPage,
    responses=errors(401, 403, 422, 429, notes=_FORBIDDEN),
)
def audit(
    staff: StaffUser,
    engine: EngineDep,
    clock: ClockDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="Last seq of the previous page.")] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    session_id: Annotated[str | None, Query(max_length=32, pattern=NO_NUL)] = None,
    rule_id: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    verify: Annotated[bool, Query(description="Also verify the whole hash chain.")] = False,
) -> dict[str, Any]:
    """The guardrails' decisions in order (compliance), optionally with the chain check."""
    staff.require_role(StaffRole.COMPLIANCE)
    log = AuditLog(engine, clock)
    rows = log.entries(after=after, limit=limit + 1, session_id=session_id, rule_id=rule_id)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "entries": [
            {
                **{k: v for k, v in r.items() if k != "occurred_at"},
                "occurred_at": r["occurred_at"].isoformat(),
            }
            for r in rows
        ],
        "next_after": rows[-1]["seq"] if more else None,
        "chain": log.verify().to_dict() if verify else None,
    }
