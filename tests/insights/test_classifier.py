from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from openteller.insights import Transaction, categorize
from openteller.insights.classifier import (
    SPENDING_CATEGORIES,
    load_or_train,
    model_file,
    train,
    training_examples,
)


def test_it_learns_spending_categories_only() -> None:
    examples = training_examples()
    assert len(examples) == 174
    assert {c for _t, c in examples} == SPENDING_CATEGORIES
    assert ("STARBUCKS", "dining") in examples
    assert ("PARKVIEW APARTMENTS", "housing") in examples


def test_unseen_names_and_abstentions() -> None:
    model = train(training_examples())
    assert [
        model.predict(t)
        for t in ("CORNER DELI", "MARATHON PETRO", "DUKE ENERGY", "REGAL CINEMAS", "ACME CORP")
    ] == ["dining", "fuel", "utilities", "entertainment", None]


def test_the_model_is_cached_as_json_and_retrained_when_unreadable(tmp_path: Path) -> None:
    path = model_file(tmp_path)
    first = load_or_train(tmp_path)
    assert path.is_file()
    loaded = load_or_train(tmp_path)
    assert loaded is not first
    assert loaded.predict("SUNRISE BAKERY") == first.predict("SUNRISE BAKERY") == "dining"
    path.write_text("{not json")
    assert load_or_train(tmp_path).predict("SUNRISE BAKERY") == "dining"


def test_categorize_falls_back_to_the_classifier_after_the_rules() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    deli = Transaction(1, 10, 1, at, Decimal("-8.00"), "Corner Deli #12", "Corner Deli #12")
    assert categorize(deli) == "dining"
    assert categorize(deli, classify=False) is None
    unknown = Transaction(2, 10, 1, at, Decimal("-8.00"), None, "Acme Corp")
    assert categorize(unknown) is None
