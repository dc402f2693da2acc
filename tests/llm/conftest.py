"""Fixtures of the model tests: the bundled GGUF file and a real OpenAI-compatible server.

llama.cpp's server (`llama_cpp.server`, run through `openteller.llm.serve`, which only
keeps the weights out of the AMX buffers that crash on some CPUs) serves the bundled
SmolLM2 on a free loopback port once per test session (per xdist worker); tests talk to
it through the `openai` client.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from openteller.llm.llama import bundled_model_path

SERVER_MODEL = "smollm2"
START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def gguf() -> Path:
    return bundled_model_path()


@pytest.fixture(scope="session")
def llama_server(gguf: Path) -> Iterator[str]:
    """Base URL (…/v1) of a llama.cpp OpenAI-compatible server on loopback."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "openteller.llm.serve",
                "--model", str(gguf), "--model_alias", SERVER_MODEL,
                "--host", "127.0.0.1", "--port", str(port),
                "--n_ctx", "2048", "--n_threads", "1", "--seed", "42",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_ready(proc, base, log)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], base: str, log: IO[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"llama_cpp.server exited with {proc.returncode}: {log.read()[-2000:]}")
        try:
            if httpx.get(f"{base}/models", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"llama_cpp.server not ready after {START_TIMEOUT_S} s")
        time.sleep(0.2)
