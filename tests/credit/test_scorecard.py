"""The scorecard: same points as optbinning, protected attributes never used, monotonic
bins, a content-hashed artifact, and a cache that trains once."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest

from openteller.core import ValidationFailed
from openteller.credit import (
    CHARACTERISTICS,
    FORBIDDEN_REASON_WORDS,
    PROTECTED,
    Scorecard,
    german_credit,
    load_or_train,
    model_file,
)
from openteller.credit._scorecard import export, fit_optbinning


@pytest.fixture(scope="module")
def fitted() -> tuple[object, Scorecard]:
    data = german_credit()
    estimator = fit_optbinning(data)
    return estimator, export(estimator, data)


def test_points_match_optbinning_on_every_applicant(fitted: tuple[object, Scorecard]) -> None:
    estimator, card = fitted
    data = german_credit()
    theirs = estimator.score(data.frame)  # type: ignore[attr-defined]
    ours = np.array([card.score(row) for row in data.frame.to_dict("records")])
    assert np.array_equal(theirs, ours)
    # Rounded points reproduce the regression's log-odds to within one point per bin.
    assert card.score_range == (393, 652)


def test_the_session_scorecard_is_the_one_trained_here(
    fitted: tuple[object, Scorecard], scorecard: Scorecard
) -> None:
    assert fitted[1].model_hash == scorecard.model_hash


def test_protected_attributes_are_never_characteristics(scorecard: Scorecard) -> None:
    names = {c.name for c in scorecard.characteristics}
    assert names == {c.name for c in CHARACTERISTICS}
    assert len(names) == 16
    assert not names & {*PROTECTED, "personal_status", "telephone"}
    for c in scorecard.characteristics:
        statements = [c.reason, *c.value_reasons.values()]
        for statement in statements:
            words = set(statement.lower().replace(",", " ").split())
            assert not words & set(FORBIDDEN_REASON_WORDS), statement


def test_numerical_bins_are_monotonic_except_the_amount(scorecard: Scorecard) -> None:
    for c in scorecard.characteristics:
        if c.kind != "numerical" or c.name == "credit_amount":
            continue
        points = [b.points for b in c.bins]
        assert points == sorted(points) or points == sorted(points, reverse=True), c.name
    duration = scorecard.characteristic("duration_months")
    assert [b.points for b in duration.bins] == [56, 42, 37, 30, 29, 22, 11]
    assert duration.bin_index(8) == 0
    assert duration.bin_index(9) == 1
    assert duration.points(None) == duration.missing_points == 32


def test_score_and_probability_are_inverse(scorecard: Scorecard) -> None:
    assert scorecard.probability_of_default(600) == pytest.approx(1 / 51)
    assert scorecard.probability_of_default(620) == pytest.approx(1 / 101)
    for pd in (0.05, 0.22, 0.4):
        assert scorecard.probability_of_default(scorecard.score_at(pd)) == pytest.approx(pd)
    assert scorecard.factor == pytest.approx(20 / math.log(2))


def test_artifact_round_trip_and_hash(scorecard: Scorecard, tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    scorecard.save(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == scorecard.model_hash
    again = Scorecard.load(path)
    assert again == scorecard
    assert again.model_hash == scorecard.model_hash
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValidationFailed, match="cannot read scorecard"):
        Scorecard.load(tmp_path / "bad.json")


def test_cache_reuses_the_file_and_replaces_a_broken_one(
    scorecard: Scorecard, tmp_path: Path
) -> None:
    data = german_credit()
    path = model_file(data, tmp_path)
    scorecard.save(path)
    assert load_or_train(data, directory=tmp_path) == scorecard  # no training: a load
    path.write_text("truncated")
    assert load_or_train(data, directory=tmp_path).model_hash == scorecard.model_hash
    assert Scorecard.load(path).model_hash == scorecard.model_hash
