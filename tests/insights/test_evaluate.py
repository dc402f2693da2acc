from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from openteller.core.demo.generator import Planned
from openteller.insights import (
    DEMO_BANK,
    DuplicateCharge,
    Findings,
    Period,
    RecurringSeries,
    Transaction,
    UnusualTransaction,
    evaluate,
    planned_transactions,
    score,
)

AT = datetime(2026, 3, 4, 15, tzinfo=UTC)


def _series(ids: tuple[int, ...]) -> RecurringSeries:
    return RecurringSeries(
        customer_id=1,
        account_id=10,
        merchant="NETFLIX",
        period=Period.MONTHLY,
        typical_amount=Decimal("-15.49"),
        fixed_amount=True,
        transaction_ids=ids,
        first_date=date(2026, 1, 4),
        last_date=date(2026, 3, 4),
        next_expected=date(2026, 4, 4),
        active=True,
        price_change=None,
    )


def _txn(txn_id: int, at: datetime) -> Transaction:
    return Transaction(txn_id, 10, 1, at, Decimal("-900.00"), "Jewelry Palace", "Jewelry Palace")


FINDINGS = Findings(
    recurring=[_series((1, 2, 3)), _series((7, 8, 9))],
    duplicates=[
        DuplicateCharge(1, 10, "KROGER", Decimal("-31.20"), 4, 5, AT, AT),
    ],
    unusual=[
        UnusualTransaction(11, 1, 10, AT, Decimal("-900.00"), "JEWELRY PALACE", 1.0, ("night",)),
    ],
)
LABELS = {
    1: "recurring",
    2: "recurring",
    3: "recurring",
    4: "recurring",
    5: "duplicate",
    6: "duplicate",
    11: "unusual",
    12: "unusual",
    13: "unusual",
    14: "something else",
}


def test_score_counts_and_rounds() -> None:
    assert score({1, 2, 3}, {2, 3, 4, 5}) == {
        "precision": 0.6667,
        "recall": 0.5,
        "tp": 2,
        "fp": 1,
        "fn": 2,
    }


def test_no_detections_and_no_positives_score_one() -> None:
    assert score(set(), set()) == {"precision": 1.0, "recall": 1.0, "tp": 0, "fp": 0, "fn": 0}
    assert score(set(), {1}) == {"precision": 1.0, "recall": 0.0, "tp": 0, "fp": 0, "fn": 1}
    assert score({1}, set()) == {"precision": 0.0, "recall": 1.0, "tp": 0, "fp": 1, "fn": 0}


def test_evaluate_scores_each_detector_per_transaction() -> None:
    assert evaluate(FINDINGS, LABELS) == {
        "detectors": {
            "duplicates": {"precision": 1.0, "recall": 0.5, "tp": 1, "fp": 0, "fn": 1},
            "recurring": {"precision": 0.5, "recall": 0.75, "tp": 3, "fp": 3, "fn": 1},
            "unusual": {"precision": 1.0, "recall": 0.3333, "tp": 1, "fp": 0, "fn": 2},
        }
    }


def test_unusual_labels_before_the_lookback_are_left_out() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    rows = [_txn(12, datetime(2026, 3, 2, tzinfo=UTC)), _txn(13, datetime(2026, 2, 27, tzinfo=UTC))]
    result = evaluate(FINDINGS, LABELS, transactions=rows, lookback_start=start)
    assert result["detectors"]["unusual"] == {
        "precision": 1.0,
        "recall": 0.5,
        "tp": 1,
        "fp": 0,
        "fn": 1,
    }
    # Recurring and duplicates are not windowed.
    assert result["detectors"]["recurring"]["fn"] == 1


def test_lookback_needs_the_transactions() -> None:
    with pytest.raises(ValueError, match="needs the transactions"):
        evaluate(FINDINGS, LABELS, lookback_start=AT)


def _event(seq: int, day: int, debit: int, credit: int, minor: int, **kw: object) -> Planned:
    at = datetime(2026, 3, day, 14, seq, tzinfo=UTC)
    fields: dict[str, object] = {
        "kind": "card_purchase",
        "description": "Kroger",
        "category": "groceries",
        "channel": "card",
    }
    fields.update(kw)
    return Planned(
        at=at,
        day=at.date(),
        seq=seq,
        customer=0,
        debit=debit,
        credit=credit,
        minor=minor,
        **fields,  # type: ignore[arg-type]
    )


def test_planned_transactions_take_the_customer_side_in_posting_order() -> None:
    card, checking, savings = 102, 100, 101
    events = [
        _event(3, 5, card, DEMO_BANK.card, 3120, merchant="Kroger", location="Austin, TX"),
        _event(4, 5, card, DEMO_BANK.card, 3120, merchant="Kroger", label="duplicate"),
        _event(
            1,
            4,
            checking,
            savings,
            20000,
            kind="transfer",
            description="Transfer to savings",
            category="transfer",
            channel="internal",
        ),
        _event(
            2,
            4,
            DEMO_BANK.ach,
            checking,
            215000,
            description="Acme DIRECT DEP",
            category="income",
            channel="ach",
            merchant="Acme",
            label="recurring",
        ),
        _event(5, 6, card, DEMO_BANK.card, 999, merchant="Kroger", pending=True),
    ]
    txns, labels = planned_transactions(events)
    assert [(t.id, t.account_id, t.amount, t.channel) for t in txns] == [
        (1, checking, Decimal("-200.00"), "internal"),
        (1, savings, Decimal("200.00"), "internal"),
        (2, checking, Decimal("2150.00"), "ach"),
        (3, card, Decimal("-31.20"), "card"),
        (4, card, Decimal("-31.20"), "card"),
    ]
    assert {t.customer_id for t in txns} == {1}
    assert txns[3].location == "Austin, TX"
    assert txns[3].occurred_at == datetime(2026, 3, 5, 14, 3, tzinfo=UTC)
    assert labels == {2: "recurring", 4: "duplicate"}
