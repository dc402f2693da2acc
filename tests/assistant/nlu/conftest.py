"""The packaged intent model, trained once per test session into ./var/models (or
$OPENTELLER_MODEL_DIR) and shared between xdist workers through the model cache."""

from __future__ import annotations

import pytest

from openteller.assistant.nlu import IntentModel, default_model


@pytest.fixture(scope="session")
def model() -> IntentModel:
    return default_model()
