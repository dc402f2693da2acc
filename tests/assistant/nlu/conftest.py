"""The packaged intent model, trained once per test session into ./var/models (or
$OPENTELLER_MODEL_DIR) and shared between xdist workers through the model cache."""

from __future__ import annotations

import os

import pytest

from openteller.assistant.nlu import IntentModel, default_model, torch_threads


def worker_threads() -> int:
    """One torch thread per xdist worker (`make test` runs one worker per core): two
    workers with two threads each on two cores spend their time waiting on each other."""
    return 1 if os.environ.get("PYTEST_XDIST_WORKER") else (os.cpu_count() or 1)


@pytest.fixture(scope="session")
def model() -> IntentModel:
    with torch_threads(worker_threads()):
        return default_model()
