"""`POST /v1/chat` and `GET /v1/chat/{session_id}`: the assistant over HTTP.

The assistant acts only for the signed-in customer (its core is scoped to them), so
nothing typed in the chat can read or move another customer's data. Sessions live in the
database: any worker can answer any turn.
"""

from __future__ import annotations

from threading import Lock
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from openteller.analytics import DatabaseEventSink
from openteller.api.deps import ClockDep, CurrentCustomer, EngineDep, SettingsDep
from openteller.api.schemas import NO_NUL, Out, errors
from openteller.assistant import Assistant, answerer_from_settings, default_parser
from openteller.credit import CreditService
from openteller.guardrails import Guardrails
from openteller.insights.service import InsightsService

router = APIRouter(prefix="/v1/chat", tags=["chat"])
_build_lock = Lock()

SESSION_PATTERN = r"^[0-9a-f]{32}$"


def _assistant(
    request: Request, engine: EngineDep, clock: ClockDep, settings: SettingsDep
) -> Assistant:
    """One assistant per app, built on first use (loading the NLU model takes seconds):
    the NLU, the knowledge base with the configured language model, and the guardrails
    (every reply passes through them)."""
    state = request.app.state
    if getattr(state, "assistant", None) is None:
        with _build_lock:
            if getattr(state, "assistant", None) is None:
                parser = getattr(state, "intent_parser", None) or default_parser()
                answerer = getattr(state, "answerer", None) or answerer_from_settings(
                    settings, engine, clock
                )
                guard = getattr(state, "guardrails", None) or Guardrails.from_settings(
                    settings, engine, clock
                )
                state.assistant = Assistant(
                    engine,
                    clock,
                    settings,
                    parser,
                    DatabaseEventSink(engine),
                    answerer=answerer,
                    guard=guard,
                    credit=CreditService(engine, clock, settings),
                    insights=InsightsService(
                        engine,
                        clock,
                        settings,
                        provider=getattr(answerer, "provider", None),
                        guard=guard,
                    ),
                )
    assistant: Assistant = state.assistant
    return assistant


AssistantDep = Annotated[Assistant, Depends(_assistant)]


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str | None = Field(
        default=None,
        pattern=SESSION_PATTERN,
        description="The session to continue; omit to start a new conversation.",
    )
    message: str = Field(
        max_length=10_000,
        pattern=NO_NUL,
        description="What the customer says. Over 2,000 characters gets a polite answer.",
        examples=["What's my checking balance?"],
    )


class Entity(Out):
    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["amount"])
    text: str | None = None


class ChatReply(Out):
    session_id: str = Field(pattern=SESSION_PATTERN)
    turn: int = Field(ge=1)
    reply: str
    intent: str | None = Field(description="What the assistant understood.")
    confidence: float = Field(ge=0, le=1)
    entities: list[Entity]
    citations: list[dict[str, Any]] = Field(description="Documents the answer relies on.")
    suggestions: list[str] = Field(description="Replies the channel may offer as buttons.")
    pending_confirmation: dict[str, Any] | None = Field(
        description="Set while the assistant waits for a yes before acting."
    )
    handoff: dict[str, Any] | None = Field(
        description="Set when a person takes over (ticket ids and reason)."
    )


class Message(Out):
    turn: int
    role: Literal["customer", "assistant"]
    text: str
    intent: str | None
    at: str = Field(json_schema_extra={"format": "date-time"})


class Transcript(Out):
    session_id: str
    messages: list[Message]


@router.post(
    "",
    summary="Talk to the assistant",
    response_model=ChatReply,
    responses=errors(
        400,
        401,
        403,
        404,
        409,
        413,
        422,
        429,
        503,
        notes={
            404: "The session is not one of yours.",
            409: "The session has ended or expired, or another message of it is being "
            "answered; start a new session or send again.",
        },
    ),
)
def chat(body: ChatBody, principal: CurrentCustomer, assistant: AssistantDep) -> dict[str, Any]:
    """Send one message (scope `chat`); the answer names the session to continue it.
    Money moves only after the customer confirms an order the assistant spelled out."""
    principal.require("chat")
    return assistant.reply(principal.id, body.message, body.session_id).to_dict()


@router.get(
    "/{session_id}",
    summary="A conversation's transcript",
    response_model=Transcript,
    responses=errors(401, 403, 404, 422, 429, notes={404: "The session is not one of yours."}),
)
def transcript(
    session_id: Annotated[str, Path(pattern=SESSION_PATTERN)],
    principal: CurrentCustomer,
    assistant: AssistantDep,
) -> dict[str, Any]:
    """The conversation so far (scope `chat`); another customer's session answers 404."""
    principal.require("chat")
    entries = assistant.sessions.transcript(principal.id, session_id)
    return {
        "session_id": session_id,
        "messages": [
            {
                "turn": e.turn,
                "role": e.role,
                "text": e.text,
                "intent": e.payload.get("intent"),
                "at": e.created_at.isoformat(),
            }
            for e in entries
        ],
    }
