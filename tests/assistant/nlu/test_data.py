"""Our intents' YAML, the held-out set, and the CSV reader (no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openteller.assistant.nlu import (
    OUT_OF_SCOPE,
    ModelConfig,
    NLUDataError,
    TrainingData,
    cache_key,
    load_heldout,
    load_intents,
    read_csv,
)

REQUIRED = {
    # tasks
    "check_balance", "search_transactions", "spending_summary", "transfer_money",
    "pay_card_bill", "add_payee", "block_card", "unblock_card", "replace_card",
    "report_lost_or_stolen", "dispute_charge", "loan_quote", "apply_loan", "loan_status",
    "account_details",
    # support topics answered from documents
    "faq_fees", "faq_rates", "faq_limits", "faq_cutoff_times", "faq_overdraft",
    "faq_card_delivery", "faq_identity_verification",
    # dialogue acts
    "affirm", "deny", "cancel", "correct", "greet", "goodbye", "thanks", "human_handoff",
    "bot_challenge", "out_of_scope", "chitchat",
}  # fmt: skip


def test_packaged_intents_cover_the_issue() -> None:
    data = load_intents()
    counts = data.counts()
    assert len(counts) >= 35
    assert set(counts) >= REQUIRED
    assert all(15 <= n <= 45 for n in counts.values()), counts
    assert {info.kind for info in data.intents.values()} == {"task", "support", "dialogue"}
    assert all(info.title for info in data.intents.values())
    assert all(name.startswith("faq_") for name, i in data.intents.items() if i.kind == "support")
    assert counts[OUT_OF_SCOPE] >= 30


def test_heldout_is_never_in_training() -> None:
    train = load_intents()
    heldout = load_heldout()
    seen = {t.lower() for t in train.texts}
    assert len(heldout) >= 100
    assert set(heldout.labels) == set(train.labels), "every intent has held-out examples"
    assert not [t for t in heldout.texts if t.lower() in seen]


def test_digest_follows_the_data_not_its_order() -> None:
    data = load_intents()
    shuffled = TrainingData(data.texts[::-1], data.labels[::-1], data.intents)
    assert shuffled.digest() == data.digest()
    edited = TrainingData((*data.texts[:-1], "a new example"), data.labels, data.intents)
    assert edited.digest() != data.digest()
    config = ModelConfig()
    assert cache_key(edited, config) != cache_key(data, config)


def test_yaml_refuses_an_example_under_two_intents(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "kind: task\nintents:\n"
        "  - {name: one, title: do one, examples: [hello there, hi]}\n"
        "  - {name: two, title: do two, examples: [Hello there]}\n"
    )
    with pytest.raises(NLUDataError, match="example of one and two"):
        load_intents(tmp_path)


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_csv_takes_label_or_category(tmp_path: Path) -> None:
    data = read_csv(_csv(tmp_path / "a.csv", "text,label\nhi,greet\nbye,goodbye\n"))
    assert data.texts == ("hi", "bye")
    assert data.labels == ("greet", "goodbye")
    alias = read_csv(_csv(tmp_path / "b.csv", "text,category\nhi,greet\nbye,goodbye\n"))
    assert alias.labels == ("greet", "goodbye")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("words,label\nhi,greet\n", "expected columns text,label"),
        ("", "expected columns text,label"),
        ("text,label\nhi,\nbye,goodbye\n", "empty text or label"),
        ("text,label\nhi,greet\nhello,greet\n", "at least two intents"),
        ("text,label\nhi,greet\nhello,greet\nbye,goodbye\n", "fewer than 2 examples"),
    ],
)
def test_read_csv_refuses_unusable_files(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(NLUDataError, match=message):
        read_csv(_csv(tmp_path / "bad.csv", content), min_per_intent=2)


def test_read_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NLUDataError, match="no such CSV file"):
        read_csv(tmp_path / "absent.csv")


def test_sample_draws_per_intent_and_refuses_too_many() -> None:
    data = load_intents()
    five = data.sample(5, seed=1)
    assert set(five.counts().values()) == {5}
    assert five.texts == data.sample(5, seed=1).texts
    assert five.texts != data.sample(5, seed=2).texts
    with pytest.raises(NLUDataError, match="--shots 1000"):
        data.sample(1000, seed=0)


def test_public_names_are_exactly_all() -> None:
    import types

    import openteller.assistant.nlu as nlu

    public = {
        name
        for name, value in vars(nlu).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(nlu.__all__)
