"""Card flows: block, unblock, replace, and a lost or stolen report (block, replace, and a
fraud ticket when stolen). Every card change is confirmed first."""

from __future__ import annotations

import contextlib
import typing
from typing import Any

from openteller.assistant import understand as u
from openteller.assistant.context import Reply, TurnContext, card_label
from openteller.assistant.flows.base import YES_NO, Flow, FlowState, Problem, SlotError, register
from openteller.core import CardInfo, CardReason, CardStatus, OpenTellerError

FINAL = frozenset({"lost", "stolen", "fraud_suspected"})
REASONS = frozenset(typing.get_args(CardReason))


def _card(ctx: TurnContext, state: FlowState) -> CardInfo | None:
    card_id = state.slots.get("card")
    return next((c for c in ctx.cards if c.id == card_id), None)


class CardFlow(Flow):
    """Picks the card: the only eligible one, or the one named by its last 4 digits or
    its kind ("my debit card")."""

    eligible: tuple[CardStatus, ...] = (CardStatus.ACTIVE,)
    slots: typing.ClassVar[tuple[str, ...]] = ("card",)

    def candidates(self, ctx: TurnContext) -> list[CardInfo]:
        return [c for c in ctx.cards if c.status in self.eligible]

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        changed: list[str] = []
        options = self.candidates(ctx)
        match = u.find_card(text, options)
        if match.status == "one" and match.value is not None:
            state.slots["card"] = match.value.id
            changed.append("card")
        elif match.status == "none" and match.query:
            # Digits that name none of the eligible cards: never fall back to another card.
            named = u.find_card(text, ctx.cards)
            if named.status == "one" and named.value is not None:
                raise SlotError("card", self.not_eligible(named.value))
            raise SlotError("card", f"I can't find a card of yours ending in {match.query}.")
        elif match.status == "none" and state.slots.get("card") is None and len(options) == 1:
            state.slots["card"] = options[0].id
            changed.append("card")
        return changed

    def not_eligible(self, card: CardInfo) -> str:
        return f"Your {card_label(card)} is {card.status.value}."

    def ask(self, ctx: TurnContext, state: FlowState, slot: str) -> Reply:
        options = self.candidates(ctx)
        if not options:
            raise SlotError("card", self.none_eligible())
        labels = [card_label(c) for c in options]
        return Reply(
            f"Which card? ({', '.join(labels)})",
            "ask_card",
            suggestions=[f"The one ending {c.last4}" for c in options][:4],
        )

    def none_eligible(self) -> str:
        return "You have no card this applies to."


@register
class BlockCard(CardFlow):
    name = "block_card"
    title = "card block"
    confirm = True

    def none_eligible(self) -> str:
        return "You have no active card to block."

    def confirmation(self, ctx: TurnContext, state: FlowState) -> Reply:
        card = _card(ctx, state)
        assert card is not None
        return Reply(
            f"Please confirm: block your {card_label(card)} now? Payments with it will be "
            "declined until you unblock it.",
            "confirm_block",
            suggestions=YES_NO,
            pending_confirmation={"action": "block_card", "card": card.masked},
        )

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        card = ctx.call(
            "block_card", lambda: ctx.core.block_card(int(state.slots["card"]), "customer_request")
        )
        return Reply(
            f'Your {card_label(card)} is blocked. Say "unblock my card" when you want it back.',
            "card_blocked",
            suggestions=["Unblock my card"],
        )


@register
class UnblockCard(CardFlow):
    name = "unblock_card"
    title = "card unblock"
    confirm = True
    eligible = (CardStatus.BLOCKED,)

    def none_eligible(self) -> str:
        return "None of your cards is blocked."

    def check(self, ctx: TurnContext, state: FlowState) -> Problem | None:
        card = _card(ctx, state)
        if card is not None and card.status_reason in FINAL:
            return Problem(
                "card",
                f"Your {card_label(card)} was blocked as {card.status_reason.replace('_', ' ')}"
                " and can't be unblocked; I can order a replacement instead.",
                ("card",),
            )
        return None

    def confirmation(self, ctx: TurnContext, state: FlowState) -> Reply:
        card = _card(ctx, state)
        assert card is not None
        return Reply(
            f"Please confirm: unblock your {card_label(card)}?",
            "confirm_unblock",
            suggestions=YES_NO,
            pending_confirmation={"action": "unblock_card", "card": card.masked},
        )

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        card = ctx.call("unblock_card", lambda: ctx.core.unblock_card(int(state.slots["card"])))
        return Reply(f"Your {card_label(card)} works again.", "card_unblocked")


