"""Small file-system helpers shared by the packages that cache artifacts on disk."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV_MODEL_DIR = "OPENTELLER_MODEL_DIR"
DEFAULT_MODEL_DIR = Path("var/models")


def model_dir(directory: Path | None = None) -> Path:
    """Where trained models are cached: `directory`, else `$OPENTELLER_MODEL_DIR`, else
    `./var/models` (the intent model, the scorecard, the guardrails' screening model)."""
    if directory is not None:
        return directory
    env = os.environ.get(ENV_MODEL_DIR)
    return Path(env) if env else DEFAULT_MODEL_DIR


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes on `path` (POSIX `flock`; no lock where it is
    missing): two xdist workers or two API workers build a cached model once."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
