"""Trained models on disk, keyed by what they were trained on; the assistant's default model.

A model file is named after a hash of the model version, the config and the training
data, so editing an intents YAML (or upgrading the model code) trains a new model on the
next use instead of serving a stale one. Models are trained here, never downloaded.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from openteller.assistant.nlu._data import TrainingData, load_intents
from openteller.assistant.nlu._model import MODEL_VERSION, IntentModel, ModelConfig, Progress
from openteller.core import model_dir
from openteller.core.files import load_or_build

log = logging.getLogger(__name__)
_lock = threading.Lock()
_default: dict[Path, IntentModel] = {}


def cache_key(data: TrainingData, config: ModelConfig) -> str:
    """Hash of model version, config and training data (16 hex digits)."""
    h = hashlib.sha256()
    h.update(f"{MODEL_VERSION}\n{config.key()}\n{data.digest()}".encode())
    return h.hexdigest()[:16]


def model_file(data: TrainingData, config: ModelConfig, directory: Path | None = None) -> Path:
    return model_dir(directory) / f"intents-{cache_key(data, config)}.joblib"


def load_or_train(
    data: TrainingData,
    config: ModelConfig | None = None,
    *,
    directory: Path | None = None,
    progress: Progress | None = None,
) -> IntentModel:
    """The cached model for `data` and `config`, training and saving it when absent."""
    cfg = config or ModelConfig()
    path = model_file(data, cfg, directory)

    def build() -> IntentModel:
        log.info("training NLU model %s on %d examples", path.name, len(data))
        return IntentModel(cfg).fit(data, calibrate=True, progress=progress)

    # Several workers starting at once train once: the others wait, then load the file.
    return load_or_build(path, _load, build, IntentModel.save)


def _load(path: Path) -> IntentModel | None:
    if not path.is_file():
        return None
    try:
        return IntentModel.load(path)
    except Exception as exc:  # a truncated or foreign file: train again over it
        log.warning("retraining NLU model: cannot read %s (%s)", path, exc)
        return None


def default_model(
    directory: Path | None = None, *, progress: Progress | None = None
) -> IntentModel:
    """The assistant's intent model over the packaged YAML intents, loaded once per
    process; trained and cached on first use."""
    folder = model_dir(directory).resolve()
    with _lock:
        model = _default.get(folder)
        if model is None:
            model = load_or_train(load_intents(), directory=folder, progress=progress)
            _default[folder] = model
        return model
