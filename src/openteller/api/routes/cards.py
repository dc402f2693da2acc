"""The signed-in customer's cards: list, block, unblock, replace. Numbers are masked."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from openteller.api.deps import CurrentCustomer
from openteller.api.routes import CustomerCore
from openteller.api.schemas import Id, IdPath, Out, errors
from openteller.core import CardInfo, CardReason

router = APIRouter(prefix="/v1/cards", tags=["cards"])


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: CardReason = Field(
        description="lost, stolen and fraud_suspected are final: such a card can only be replaced."
    )


class Card(Out):
    id: Id
    account_id: Id
    masked_number: str = Field(
        pattern=r"^[0-9]{6}\*+[0-9]{4}$",
        description="First 6 and last 4 digits; the full number is never shown.",
        examples=["453199******9220"],
    )
    last4: str = Field(pattern=r"^[0-9]{4}$", examples=["9220"])
    network: Literal["visa", "mastercard"]
    type: Literal["debit", "credit"]
    expiry: str = Field(pattern=r"^(0[1-9]|1[0-2])/[0-9]{4}$", examples=["10/2030"])
    status: Literal["active", "blocked", "replaced"]
    status_reason: str | None = Field(
        description="Why the card is blocked or was replaced.", examples=["lost"]
    )
    replaced_by_id: Id | None = Field(description="The card that replaced this one.")


class CardList(Out):
    cards: list[Card]


_CARD_ERRORS = errors(
    400,
    401,
    403,
    404,
    409,
    413,
    422,
    429,
    503,
    notes={409: "The card was replaced, or blocked for good (lost, stolen, fraud)."},
)


def _card(card: CardInfo) -> dict[str, Any]:
    return {
        "id": str(card.id),
        "account_id": str(card.account_id),
        "masked_number": card.masked,
        "last4": card.last4,
        "network": card.network,
        "type": card.kind,
        "expiry": f"{card.expiry_month:02d}/{card.expiry_year}",
        "status": card.status.value,
        "status_reason": card.status_reason,
        "replaced_by_id": None if card.replaced_by_id is None else str(card.replaced_by_id),
    }


@router.get(
    "",
    summary="List cards",
    response_model=CardList,
    responses=errors(401, 403, 429),
)
def list_cards(principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    """The customer's cards, masked, replaced ones included. Scope `accounts:read`."""
    principal.require("accounts:read")
    return {"cards": [_card(c) for c in core.list_cards()]}


@router.post(
    "/{card_id}/block", summary="Block a card", response_model=Card, responses=_CARD_ERRORS
)
def block(
    card_id: IdPath,
    body: Annotated[ReasonBody, Body()],
    principal: CurrentCustomer,
    core: CustomerCore,
) -> dict[str, Any]:
    """Block a card at once (idempotent). Lost, stolen or fraud blocks are final. Scope
    `cards:write`."""
    principal.require("cards:write")
    return _card(core.block_card(card_id, body.reason))


@router.post(
    "/{card_id}/unblock",
    summary="Unblock a card",
    response_model=Card,
    responses=errors(
        401,
        403,
        404,
        409,
        422,
        429,
        503,
        notes={409: "The card was replaced, or blocked for good (lost, stolen, fraud)."},
    ),
)
def unblock(card_id: IdPath, principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    """Lift a temporary block (`customer_request`, `damaged`). Scope `cards:write`."""
    principal.require("cards:write")
    return _card(core.unblock_card(card_id))


@router.post(
    "/{card_id}/replace",
    summary="Replace a card",
    response_model=Card,
    responses=_CARD_ERRORS,
)
def replace(
    card_id: IdPath,
    body: Annotated[ReasonBody, Body()],
    principal: CurrentCustomer,
    core: CustomerCore,
) -> dict[str, Any]:
    """Retire the card and issue a new number on the same account (mailed, never shown);
    the answer is the new card. Scope `cards:write`."""
    principal.require("cards:write")
    return _card(core.replace_card(card_id, body.reason))
