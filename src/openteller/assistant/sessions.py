"""Chat sessions in the database: any worker can serve any turn.

A session belongs to one customer. Its dialogue state is a JSON document saved with an
optimistic version check, so two turns of one session racing on two workers cannot both
win: the loser gets `Conflict` and nothing of its turn is kept. A session expires
`ttl` after its last turn; an expired or closed session is never resumed.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, insert, select, update

from openteller.assistant.handoff import handoff_summary
from openteller.core import (
    ChatMessage,
    ChatSession,
    ChatSessionStatus,
    Clock,
    Conflict,
    HandoffTicket,
    NotFound,
)

logger = logging.getLogger("openteller.assistant")

sessions_t = cast(Table, ChatSession.__table__)
messages_t = cast(Table, ChatMessage.__table__)
tickets_t = cast(Table, HandoffTicket.__table__)

DEFAULT_TTL = timedelta(minutes=30)


@dataclass
class SessionRecord:
    id: str
    customer_id: int
    status: ChatSessionStatus
    state: dict[str, Any]
    turns: int
    version: int
    created_at: datetime
    expires_at: datetime
    new: bool = False  # created by this turn

    @property
    def active(self) -> bool:
        return self.status == ChatSessionStatus.ACTIVE


@dataclass(frozen=True)
class TranscriptEntry:
    turn: int
    role: str  # "customer" or "assistant"
    text: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Ticket:
    id: int
    customer_id: int
    session_id: str | None
    reason: str
    priority: str
    status: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


class SessionStore:
    def __init__(self, engine: Engine, clock: Clock, ttl: timedelta = DEFAULT_TTL) -> None:
        self.engine = engine
        self.clock = clock
        self.ttl = ttl

    def open(self, customer_id: int, session_id: str | None) -> SessionRecord:
        """The customer's live session `session_id`, or a new one when none is given.

        Another customer's id answers `NotFound` exactly like an unknown id; an expired or
        closed session is `Conflict` (the client starts a new one)."""
        now = self.clock.now()
        if session_id is None:
            return self._create(customer_id, now)
        if not (1 <= len(session_id) <= 32 and session_id.isalnum()):
            raise NotFound("chat session not found", session_id=session_id[:40])
        with self.engine.connect() as conn:
            row = conn.execute(
                select(sessions_t).where(
                    sessions_t.c.id == session_id, sessions_t.c.customer_id == customer_id
                )
            ).first()
        if row is None:
            raise NotFound("chat session not found", session_id=session_id)
        record = _record(row)
        if record.status != ChatSessionStatus.ACTIVE:
            raise Conflict("this chat session has ended; start a new one", session_id=session_id)
        if record.expires_at <= now:
            raise Conflict("this chat session has expired; start a new one", session_id=session_id)
        return record

    def _create(self, customer_id: int, now: datetime) -> SessionRecord:
        record = SessionRecord(
            id=secrets.token_hex(16),
            customer_id=customer_id,
            status=ChatSessionStatus.ACTIVE,
            state={},
            turns=0,
            version=0,
            created_at=now,
            expires_at=now + self.ttl,
            new=True,
        )
        with self.engine.begin() as conn:
            conn.execute(
                insert(sessions_t).values(
                    id=record.id,
                    customer_id=customer_id,
                    status=record.status,
                    state={},
                    turns=0,
                    version=0,
                    created_at=now,
                    updated_at=now,
                    expires_at=record.expires_at,
                )
            )
        return record

    def save_turn(
        self,
        record: SessionRecord,
        messages: list[tuple[str, str, dict[str, Any]]],
        tickets: list[dict[str, Any]] | None = None,
    ) -> list[int]:
        """Write the turn in one transaction: the new state (if nobody else wrote first),
        the transcript lines and any handoff tickets; returns the ticket ids."""
        now = self.clock.now()
        turn = record.turns + 1
        with self.engine.begin() as conn:
            done = conn.execute(
                update(sessions_t)
                .where(sessions_t.c.id == record.id, sessions_t.c.version == record.version)
                .values(
                    state=record.state,
                    status=record.status,
                    turns=turn,
                    version=record.version + 1,
                    updated_at=now,
                    expires_at=now + self.ttl,
                )
            )
            if done.rowcount != 1:
                raise Conflict(
                    "another message of this chat is being answered; send yours again",
                    session_id=record.id,
                )
            if messages:
                conn.execute(
                    insert(messages_t),
                    [
                        {
                            "session_id": record.id,
                            "turn": turn,
                            "role": role,
                            "text": text,
                            "payload": payload,
                            "created_at": now,
                        }
                        for role, text, payload in messages
                    ],
                )
            ids = [self._ticket(conn, record, t, now) for t in tickets or []]
        record.turns, record.version, record.expires_at = turn, record.version + 1, now + self.ttl
        return ids

    def _ticket(
        self, conn: Connection, record: SessionRecord, ticket: dict[str, Any], now: datetime
    ) -> int:
        """Insert one ticket with the transcript so far and, in `details["handoff"]`, the
        note for the person who takes over (`handoff_summary`)."""
        lines = _transcript(conn, record.id)
        transcript = [{"turn": e.turn, "role": e.role, "text": e.text} for e in lines]
        details = dict(ticket.get("details", {}))
        details["handoff"] = _handoff(record, ticket, lines)
        return int(
            conn.execute(
                insert(tickets_t)
                .values(
                    customer_id=record.customer_id,
                    session_id=record.id,
                    reason=ticket["reason"],
                    priority=ticket.get("priority", "normal"),
                    status="open",
                    summary=ticket["summary"],
                    details=details,
                    transcript=transcript,
                    created_at=now,
                )
                .returning(tickets_t.c.id)
            ).scalar_one()
        )

    def transcript(self, customer_id: int, session_id: str) -> list[TranscriptEntry]:
        """The session's messages in order; another customer's session is `NotFound`."""
        with self.engine.connect() as conn:
            owner = conn.execute(
                select(sessions_t.c.customer_id).where(sessions_t.c.id == session_id)
            ).scalar_one_or_none()
            if owner is None or owner != customer_id:
                raise NotFound("chat session not found", session_id=session_id[:40])
            return _transcript(conn, session_id)

    def tickets(self, customer_id: int) -> list[Ticket]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tickets_t)
                .where(tickets_t.c.customer_id == customer_id)
                .order_by(tickets_t.c.id)
            ).all()
        return [
            Ticket(
                id=r.id,
                customer_id=r.customer_id,
                session_id=r.session_id,
                reason=r.reason,
                priority=r.priority,
                status=r.status,
                summary=r.summary,
                details=dict(r.details),
                created_at=r.created_at,
            )
            for r in rows
        ]

    def expire(self) -> int:
        """Close every session past its expiry; returns how many."""
        now = self.clock.now()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(sessions_t)
                .where(
                    sessions_t.c.status == ChatSessionStatus.ACTIVE,
                    sessions_t.c.expires_at <= now,
                )
                .values(status=ChatSessionStatus.CLOSED, updated_at=now)
            )
        return int(done.rowcount)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(sessions_t)).scalar_one())


def _record(row: Any) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        customer_id=row.customer_id,
        status=ChatSessionStatus(row.status),
        state=dict(row.state),
        turns=row.turns,
        version=row.version,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


def _handoff(
    record: SessionRecord, ticket: dict[str, Any], lines: list[TranscriptEntry]
) -> dict[str, Any]:
    """The hand-off note of a ticket. A ticket is never lost to a fault of its note: that
    is logged and the note says it is missing."""
    try:
        return handoff_summary(
            record.state,
            [{"role": e.role, "text": e.text, "payload": e.payload} for e in lines],
            str(ticket["reason"]),
            ticket.get("details", {}),
            flow=ticket.get("flow"),
        ).to_dict()
    except Exception:
        logger.exception("hand-off note failed (session %s)", record.id)
        return {"error": "the hand-off note could not be made; read the transcript"}


def _transcript(conn: Connection, session_id: str) -> list[TranscriptEntry]:
    rows = conn.execute(
        select(messages_t).where(messages_t.c.session_id == session_id).order_by(messages_t.c.id)
    )
    return [TranscriptEntry(r.turn, r.role, r.text, dict(r.payload), r.created_at) for r in rows]
