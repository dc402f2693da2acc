"""`openteller serve` as a real subprocess: start, wait until ready, find workers, kill.

The server runs in its own session (process group), so a test can SIGKILL the whole
server at once and clean-up can never leave a worker behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

STARTED = "Application startup complete."


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `openteller ARGS` in a subprocess and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "openteller", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, process group) of a live process, from /proc; None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie has exited; only its parent's wait() is missing
        return None
    return int(fields[1]), int(fields[2])


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group."""
    return [pid for pid in _pids() if (st := _stat(pid)) is not None and st[1] == pgid]


class Server:
    """One `openteller serve --workers N` subprocess on a free loopback port."""

    def __init__(self, env: dict[str, str], db_url: str, log: Path, workers: int = 2) -> None:
        self.env = env
        self.db_url = db_url
        self.log = log
        self.workers = workers
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not started"
        return self.process.pid

    def start(self, timeout: float = 30) -> None:
        """Start and wait until every worker has started and /health answers 200."""
        for _ in range(3):  # another process may take the free port before uvicorn binds it
            self.port = free_port()
            self._spawn()
            if self._wait_ready(timeout):
                return
            self.kill()
            if "address already in use" not in self.tail().lower():
                break
        raise AssertionError(f"the server did not start:\n{self.tail()}")

    def _spawn(self) -> None:
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        args += ["--workers", str(self.workers), "--db", self.db_url]
        with self.log.open("ab") as log:
            log.write(f"--- openteller {' '.join(args)}\n".encode())
            self.process = subprocess.Popen(
                [sys.executable, "-m", "openteller", *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._log_offset = self.log.stat().st_size

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            log = self.log.read_bytes()[self._log_offset :].decode(errors="replace")
            workers_up = self.workers == 1 or len(self.worker_pids()) == self.workers
            if log.count(STARTED) >= self.workers and workers_up:
                try:
                    if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                        return True
                except httpx.TransportError:
                    pass
            time.sleep(0.1)
        return False

    def worker_pids(self) -> list[int]:
        """uvicorn's worker processes: children of the server spawned by multiprocessing
        (the other child, multiprocessing's resource tracker, does not serve). With one
        worker uvicorn serves in the server process itself and this list is empty."""
        pids = []
        for pid in _pids():
            st = _stat(pid)
            if st is None or st[0] != self.pid:
                continue
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                pids.append(pid)
        return sorted(pids)

    def wait_for_workers(self, avoid: set[int], timeout: float = 20) -> list[int]:
        """Wait until `workers` workers run and none of them is in `avoid` (a restart)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == self.workers and not avoid & set(pids):
                return pids
            time.sleep(0.1)
        raise AssertionError(f"workers were not replaced (avoid {avoid}):\n{self.tail()}")

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM (graceful: uvicorn stops its workers) and wait; SIGKILL if it hangs."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        self.kill()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group (server, workers, resource tracker) and reap."""
        if self.process is None:
            return
        pgid = self.process.pid  # start_new_session: the server leads its own group
        # Once the leader is reaped its pid may be reused: signal the group only while
        # the leader is ours or members of the group are still alive.
        if self.process.poll() is None or group_members(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        self.process.wait(10)
        deadline = time.monotonic() + 10
        while group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)  # orphaned workers are reaped by init, a moment later

    def tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"
