"""Fixtures for the guardrails: the demo catalog, rails without an audit log, a fixed clock."""

from __future__ import annotations

import pytest

from openteller.core import Catalog, FixedClock
from openteller.guardrails import Guardrails, Policy, load_policy
from openteller.guardrails._catalog import packaged_catalog
from tests.conftest import NOW


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return packaged_catalog()


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def rails(policy: Policy, catalog: Catalog) -> Guardrails:
    """Rails as the assistant uses them (presidio, the screening model), no audit log."""
    return Guardrails(policy, catalog, FixedClock(NOW))
