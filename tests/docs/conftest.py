"""The docs tests start `openteller serve` like the end-to-end tests: same environment."""

from __future__ import annotations

from tests.e2e.conftest import base_env

__all__ = ["base_env"]
