"""The signed-in customer's cards: list, block, unblock, replace. Numbers are masked."""

from __future__ import annotations

import random
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict

from openteller.api.deps import ClockDep, CurrentCustomer, EngineDep, SettingsDep
from openteller.core import (
    CardView,
    block_card,
    customer_card,
    customer_cards,
    replace_card,
    unblock_card,
)

router = APIRouter(prefix="/v1/cards", tags=["cards"])
Reason = Literal["lost", "stolen", "fraud_suspected", "customer_request", "damaged"]


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


def _card(card: CardView) -> dict[str, Any]:
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
def list_cards(principal: CurrentCustomer, engine: EngineDep) -> dict[str, Any]:
    principal.require("accounts:read")
    with engine.connect() as conn:
        return {"cards": [_card(c) for c in customer_cards(conn, principal.id)]}


@router.post("/{card_id}/block")
def block(
    card_id: int,
    body: Annotated[ReasonBody, Body()],
    principal: CurrentCustomer,
    engine: EngineDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """Block a card at once (idempotent). Lost, stolen or fraud blocks are final."""
    principal.require("cards:write")
    with engine.begin() as conn:
        customer_card(conn, principal.id, card_id)
        return _card(block_card(conn, card_id, body.reason, clock.now()))


@router.post("/{card_id}/unblock")
def unblock(
    card_id: int, principal: CurrentCustomer, engine: EngineDep, clock: ClockDep
) -> dict[str, Any]:
    principal.require("cards:write")
    with engine.begin() as conn:
        customer_card(conn, principal.id, card_id)
        return _card(unblock_card(conn, card_id, clock.now()))


@router.post("/{card_id}/replace")
def replace(
    card_id: int,
    body: Annotated[ReasonBody, Body()],
    principal: CurrentCustomer,
    engine: EngineDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Retire the card and issue a new number on the same account (mailed, never shown)."""
    principal.require("cards:write")
    with engine.begin() as conn:
        customer_card(conn, principal.id, card_id)
        issued = replace_card(
            conn,
            card_id,
            body.reason,
            now=clock.now(),
            rng=random.SystemRandom(),
            secret=settings.secret_key.get_secret_value(),
        )
    return _card(issued.card)
