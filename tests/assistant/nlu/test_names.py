"""Intent names as extra examples: only in the few-shot regime, never twice."""

from __future__ import annotations

from openteller.assistant.nlu import IntentInfo, TrainingData, load_intents
from openteller.assistant.nlu._model import with_intent_names


def _data(per_intent: int) -> TrainingData:
    texts: list[str] = []
    labels: list[str] = []
    for label in ("card_arrival", "Refund_not_showing_up", "top_up"):
        for i in range(per_intent):
            texts.append(f"{label} example {i}")
            labels.append(label)
    return TrainingData(tuple(texts), tuple(labels), {"top_up": IntentInfo("top_up", title="")})


def test_names_join_the_examples_when_few() -> None:
    data = _data(10)
    texts, labels = with_intent_names(data, 12)
    assert texts[:30] == list(data.texts)
    assert labels[:30] == list(data.labels)
    assert list(zip(texts[30:], labels[30:], strict=True)) == [
        ("refund not showing up", "Refund_not_showing_up"),
        ("card arrival", "card_arrival"),
        ("top up", "top_up"),
    ]


def test_a_title_is_used_and_an_existing_example_is_not_repeated() -> None:
    data = TrainingData(
        ("block my card", "block card", "hi", "hello"),
        ("block_card", "block_card", "greet", "greet"),
        {"greet": IntentInfo("greet", kind="dialogue", title="say hello")},
    )
    texts, labels = with_intent_names(data, 12)
    assert texts[4:] == ["say hello"]
    assert labels[4:] == ["greet"]


def test_no_names_above_the_few_shot_regime() -> None:
    data = _data(13)
    assert with_intent_names(data, 12) == (list(data.texts), list(data.labels))
    ours = load_intents()  # the packaged intents (16-44 examples each) are left as they are
    assert with_intent_names(ours, 12) == (list(ours.texts), list(ours.labels))
