"""The signed-in customer's cards: list, block, unblock, replace. Numbers are masked."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict

from openteller.api.deps import CurrentCustomer
from openteller.api.routes import CustomerCore
from openteller.core import CardInfo, CardReason

router = APIRouter(prefix="/v1/cards", tags=["cards"])


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: CardReason


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


@router.get("")
def list_cards(principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    principal.require("accounts:read")
    return {"cards": [_card(c) for c in core.list_cards()]}


@router.post("/{card_id}/block")
def block(
    card_id: int,
    body: Annotated[ReasonBody, Body()],
    principal: CurrentCustomer,
    core: CustomerCore,
) -> dict[str, Any]:
    """Block a card at once (idempotent). Lost, stolen or fraud blocks are final."""
    principal.require("cards:write")
    return _card(core.block_card(card_id, body.reason))


@router.post("/{card_id}/unblock")
def unblock(card_id: int, principal: CurrentCustomer, core: CustomerCore) -> dict[str, Any]:
    principal.require("cards:write")
    return _card(core.unblock_card(card_id))


@router.post("/{card_id}/replace")
def replace(
    card_id: int,
    body: Annotated[ReasonBody, Body()],
    principal: CurrentCustomer,
    core: CustomerCore,
) -> dict[str, Any]:
    """Retire the card and issue a new number on the same account (mailed, never shown)."""
    principal.require("cards:write")
    return _card(core.replace_card(card_id, body.reason))
