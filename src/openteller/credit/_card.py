"""The model card (Markdown): data, features, points, performance, fairness, limits, use."""

from __future__ import annotations

from openteller.credit._evaluate import EvalReport
from openteller.credit._fairness import FairnessReport
from openteller.credit._schema import PROTECTED
from openteller.credit._scorecard import Scorecard


def model_card(
    card: Scorecard, evaluation: EvalReport | None = None, fairness: FairnessReport | None = None
) -> str:
    """Markdown describing `card`; figures sections appear when their reports are given."""
    low, high = card.score_range
    lines = [
        f"# Model card: credit scorecard {card.version}",
        "",
        "## Model details",
        "",
        f"- Model hash (SHA-256 of the artifact): `{card.model_hash}`",
        f"- Training data: {card.data_name}, {card.rows} applicants, bad rate "
        f"{card.bad_rate:.1%}; data digest `{card.data_digest[:16]}`",
        "- Method: optbinning `BinningProcess` (numerical characteristics binned with a "
        "monotonic event-rate trend, categorical ones grouped by event rate), logistic "
        f"regression on weights of evidence (L2, C={card.training.get('C')}), "
        f"points scaled {card.base_points} at {card.base_odds}:1 good:bad odds, "
        f"{card.pdo} points to double the odds. Higher scores are better.",
        f"- Score range: {low} to {high}.",
        "",
        "## Intended use",
        "",
        "Decisions on applications for unsecured personal loans at the demo bank: approve, "
        "refer to a credit officer, or decline, with offers priced by risk tier and "
        "adverse-action reasons on a decline. Not for other products, not for marketing or "
        "pricing outside the catalog's tiers, not as the only basis of a decision a "
        "customer contests (a person reviews on request).",
        "",
        "## Characteristics and points",
        "",
        "| characteristic | attribute (bin) | points | applicants | bad rate |",
        "|---|---|---:|---:|---:|",
    ]
    for c in card.characteristics:
        for b in c.bins:
            lines.append(
                f"| {c.label} (`{c.name}`) | {b.label} | {b.points} | {b.count} | "
                f"{b.event_rate:.1%} |"
            )
        lines.append(f"| {c.label} (`{c.name}`) | missing or unknown | {c.missing_points} | | |")
    lines += [
        "",
        "## Excluded attributes",
        "",
        f"Protected attributes ({', '.join(PROTECTED)}; German Credit's personal status and "
        "sex, age, foreign worker) are never characteristics and cannot be stated reasons; "
        "they are kept beside the data for the fairness report only. Telephone is not "
        "collected.",
        "",
    ]
    if evaluation is not None:
        lines += [
            "## Performance",
            "",
            f"{evaluation.folds}-fold stratified cross-validation (seed {evaluation.seed}), "
            "each fold refitting binning, regression and scaling:",
            "",
            f"- AUC {evaluation.auc:.4f} (std {evaluation.auc_std:.4f}; pooled out-of-fold "
            f"{evaluation.pooled_auc:.4f})",
            f"- KS {evaluation.ks:.4f}",
            f"- Gini {evaluation.gini:.4f}",
            "",
        ]
    if fairness is not None:
        lines += [
            "## Fairness",
            "",
            f"Automatic approvals at the policy's cut-off (probability of default <= "
            f"{fairness.policy['approve_max_pd']}), out-of-fold; 95 % bootstrap intervals "
            f"({fairness.n_boot} resamples).",
            "",
            "| attribute | groups (n) | approval rates | adverse impact ratio | "
            "equalized-odds difference |",
            "|---|---|---|---|---|",
        ]
        for name, a in fairness.attributes.items():
            groups = a["groups"]
            counts = ", ".join(f"{g} ({v['count']})" for g, v in groups.items())
            rates = ", ".join(f"{v['approval_rate']:.1%}" for v in groups.values())
            lines.append(
                f"| {name} | {counts} | {rates} | {a['adverse_impact_ratio']} "
                f"{a['adverse_impact_ratio_ci']} | {a['equalized_odds_difference']} "
                f"{a['equalized_odds_difference_ci']} |"
            )
        lines.append("")
        lines += [f"Note: {c}." for c in fairness.caveats]
        lines.append("")
    lines += [
        "## Limitations",
        "",
        "- German Credit is 1,000 applicants from a German bank in the 1970s: amounts in "
        'Deutsche Mark, a 30 % bad rate set by sampling, and known oddities ("no checking '
        'account" and "critical account" score best). Retrain on the bank\'s own '
        "outcomes (`openteller credit train --data ... --mapping ...`) before real use.",
        "- The application's balance bands, income share and residence classes are mapped "
        "onto German Credit's classes (docs/credit.md); the mapping is a calibration choice.",
        "- Credit history is stated by the applicant until a credit bureau adapter supplies it.",
        "- Removing protected attributes does not remove their proxies; the fairness report "
        "measures outcomes by group and must be reviewed at each retraining.",
        "",
    ]
    return "\n".join(lines)
