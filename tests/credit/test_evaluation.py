"""Cross-validation figures, the fairness report (fairlearn point estimates, numpy
bootstrap), the Plotly HTML and the model card."""

from __future__ import annotations

import numpy as np
import pytest

from openteller.credit import (
    DecisionPolicy,
    EvalReport,
    FairnessReport,
    Scorecard,
    cross_validate,
    fairness_html,
    fairness_report,
    german_credit,
    load_data,
    model_card,
)
from tests.credit.conftest import SHARED_DATA

GERMAN = SHARED_DATA / "german_credit"


@pytest.fixture(scope="module")
def evaluation() -> EvalReport:
    # 3 folds keep the test fast; `openteller eval credit` runs 10.
    return cross_validate(german_credit(), folds=3, seed=0)


def test_cross_validation_figures(evaluation: EvalReport) -> None:
    assert evaluation.folds == 3
    assert len(evaluation.fold_auc) == 3
    assert evaluation.auc == pytest.approx(np.mean(evaluation.fold_auc))
    assert evaluation.gini == pytest.approx(2 * evaluation.auc - 1)
    assert 0.74 < evaluation.auc < 0.84  # German Credit's logistic baseline is about 0.79
    assert 0.35 < evaluation.ks < 0.6
    assert evaluation.scores.shape == (1000,)
    assert evaluation.scores.min() > 0
    expected = set(evaluation.to_dict())
    assert {"auc", "ks", "gini", "pooled_auc", "fold_auc"} <= expected


def _by_hand(
    groups: np.ndarray, good: np.ndarray, approved: np.ndarray, name: str
) -> tuple[float, float, float]:
    member = groups == name
    rate = approved[member].mean()
    tpr = approved[member & good].mean()
    fpr = approved[member & ~good].mean()
    return float(rate), float(tpr), float(fpr)


def test_fairness_report_matches_a_hand_count(evaluation: EvalReport) -> None:
    data = german_credit()
    report = fairness_report(data, evaluation.probabilities, n_boot=200)
    approved = evaluation.probabilities <= DecisionPolicy().approve_max_pd
    good = data.target == 0
    assert report.approval_rate == pytest.approx(approved.mean())
    assert set(report.attributes) == {"age", "foreign_worker"}  # sex: see the caveat
    assert report.caveats
    assert "sex not reported" in report.caveats[0]
    age = report.attributes["age"]
    young = np.where(data.protected["age"] <= 25, "25 or under", "over 25")
    young_rate, young_tpr, young_fpr = _by_hand(young, good, approved, "25 or under")
    old_rate, old_tpr, old_fpr = _by_hand(young, good, approved, "over 25")
    groups = age["groups"]
    assert groups["25 or under"]["count"] == 190
    assert groups["over 25"]["count"] == 810
    assert groups["25 or under"]["bad_rate"] == 0.4211
    assert groups["25 or under"]["approval_rate"] == round(young_rate, 4)
    assert groups["over 25"]["true_positive_rate"] == round(old_tpr, 4)
    assert age["adverse_impact_ratio"] == round(young_rate / old_rate, 4)
    eod = max(abs(young_tpr - old_tpr), abs(young_fpr - old_fpr))
    assert age["equalized_odds_difference"] == round(eod, 4)
    low, high = age["adverse_impact_ratio_ci"]
    assert low < age["adverse_impact_ratio"] < high
    low, high = groups["over 25"]["approval_rate_ci"]
    assert low < groups["over 25"]["approval_rate"] < high
    assert age["four_fifths_rule_met"] is (age["adverse_impact_ratio"] >= 0.8)


@pytest.mark.skipif(not GERMAN.is_dir(), reason=f"reference data absent: {GERMAN}")
def test_uci_data_reports_sex(evaluation: EvalReport) -> None:
    report = fairness_report(load_data(GERMAN), evaluation.probabilities, n_boot=50)
    sex = report.attributes["sex"]
    assert sex["groups"]["female"]["count"] == 310
    assert sex["groups"]["male"]["count"] == 690
    assert report.caveats == ()


def test_html_report_is_offline(evaluation: EvalReport) -> None:
    report = fairness_report(german_credit(), evaluation.probabilities, n_boot=20)
    html = fairness_html(report)
    assert html.startswith("<!doctype html>")
    assert "Approval rate by age" in html
    assert "adverse impact ratio" in html
    assert "plotly.js v" in html or "Plotly" in html  # the library itself, inlined
    # Nothing is fetched when the page opens: no external script or stylesheet.
    assert "<script src=" not in html
    assert "<link " not in html
    assert len(html) > 1_000_000


def test_model_card(scorecard: Scorecard, evaluation: EvalReport) -> None:
    fairness: FairnessReport = fairness_report(german_credit(), evaluation.probabilities, n_boot=20)
    card = model_card(scorecard, evaluation, fairness)
    assert card.startswith(f"# Model card: credit scorecard {scorecard.version}")
    for section in (
        "Intended use",
        "Characteristics and points",
        "Performance",
        "Fairness",
        "Limitations",
    ):
        assert f"## {section}" in card
    assert scorecard.model_hash in card
    assert f"AUC {evaluation.auc:.4f}" in card
    assert "| Term of the loan (`duration_months`) | (-inf, 8.50) | 56 |" in card
    assert "sex not reported" in card
    assert "## Performance" not in model_card(scorecard)
