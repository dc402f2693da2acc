"""API load: requests per second and latency of `openteller serve --workers 2` on PostgreSQL.

The benchmark creates a fresh PostgreSQL database (dropped at the end), seeds a demo bank
with the CLI, starts `openteller serve` on a free loopback port and drives it from a
SECOND process (this file with ``--client``: asyncio + httpx, one keep-alive connection
per concurrent client) for a fixed time per scenario:

- ``balances``: GET /v1/accounts/{id}/balances, each client signed in as its own customer;
- ``payments``: POST /v1/payments from the customer's checking to their savings (0.01),
  a new Idempotency-Key each time;
- ``chat``: POST /v1/chat, assistant turns (balance, transaction search, spending, a fee
  question answered from the documents) in one session per client; always driven by the
  httpx client (a turn costs tens of milliseconds, so the client is not the limit).

Each scenario warms up first (not measured). Reported per scenario: requests, req/s, mean,
p50 and p99 latency in ms and errors (non-2xx answers and transport errors, by kind);
then the payments found in the database and `openteller ledger check`. The API's rate
limiter is switched off for the run (OPENTELLER_RATE_LIMIT_PER_MINUTE=0): this measures
the service, not the limiter. It prints ONE JSON line on stdout::

    .venv/bin/python bench/api_load.py                  # 20 s per scenario, 32 clients
    .venv/bin/python bench/api_load.py --seconds 5 --scenarios balances

PostgreSQL: OPENTELLER_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test)
names the server; the benchmark creates and drops its own database there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from openteller.core.db import normalize_url

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SCENARIOS = ("balances", "payments", "chat")
# What a chat client says, in a loop, in one session per client (no LLM: the extractive
# provider answers the fee question from the knowledge base).
CHAT_MESSAGES = (
    "what's my balance",
    "show my transactions last month",
    "how much did I spend this month",
    "what is the fee for an outgoing domestic wire?",
)
CHAT_WARMUP_S = 20.0  # the first turn of each worker loads the NLU model and the index
# From the issue: what the API must sustain on the development VM.
TARGETS = {"balances_per_s": 1000, "payments_per_s": 300, "p99_ms": 100, "errors": 0}


# ------------------------------------------------------------------- the client process


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def _request(
    scenario: str, customer: dict[str, Any], n: int, client: str, session: str | None = None
) -> dict[str, Any]:
    """Method, path, headers and body of the n-th request of one client."""
    headers = {"Authorization": f"Bearer {customer['token']}"}
    if scenario == "chat":
        return {
            "method": "POST",
            "url": "/v1/chat",
            "json": {"message": CHAT_MESSAGES[n % len(CHAT_MESSAGES)], "session_id": session},
            "headers": headers,
        }
    if scenario == "balances":
        return {
            "method": "GET",
            "url": f"/v1/accounts/{customer['checking']}/balances",
            "headers": headers,
        }
    key = f"{client}-{n}"  # unique in the run: a new payment each time
    body = {
        "from_account_id": customer["checking"],
        "to_account_id": customer["savings"],
        "amount": "0.01",
        "currency": "USD",
        "description": f"bench {key}",
    }
    return {
        "method": "POST",
        "url": "/v1/payments",
        "json": body,
        "headers": {**headers, "Idempotency-Key": key},
    }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    """Run every client of one scenario until the deadline; latencies of measured calls."""
    scenario: str = spec["scenario"]
    customers: list[dict[str, Any]] = spec["customers"]
    concurrency: int = spec["concurrency"]
    clients = range(concurrency)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    clock = time.perf_counter
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=spec["base_url"], limits=limits, timeout=30) as client:

        async def one(worker: int, phase: str, until: float, measure: bool) -> None:
            customer = customers[worker % len(customers)]
            n = 0
            session: str | None = None
            while clock() < until:
                request = _request(scenario, customer, n, f"{phase}{worker}", session)
                n += 1
                started = clock()
                try:
                    response = await client.request(**request)
                    failed = None if response.is_success else f"http_{response.status_code}"
                    if scenario == "chat" and failed is None:
                        session = response.json()["session_id"]
                except httpx.HTTPError as exc:
                    failed = type(exc).__name__
                if measure:
                    latencies.append(clock() - started)
                    if failed is not None:
                        errors[failed] += 1

        await asyncio.gather(*(one(w, "w", clock() + spec["warmup"], False) for w in clients))
        cpu_before = _cpu_s()
        started = clock()
        until = started + spec["seconds"]
        await asyncio.gather(*(one(w, "m", until, True) for w in clients))
        elapsed = clock() - started
        cpu = _cpu_s() - cpu_before
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "per_s": round(len(latencies) / elapsed, 1),
        "mean_ms": round(1000 * sum(latencies) / max(1, len(latencies)), 3),
        "p50_ms": round(1000 * percentile(latencies, 50), 3),
        "p99_ms": round(1000 * percentile(latencies, 99), 3),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        # CPU the load generator used while measuring: near `seconds` means one core was
        # busy generating load (the client, not the server, may have been the limit).
        "client_cpu_s": round(cpu, 2),
    }


def client_main() -> int:
    """`--client`: read a scenario spec (JSON) on stdin, print its figures (JSON)."""
    spec = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(_drive(spec))), flush=True)
    return 0


# ----------------------------------------------------------------------------- set-up


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openteller", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def _start_server(
    env: dict[str, str], db: str, workers: int, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """`openteller serve` in its own process group; (process, base URL) once /health is ok."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openteller",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--db",
                db,
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        started = log.read_text(errors="replace").count("Application startup complete.")
        if process.poll() is not None:
            break
        if started >= workers:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/health", timeout=5).status_code == 200:
                    return process, base_url
        time.sleep(0.1)
    _stop_server(process)
    raise RuntimeError(f"the server did not start: {log.read_text(errors='replace')[-2000:]}")


