"""The package's public surface is exactly `__all__`."""

from __future__ import annotations

import openteller.knowledge as knowledge


def test_all_names_the_public_surface() -> None:
    public = {n for n in vars(knowledge) if not n.startswith("_")}
    assert set(knowledge.__all__) == public
