"""Fairness of the decisions by sex, age (25 or under vs over 25) and foreign worker.

Decisions are the policy applied to out-of-fold scores (each applicant scored by a model
that never saw them); "approved" is an automatic approval, so a referral counts as not
approved. Per attribute:

- approval rate, true and false positive rates by group, with counts;
- adverse impact ratio: approval rate of the protected group / the reference group
  (the four-fifths rule flags a ratio under 0.8);
- equalized-odds difference (fairlearn): the larger of the gaps in approval rate among
  good applicants (TPR) and among bad ones (FPR);
- 95 % bootstrap confidence intervals (resampling applicants) for all of the above.

Point estimates come from fairlearn's `MetricFrame` and `equalized_odds_difference`;
the bootstrap resamples with numpy (one pass per resample, all groups at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openteller.credit._data import CreditData
from openteller.credit._decision import DecisionPolicy

DEFAULT_BOOT = 500
CI = (0.025, 0.975)
FOUR_FIFTHS = 0.8


@dataclass(frozen=True)
class _Attribute:
    name: str
    protected: str  # the group the law protects here
    reference: str


ATTRIBUTES = (
    _Attribute("sex", "female", "male"),
    _Attribute("age", "25 or under", "over 25"),
    _Attribute("foreign_worker", "foreign worker", "not foreign worker"),
)


@dataclass(frozen=True)
class FairnessReport:
    data_name: str
    rows: int
    approval_rate: float
    policy: dict[str, Any]
    n_boot: int
    attributes: dict[str, dict[str, Any]]
    caveats: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data_name,
            "rows": self.rows,
            "approval_rate": round(self.approval_rate, 4),
            "policy": self.policy,
            "n_boot": self.n_boot,
            "confidence": 0.95,
            "attributes": self.attributes,
            "caveats": list(self.caveats),
        }


def _groups(data: CreditData, attribute: _Attribute) -> Any:
    import numpy as np

    column = data.protected[attribute.name]
    if attribute.name == "sex":
        return np.where(column == "female", attribute.protected, attribute.reference)
    if attribute.name == "age":
        return np.where(column <= 25, attribute.protected, attribute.reference)
    return np.where(column.astype(bool), attribute.protected, attribute.reference)


def _rates(good: Any, approved: Any, member: Any) -> tuple[Any, Any, Any]:
    """Approval rate, TPR and FPR of the members (boolean masks; arrays broadcast)."""
    import numpy as np

    n = member.sum(axis=-1)
    n_good = (member & good).sum(axis=-1)
    n_bad = (member & ~good).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (member & approved).sum(axis=-1) / n
        tpr = (member & good & approved).sum(axis=-1) / n_good
        fpr = (member & ~good & approved).sum(axis=-1) / n_bad
    return rate, tpr, fpr


def _ci(values: Any) -> list[float | None]:
    import numpy as np

    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [None, None]
    low, high = np.quantile(finite, CI)
    return [round(float(low), 4), round(float(high), 4)]


def fairness_report(
    data: CreditData,
    probabilities: Any,
    policy: DecisionPolicy | None = None,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
) -> FairnessReport:
    """Fairness of `policy` applied to `probabilities` (one per row of `data`)."""
    import numpy as np
    from fairlearn.metrics import (  # type: ignore[import-untyped]
        MetricFrame,
        count,
        equalized_odds_difference,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    policy = policy or DecisionPolicy()
    approved = np.asarray(probabilities) <= policy.approve_max_pd
    good = np.asarray(data.target) == 0
    rng = np.random.default_rng(seed)
    samples = rng.integers(0, len(good), size=(n_boot, len(good)))
    boot_good, boot_approved = good[samples], approved[samples]
    attributes: dict[str, dict[str, Any]] = {}
    for attribute in ATTRIBUTES:
        if attribute.name not in data.protected.columns:
            continue
        groups = _groups(data, attribute)
        frame = MetricFrame(
            metrics={
                "count": count,
                "approval_rate": selection_rate,
                "true_positive_rate": true_positive_rate,
                "false_positive_rate": false_positive_rate,
            },
            y_true=good.astype(int),
            y_pred=approved.astype(int),
            sensitive_features=groups,
        )
        eod = float(
            equalized_odds_difference(
                good.astype(int), approved.astype(int), sensitive_features=groups
            )
        )
        by_group = frame.by_group
        rate_p = float(by_group.loc[attribute.protected, "approval_rate"])
        rate_r = float(by_group.loc[attribute.reference, "approval_rate"])
        boot_groups = groups[samples]
        stats = {
            name: _rates(boot_good, boot_approved, boot_groups == name)
            for name in (attribute.protected, attribute.reference)
        }
        with np.errstate(invalid="ignore", divide="ignore"):
            boot_air = stats[attribute.protected][0] / stats[attribute.reference][0]
        boot_eod = np.maximum(
            np.abs(stats[attribute.protected][1] - stats[attribute.reference][1]),
            np.abs(stats[attribute.protected][2] - stats[attribute.reference][2]),
        )
        air = rate_p / rate_r if rate_r else float("nan")
        attributes[attribute.name] = {
            "protected_group": attribute.protected,
            "reference_group": attribute.reference,
            "groups": {
                name: {
                    "count": int(by_group.loc[name, "count"]),
                    "bad_rate": round(float(1 - good[groups == name].mean()), 4),
                    "approval_rate": round(float(by_group.loc[name, "approval_rate"]), 4),
                    "approval_rate_ci": _ci(stats[name][0]),
                    "true_positive_rate": round(float(by_group.loc[name, "true_positive_rate"]), 4),
                    "false_positive_rate": round(
                        float(by_group.loc[name, "false_positive_rate"]), 4
                    ),
                }
                for name in (attribute.protected, attribute.reference)
            },
            "adverse_impact_ratio": round(air, 4),
            "adverse_impact_ratio_ci": _ci(boot_air),
            "four_fifths_rule_met": bool(air >= FOUR_FIFTHS),
            "equalized_odds_difference": round(eod, 4),
            "equalized_odds_difference_ci": _ci(boot_eod),
        }
    return FairnessReport(
        data_name=data.name,
        rows=len(good),
        approval_rate=float(approved.mean()),
        policy=policy.to_dict(),
        n_boot=n_boot,
        attributes=attributes,
        caveats=data.caveats,
    )


def fairness_html(report: FairnessReport, title: str = "Credit decisions: fairness") -> str:
    """A self-contained HTML page (Plotly's JS inlined from the package, no network)."""
    import plotly.graph_objects as go  # type: ignore[import-untyped]
    from plotly.subplots import make_subplots  # type: ignore[import-untyped]

    names = list(report.attributes)
    fig = make_subplots(
        rows=2,
        cols=max(1, len(names)),
        subplot_titles=[f"Approval rate by {n}" for n in names]
        + [f"TPR / FPR by {n}" for n in names],
        vertical_spacing=0.18,
    )
    for col, name in enumerate(names, start=1):
        groups = report.attributes[name]["groups"]
        labels = list(groups)
        rates = [groups[g]["approval_rate"] for g in labels]
        lows = [
            r - (groups[g]["approval_rate_ci"][0] or r) for g, r in zip(labels, rates, strict=True)
        ]
        highs = [
            (groups[g]["approval_rate_ci"][1] or r) - r for g, r in zip(labels, rates, strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=labels,
                y=rates,
                error_y={"type": "data", "symmetric": False, "array": highs, "arrayminus": lows},
                text=[f"n={groups[g]['count']}" for g in labels],
                name=f"approval ({name})",
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        for metric, label in (("true_positive_rate", "TPR"), ("false_positive_rate", "FPR")):
            fig.add_trace(
                go.Bar(
                    x=labels, y=[groups[g][metric] for g in labels], name=label, showlegend=col == 1
                ),
                row=2,
                col=col,
            )
    fig.update_layout(title=title, barmode="group", height=720, template="plotly_white")
    rows = "".join(
        f"<tr><td>{name}</td><td>{a['adverse_impact_ratio']}</td>"
        f"<td>{a['adverse_impact_ratio_ci']}</td>"
        f"<td>{'yes' if a['four_fifths_rule_met'] else 'NO'}</td>"
        f"<td>{a['equalized_odds_difference']}</td><td>{a['equalized_odds_difference_ci']}</td></tr>"
        for name, a in report.attributes.items()
    )
    table = (
        "<table border='1' cellpadding='4'><tr><th>attribute</th><th>adverse impact ratio</th>"
        "<th>95% CI</th><th>four-fifths rule met</th><th>equalized-odds difference</th>"
        f"<th>95% CI</th></tr>{rows}</table>"
    )
    body = fig.to_html(full_html=False, include_plotlyjs=True)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><h1>{title}</h1><p>{report.data_name}: {report.rows} applicants, "
        f"approval rate {report.approval_rate:.1%}, {report.n_boot} bootstrap resamples.</p>"
        f"{table}{''.join(f'<p><em>{c}</em></p>' for c in report.caveats)}{body}</body></html>"
    )
