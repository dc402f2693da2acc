"""The packaged intent model on examples of our own intents kept out of training."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from openteller.assistant.nlu import (
    OUT_OF_SCOPE,
    IntentModel,
    ModelConfig,
    TrainingData,
    TuneConfig,
    load_heldout,
    load_intents,
    load_or_train,
)

pytestmark = pytest.mark.slow  # the first run trains the model (about a minute)


def test_heldout_accuracy(model: IntentModel) -> None:
    heldout = load_heldout()
    predicted = model.predict_labels(list(heldout.texts))
    hits = sum(p == t for p, t in zip(predicted, heldout.labels, strict=True))
    assert hits / len(heldout) >= 0.92, [
        (t, y, p)
        for t, y, p in zip(heldout.texts, heldout.labels, predicted, strict=True)
        if p != y
    ]


def test_confidence_is_calibrated_on_heldout(model: IntentModel) -> None:
    heldout = load_heldout()
    probs = model.probabilities(list(heldout.texts))
    confidence = probs.max(axis=1)
    correct = np.array(
        [model.classes[i] == y for i, y in zip(probs.argmax(axis=1), heldout.labels, strict=True)]
    )
    # Mean confidence tracks accuracy; a sharp, overconfident model would sit at 1.0.
    assert abs(float(confidence.mean()) - float(correct.mean())) < 0.1
    assert math.isclose(float(probs.sum(axis=1).mean()), 1.0, rel_tol=1e-5)


def test_prediction_shape(model: IntentModel) -> None:
    p = model.parse("please freeze my debit card")
    assert (p.intent, p.out_of_scope, p.needs_clarification) == ("block_card", False, False)
    assert p.clarification is None
    assert 0.5 < p.confidence <= 1.0
    assert p.ranking[0] == ("block_card", p.confidence)
    assert [s for _, s in p.ranking] == sorted((s for _, s in p.ranking), reverse=True)
    assert len(p.ranking) == 5


@pytest.mark.parametrize(
    "text",
    [
        "what's the weather in berlin tomorrow",
        "book me a table for four tonight",
        "who won the world cup in 2018",
        "how do I change a flat tire",
    ],
)
def test_out_of_scope(model: IntentModel, text: str) -> None:
    p = model.parse(text)
    assert p.out_of_scope, p
    assert p.intent == OUT_OF_SCOPE
    assert not p.needs_clarification


def test_an_ambiguous_message_asks_between_the_two_likeliest(model: IntentModel) -> None:
    p = model.parse("payment")
    assert p.needs_clarification, p
    assert not p.out_of_scope
    first, second = (name for name, _ in p.ranking[:2])
    assert p.clarification is not None
    assert model.intents[first].title in p.clarification
    assert model.intents[second].title in p.clarification


def test_dialogue_acts(model: IntentModel) -> None:
    cases = {
        "yes please do it": "affirm",
        "no that's not right": "deny",
        "forget it, cancel": "cancel",
        "can I talk to a real person": "human_handoff",
        "are you a robot": "bot_challenge",
        "thanks a lot": "thanks",
        "hmm let me see": "chitchat",  # hesitation must never read as a yes
    }
    assert {t: model.parse(t).intent for t in cases} == cases


def _small() -> TrainingData:
    data = load_intents()
    keep = {"check_balance", "block_card", "greet", OUT_OF_SCOPE}
    rows = [(t, y) for t, y in zip(data.texts, data.labels, strict=True) if y in keep]
    return TrainingData(
        tuple(t for t, _ in rows),
        tuple(y for _, y in rows),
        {k: v for k, v in data.intents.items() if k in keep},
    )


def test_cache_reuses_a_model_and_retrains_when_data_change(tmp_path: Path) -> None:
    config = ModelConfig(tune=TuneConfig(layers=1, max_steps=5))
    data = _small()
    first = load_or_train(data, config, directory=tmp_path)
    files = list(tmp_path.glob("intents-*.joblib"))
    assert len(files) == 1
    again = load_or_train(data, config, directory=tmp_path)
    assert again.data_digest == first.data_digest
    assert list(tmp_path.glob("intents-*.joblib")) == files
    texts = ["is my balance positive", "lock my card", "hello!", "play some jazz"]
    assert np.allclose(again.probabilities(texts), first.probabilities(texts), atol=1e-5)
    changed = TrainingData(
        (*data.texts, "freeze it now"), (*data.labels, "block_card"), data.intents
    )
    load_or_train(changed, config, directory=tmp_path)
    assert len(list(tmp_path.glob("intents-*.joblib"))) == 2