class ReplaceLike(CardFlow):
    eligible = (CardStatus.ACTIVE, CardStatus.BLOCKED)

    def reason(self, state: FlowState) -> CardReason:
        value = state.slots.get("reason")
        return typing.cast(CardReason, value) if value in REASONS else "damaged"

    def _replace(self, ctx: TurnContext, card_id: int, reason: CardReason) -> CardInfo:
        return ctx.call("replace_card", lambda: ctx.core.replace_card(card_id, reason))


@register
class ReplaceCard(ReplaceLike):
    name = "replace_card"
    title = "card replacement"
    confirm = True

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        changed = super().fill(ctx, state, text, awaiting)
        reason = u.find_card_reason(text)
        if reason is not None:
            state.slots["reason"] = reason
            changed.append("reason")
        return changed

    def confirmation(self, ctx: TurnContext, state: FlowState) -> Reply:
        card = _card(ctx, state)
        assert card is not None
        return Reply(
            f"Please confirm: replace your {card_label(card)}? The old card stops working "
            "and a new one is mailed to your address on file.",
            "confirm_replace",
            suggestions=YES_NO,
            pending_confirmation={"action": "replace_card", "card": card.masked},
        )

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        new = self._replace(ctx, int(state.slots["card"]), self.reason(state))
        return Reply(
            f"Done: your new card ending {new.last4} is on its way (it usually arrives in "
            "5 to 7 business days). The old card no longer works.",
            "card_replaced",
        )


@register
class ReportLostOrStolen(ReplaceLike):
    name = "report_lost_or_stolen"
    title = "lost or stolen card report"
    slots = ("card", "reason")
    confirm = True

    def fill(
        self, ctx: TurnContext, state: FlowState, text: str, awaiting: str | None
    ) -> list[str]:
        changed = super().fill(ctx, state, text, awaiting)
        reason = u.find_card_reason(text)
        if reason in ("lost", "stolen"):
            state.slots["reason"] = reason
            changed.append("reason")
        return changed

    def ask(self, ctx: TurnContext, state: FlowState, slot: str) -> Reply:
        if slot == "reason":
            return Reply(
                "Was the card lost, or do you think it was stolen?",
                "ask_lost_or_stolen",
                suggestions=["Lost", "Stolen"],
            )
        return super().ask(ctx, state, slot)

    def confirmation(self, ctx: TurnContext, state: FlowState) -> Reply:
        card = _card(ctx, state)
        assert card is not None
        return Reply(
            f"Please confirm: block your {card_label(card)} for good as "
            f"{state.slots['reason']} and send you a new card?",
            "confirm_lost_stolen",
            suggestions=YES_NO,
            pending_confirmation={"action": "report_lost_or_stolen", "card": card.masked},
        )

    def execute(self, ctx: TurnContext, state: FlowState) -> Reply:
        card_id = int(state.slots["card"])
        reason: CardReason = "stolen" if state.slots["reason"] == "stolen" else "lost"
        # Already blocked for good? The replacement below still applies.
        with contextlib.suppress(OpenTellerError):
            ctx.call("block_card", lambda: ctx.core.block_card(card_id, reason))
        new = self._replace(ctx, card_id, reason)
        handoff: dict[str, Any] | None = None
        text = (
            f"Your card is blocked and can't be used. A new card ending {new.last4} is on its "
            "way (5 to 7 business days)."
        )
        if reason == "stolen":
            ctx.tickets.append(
                {
                    "reason": "fraud",
                    "priority": "high",
                    "summary": f"Card reported stolen; blocked and replaced (new ****{new.last4}).",
                    "details": {"card_id": card_id, "new_card_id": new.id},
                }
            )
            handoff = {"reason": "fraud"}
            text += " I've also opened a fraud case so our team can review recent charges with you."
        return Reply(text, "card_lost_stolen", handoff=handoff)
