"""The package's public surface is exactly `__all__`, and importing it loads no heavy
library (they load when a model is trained or evaluated)."""

from __future__ import annotations

import subprocess
import sys

import openteller.credit as credit


def test_all_names_the_public_surface() -> None:
    public = {n for n in vars(credit) if not n.startswith("_")}
    assert set(credit.__all__) == public


def test_import_is_light() -> None:
    code = (
        "import sys, openteller.credit; "
        "print(sorted(m for m in ('sklearn', 'optbinning', 'fairlearn', 'plotly', 'pandas') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
