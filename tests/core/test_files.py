"""`load_or_build`: built once, saved whole, loaded after."""

from __future__ import annotations

from pathlib import Path

import pytest

from openteller.core.files import load_or_build


def _load(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


def _save(value: str, path: Path) -> None:
    path.write_text(value)


def test_built_once_then_loaded(tmp_path: Path) -> None:
    built: list[str] = []

    def build() -> str:
        built.append("x")
        return "model v1"

    target = tmp_path / "cache" / "model.json"
    assert load_or_build(target, _load, build, _save) == "model v1"
    assert load_or_build(target, _load, build, _save) == "model v1"
    assert built == ["x"]
    assert sorted(p.name for p in target.parent.iterdir()) == [".model.json.lock", "model.json"]


def test_a_save_that_fails_leaves_no_file(tmp_path: Path) -> None:
    def broken(value: str, path: Path) -> None:
        path.write_text(value[:3])  # half written, then the disk fills up
        raise OSError("no space left on device")

    target = tmp_path / "model.json"
    with pytest.raises(OSError, match="no space left"):
        load_or_build(target, _load, lambda: "model v1", broken)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".model.json.lock"]