def _stop_server(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn stops its workers), then SIGKILL the whole group if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def _sign_in(base_url: str, db: str, logins: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A token, the checking and the savings account of each customer."""
    engine = create_engine(normalize_url(db))
    customers = []
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT customer_id, CAST(kind AS TEXT) AS kind, min(id) AS id FROM accounts "
                    "WHERE kind IN ('checking', 'savings') GROUP BY customer_id, kind"
                )
            ).all()
        accounts = {(r.customer_id, r.kind): int(r.id) for r in rows}
        for login in logins:
            cid = int(login["customer_id"])
            if (cid, "checking") not in accounts or (cid, "savings") not in accounts:
                continue
            form = {
                "grant_type": "password",
                "username": login["username"],
                "password": login["password"],
            }
            response = httpx.post(f"{base_url}/v1/auth/token", data=form, timeout=30)
            response.raise_for_status()
            customers.append(
                {
                    "customer_id": cid,
                    "token": response.json()["access_token"],
                    "checking": accounts[(cid, "checking")],
                    "savings": accounts[(cid, "savings")],
                }
            )
    finally:
        engine.dispose()
    return customers


# wrk (C, event loop) as the load generator: it costs the 2-core machine far less CPU than
# a Python client, so more of it is left to the server. One Lua state per wrk thread; each
# request takes the next customer in turn, and payment keys are unique per thread.
WRK_SCRIPT = r"""
local customers, n = {}, 0
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function init(args)
  for line in io.lines(args[1]) do
    local token, checking, savings = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)")
    customers[#customers + 1] = {token = token, checking = checking, savings = savings}
  end
  phase = args[2]
  scenario = args[3]
end
function request()
  n = n + 1
  local c = customers[(n % #customers) + 1]
  local headers = {Authorization = "Bearer " .. c.token}
  if scenario == "balances" then
    return wrk.format("GET", "/v1/accounts/" .. c.checking .. "/balances", headers)
  end
  local key = phase .. tid .. "-" .. n
  headers["Idempotency-Key"] = key
  headers["Content-Type"] = "application/json"
  local body = '{"from_account_id": ' .. c.checking .. ', "to_account_id": ' .. c.savings
    .. ', "amount": "0.01", "currency": "USD", "description": "bench ' .. key .. '"}'
  return wrk.format("POST", "/v1/payments", headers, body)
end
function done(summary, latency, requests)
  io.write(string.format(
    "WRK %d %d %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
  io.write(string.format("WRKMEAN %f\n", latency.mean))
end
"""


def _run_wrk(spec: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """One scenario with wrk: a warm-up run, then the measured run."""
    script = workdir / "load.lua"
    script.write_text(WRK_SCRIPT)
    people = workdir / "customers.tsv"
    people.write_text(
        "".join(f"{c['token']}\t{c['checking']}\t{c['savings']}\n" for c in spec["customers"])
    )
    figures: dict[str, Any] = {}
    for phase, seconds in (("w", spec["warmup"]), ("m", spec["seconds"])):
        started_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [
                "wrk", "-t2", f"-c{spec['concurrency']}", f"-d{max(1, round(seconds))}s",
                "--latency", "--timeout", "10s", "-s", str(script), spec["base_url"],
                "--", str(people), phase, spec["scenario"],
            ],
            capture_output=True, text=True, timeout=seconds + 60, check=False,
        )  # fmt: skip
        ended_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")
        if phase == "w":
            continue
        total, micros, status, *transport, p50, p99 = (int(x) for x in line.split()[1:])
        mean = float(
            next(x for x in done.stdout.splitlines() if x.startswith("WRKMEAN")).split()[1]
        )
        elapsed = micros / 1e6
        kinds = {
            "non_2xx": status,
            **dict(zip(("connect", "read", "write", "timeout"), transport, strict=True)),
        }
        figures = {
            "requests": total,
            "seconds": round(elapsed, 3),
            "per_s": round(total / elapsed, 1),
            "mean_ms": round(mean / 1000, 3),
            "p50_ms": round(p50 / 1000, 3),
            "p99_ms": round(p99 / 1000, 3),
            "errors": sum(kinds.values()),
            "error_kinds": {k: v for k, v in kinds.items() if v},
            "client_cpu_s": round(
                ended_cpu.ru_utime
                + ended_cpu.ru_stime
                - started_cpu.ru_utime
                - started_cpu.ru_stime,
                2,
            ),
        }
    return figures


def _run_client(spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--client"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=spec["warmup"] + spec["seconds"] + 120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load client failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command name) of every process on the machine."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                head, tail = (entry / "stat").read_text().rsplit(")", 1)
            except OSError:
                continue
            found.append((int(entry.name), int(tail.split()[1]), head.split("(", 1)[1]))
    return found


def _cpu_snapshot(server_pid: int) -> tuple[float, float]:
    """CPU seconds so far of (the server and its workers, every PostgreSQL process)."""
    table = _processes()
    tree = {server_pid}
    grew = True
    while grew:
        more = {pid for pid, parent, _ in table if parent in tree} - tree
        grew = bool(more)
        tree |= more
    server = sum(_proc_cpu_s(pid) for pid in tree)
    postgres = sum(_proc_cpu_s(pid) for pid, _, name in table if name.startswith("postgres"))
    return server, postgres


def _bench(args: argparse.Namespace, db: str, workdir: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENTELLER_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        {
            "OPENTELLER_ENVIRONMENT": "test",
            "OPENTELLER_SECRET_KEY": secrets.token_urlsafe(48),
            # Only the sign-in before the load verifies passwords: cheap hashes, fast set-up.
            "OPENTELLER_PASSWORD_HASH_MEMORY_KIB": "64",
            "OPENTELLER_PASSWORD_HASH_TIME_COST": "1",
            "OPENTELLER_RATE_LIMIT_PER_MINUTE": "0",
            "TMPDIR": str(workdir),
        }
    )
    started = time.perf_counter()
    seeded = _cli(
        env,
        "seed",
        "--customers",
        str(args.customers),
        "--months",
        str(args.months),
        "--seed",
        str(args.seed),
        "--reset",
        "--json",
        "--db",
        db,
    )
    if seeded.returncode != 0:
        raise RuntimeError(f"seeding failed: {seeded.stderr[-2000:]}")
    logins = json.loads(seeded.stdout)["logins"]
    if "chat" in args.scenarios:
        # The intent model and the document index are built once, before the server starts
        # (as `make demo` does): the measured turns load them, they do not build them.
        for command in (("nlu", "train"), ("kb", "ingest", "--db", db)):
            done = _cli(env, *command)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = {"setup_s": 0.0}
    process, base_url = _start_server(env, db, args.workers, workdir / "server.log")
    try:
        customers = _sign_in(base_url, db, logins)
        result["setup_s"] = round(time.perf_counter() - started, 2)
        result["signed_in_customers"] = len(customers)
        for scenario in args.scenarios:
            spec = {
                "scenario": scenario,
                "customers": customers,
                "base_url": base_url,
                "concurrency": args.concurrency,
                "seconds": args.seconds,
                "warmup": max(args.warmup, CHAT_WARMUP_S) if scenario == "chat" else args.warmup,
            }
            before = _cpu_snapshot(process.pid)
            use_wrk = args.load == "wrk" and scenario != "chat"
            figures = _run_wrk(spec, workdir) if use_wrk else _run_client(spec)
            after = _cpu_snapshot(process.pid)
            # CPU of the whole scenario (warm-up included), shared out over the measured
            # share of it: an estimate of what one request costs each side.
            measured = args.seconds / (args.seconds + spec["warmup"])
            requests = max(1, figures["requests"])
            for side, i in (("server", 0), ("postgres", 1)):
                used = after[i] - before[i]
                figures[f"{side}_cpu_s"] = round(used, 2)
                figures[f"{side}_cpu_ms_per_request"] = round(used * measured / requests * 1000, 3)
            result[scenario] = figures
    finally:
        _stop_server(process)
    check = _cli(env, "ledger", "check", "--db", db)
    result["check_ok"] = check.returncode == 0
    if "payments" in result:
        engine = create_engine(normalize_url(db))
        with engine.connect() as conn:
            # Payments of the measured run ('m' keys; the warm-up's are 'w'): should equal
            # the requests that were answered 201.
            result["payments"]["posted_in_db"] = int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM transfers WHERE description LIKE 'bench m%' "
                        "AND CAST(status AS TEXT) = 'posted'"
                    )
                ).scalar_one()
            )
        engine.dispose()
    return result


def _targets(result: dict[str, Any]) -> dict[str, bool]:
    met: dict[str, bool] = {}
    for scenario in SCENARIOS:
        figures = result.get(scenario)
        if figures is None or scenario == "chat":  # chat: measured, no target set
            continue
        met[f"{scenario}_per_s"] = figures["per_s"] >= TARGETS[f"{scenario}_per_s"]
        met[f"{scenario}_p99_ms"] = figures["p99_ms"] <= TARGETS["p99_ms"]
        met[f"{scenario}_errors"] = figures["errors"] <= TARGETS["errors"]
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20, help="measured time per scenario")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured time first")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--customers", type=int, default=50, help="demo bank customers")
    parser.add_argument("--months", type=int, default=3, help="months of seeded history")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument(
        "--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS), metavar="NAME"
    )
    parser.add_argument(
        "--load",
        choices=("wrk", "httpx"),
        default="wrk" if shutil.which("wrk") else "httpx",
        help="load generator: wrk when installed (apt-get install wrk), else Python httpx",
    )
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        return client_main()
    if args.seconds <= 0 or args.concurrency < 1 or args.customers < 1:
        parser.error("--seconds, --concurrency and --customers must be positive")

    url = os.environ.get("OPENTELLER_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    result: dict[str, Any] = {
        "benchmark": "api_load",
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "params": {
            "seconds": args.seconds,
            "warmup": args.warmup,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "customers": args.customers,
            "months": args.months,
            "seed": args.seed,
            "client": "wrk -t2, keep-alive"
            if args.load == "wrk"
            else "httpx.AsyncClient, keep-alive",
            "rate_limit": "off",
        },
        "targets": TARGETS,
    }
    admin = create_engine(
        normalize_url(url), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as conn:
            result["server_version"] = str(conn.execute(text("SHOW server_version")).scalar_one())
    except OperationalError as exc:
        admin.dispose()
        result["skipped"] = f"no PostgreSQL server answers at {url}: {str(exc.orig).strip()}"
        print(json.dumps(result), flush=True)
        return 1
    name = f"ot_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory(prefix="ot-api-load-") as workdir:
            result.update(_bench(args, db, Path(workdir)))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    result["met"] = _targets(result)
    print(json.dumps(result), flush=True)
    return 0 if result.get("check_ok") else 1


if __name__ == "__main__":
    sys.exit(main())
