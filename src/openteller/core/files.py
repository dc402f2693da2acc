"""Small file-system helpers shared by the packages that cache artifacts on disk."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

_T = TypeVar("_T")

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


def load_or_build(
    path: Path,
    load: Callable[[Path], _T | None],
    build: Callable[[], _T],
    save: Callable[[_T, Path], None],
) -> _T:
    """The artifact cached at `path` (`load` gives None when it is absent or unreadable),
    else `build` it and `save` it there. Processes starting at once build it once: the
    others wait on a lock beside the file, then load what the first one saved. The file
    appears whole or not at all (saved beside it, then renamed), so a crash mid-write
    leaves nothing half-written to load."""
    found = load(path)
    if found is not None:
        return found
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path.with_name(f".{path.name}.lock")):
        found = load(path)
        if found is None:
            found = build()
            partial = path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")
            try:
                save(found, partial)
                partial.replace(path)
            finally:
                partial.unlink(missing_ok=True)
    return found
