"""Trained scorecards on disk, keyed by what they were trained on; the default scorecard.

Same pattern as the NLU model cache: `$OPENTELLER_MODEL_DIR` or `./var/models`, a file
named after a hash of the model version, its training parameters and the data, and a
file lock so that several processes (pytest-xdist workers, API workers) train once.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from openteller.core import ValidationFailed, model_dir
from openteller.core.files import load_or_build
from openteller.credit._data import CreditData, german_credit
from openteller.credit._scorecard import (
    BASE_ODDS,
    BASE_POINTS,
    MODEL_VERSION,
    MONOTONIC_TREND,
    PDO,
    REGULARIZATION_C,
    UNIMODAL,
    Progress,
    Scorecard,
    train,
)

log = logging.getLogger(__name__)
_lock = threading.Lock()
_default: dict[Path, Scorecard] = {}


def cache_key(data: CreditData) -> str:
    params = f"{MODEL_VERSION}|{PDO}|{BASE_POINTS}|{BASE_ODDS}|{REGULARIZATION_C}|{MONOTONIC_TREND}"
    params += "|" + ",".join(sorted(UNIMODAL))
    names = ",".join(f"{c.name}:{c.kind}:{c.reason}" for c in data.characteristics)
    return hashlib.sha256(f"{params}\n{names}\n{data.digest()}".encode()).hexdigest()[:16]


def model_file(data: CreditData, directory: Path | None = None) -> Path:
    return model_dir(directory) / f"credit-{cache_key(data)}.json"


def load_or_train(
    data: CreditData, *, directory: Path | None = None, progress: Progress | None = None
) -> Scorecard:
    """The cached scorecard for `data`, training and saving it when absent."""
    path = model_file(data, directory)

    def build() -> Scorecard:
        log.info("training credit scorecard %s on %d rows", path.name, len(data))
        return train(data, progress)

    return load_or_build(path, _load, build, Scorecard.save)


def _load(path: Path) -> Scorecard | None:
    if not path.is_file():
        return None
    try:
        return Scorecard.load(path)
    except ValidationFailed as exc:  # a truncated or foreign file: train again over it
        log.warning("retraining credit scorecard: %s", exc.message)
        return None


def default_scorecard(
    directory: Path | None = None, *, progress: Progress | None = None
) -> Scorecard:
    """The bank's scorecard, trained on German Credit: loaded once per process, trained
    and cached on first use."""
    folder = model_dir(directory).resolve()
    with _lock:
        card = _default.get(folder)
        if card is None:
            card = load_or_train(german_credit(), directory=folder, progress=progress)
            _default[folder] = card
        return card
