"""K-fold cross-validation of the scorecard: AUC, KS and Gini, and out-of-fold scores.

Each fold trains the whole pipeline (binning, regression, scaling) on the other folds and
scores the held-out one, so the figures measure the method, not one fitted model. The
out-of-fold scores feed the fairness report: every applicant is scored by a model that
never saw them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openteller.credit._data import CreditData
from openteller.credit._scorecard import Progress, export, fit_optbinning

DEFAULT_FOLDS = 10
DEFAULT_SEED = 0


@dataclass(frozen=True)
class EvalReport:
    folds: int
    seed: int
    auc: float  # mean of the folds' AUCs
    auc_std: float
    ks: float  # mean of the folds' Kolmogorov-Smirnov statistics
    gini: float  # 2 * auc - 1
    pooled_auc: float  # AUC of all out-of-fold scores together
    fold_auc: tuple[float, ...]
    scores: Any  # numpy array: each row's out-of-fold score (higher is better)
    probabilities: Any  # numpy array: each row's out-of-fold probability of default

    def to_dict(self) -> dict[str, Any]:
        return {
            "folds": self.folds,
            "seed": self.seed,
            "auc": round(self.auc, 4),
            "auc_std": round(self.auc_std, 4),
            "ks": round(self.ks, 4),
            "gini": round(self.gini, 4),
            "pooled_auc": round(self.pooled_auc, 4),
            "fold_auc": [round(a, 4) for a in self.fold_auc],
        }


def ks_statistic(bad: Any, scores: Any) -> float:
    """Largest gap between the score distributions of goods and bads."""
    from sklearn.metrics import roc_curve  # type: ignore[import-untyped]

    fpr, tpr, _ = roc_curve(bad, -scores)
    return float((tpr - fpr).max())


def cross_validate(
    data: CreditData,
    folds: int = DEFAULT_FOLDS,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
) -> EvalReport:
    """Stratified k-fold CV of the scorecard on `data`."""
    import numpy as np
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

    y = data.target
    scores = np.zeros(len(y), dtype=float)
    probabilities = np.zeros(len(y), dtype=float)
    aucs: list[float] = []
    kss: list[float] = []
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for i, (train_idx, test_idx) in enumerate(splitter.split(data.frame, y)):
        if progress:
            progress("cross-validation", i, folds)
        part = CreditData(
            data.name,
            data.frame.iloc[train_idx],
            y[train_idx],
            data.protected.iloc[train_idx],
            data.characteristics,
            data.caveats,
        )
        card = export(fit_optbinning(part), part)
        held = data.frame.iloc[test_idx].to_dict("records")
        fold_scores = np.array([card.score(row) for row in held], dtype=float)
        scores[test_idx] = fold_scores
        probabilities[test_idx] = [card.probability_of_default(s) for s in fold_scores]
        aucs.append(float(roc_auc_score(y[test_idx], -fold_scores)))
        kss.append(ks_statistic(y[test_idx], fold_scores))
    if progress:
        progress("cross-validation", folds, folds)
    auc = float(np.mean(aucs))
    return EvalReport(
        folds=folds,
        seed=seed,
        auc=auc,
        auc_std=float(np.std(aucs)),
        ks=float(np.mean(kss)),
        gini=2 * auc - 1,
        pooled_auc=float(roc_auc_score(y, -scores)),
        fold_auc=tuple(aucs),
        scores=scores,
        probabilities=probabilities,
    )
