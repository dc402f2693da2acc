"""docs/api.md is a script that runs: its ```bash blocks, in order, against a real
`openteller serve` on a freshly seeded bank.

Each command must exit 0: a curl that expects success uses `--fail-with-body`, so an
error status fails the script. A curl that shows its answer uses `-i`, and the ```http
block right after its ```bash block must list, in order, the status of each `-i` answer;
the headers it shows must be in the answer and an error body's `code` must match. So an
example that drifts from the API fails here.
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import Server, cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
STATUS_LINE = re.compile(r"^HTTP/\d(?:\.\d)? (\d{3})\b.*$", re.MULTILINE)
MARKER = "@@api.md example {}@@"
MARKER_LINE = re.compile(r"^@@api\.md example (\d+)@@\n", re.MULTILINE)
# The doc's settings (its first ```bash block), replaced by the test bank's.
SETTINGS = ("BASE", "USERNAME", "PASSWORD", "STAFF_PASSWORD", "ANALYST_PASSWORD")
MIN_CURL = (7, 76)  # --fail-with-body


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    line: int  # first line of the block in the doc, for messages


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: str


@dataclass(frozen=True)
class Example:
    block: Block
    expected: list[Response]  # the ```http block right after it; empty when none


def read_blocks(markdown: str) -> list[Block]:
    """Fenced code blocks in order."""
    return [
        Block(m.group(1), m.group(2), markdown.count("\n", 0, m.start()) + 1)
        for m in FENCE.finditer(markdown)
    ]


def read_examples(blocks: list[Block]) -> list[Example]:
    """Every ```bash block with the answers the ```http block after it shows."""
    found = []
    for i, block in enumerate(blocks):
        if block.lang != "bash":
            continue
        after = blocks[i + 1] if i + 1 < len(blocks) else None
        expected = parse_responses(after.text) if after and after.lang == "http" else []
        found.append(Example(block, expected))
    return found


def parse_responses(text: str) -> list[Response]:
    """HTTP answers as `curl -i` prints them (and as the doc shows them), one after
    another; interim 1xx answers are left out."""
    text = text.replace("\r\n", "\n")
    starts = [m.start() for m in STATUS_LINE.finditer(text)] + [len(text)]
    responses = []
    for start, end in itertools.pairwise(starts):
        head, _, body = text[start:end].partition("\n\n")
        status_line, *header_lines = head.splitlines()
        status = int(status_line.split()[1])
        if status < 200:
            continue
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        responses.append(Response(status, headers, body.strip()))
    return responses


def curl_calls(script: str) -> list[str]:
    """Each curl command of a script, from `curl` to the end of its (joined) line."""
    calls = []
    for line in script.replace("\\\n", " ").splitlines():
        if line.lstrip().startswith("#"):
            continue
        calls += ["curl" + part for part in re.split(r"\bcurl\b", line)[1:]]
    return calls


def _has_flag(call: str, flag: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", call) is not None


def _doc_examples() -> list[Example]:
    return read_examples(read_blocks(DOC.read_text()))


def _settings_in_doc() -> dict[str, str]:
    """The values the doc gives its settings (the demo bank's logins)."""
    values = {}
    for example in _doc_examples():
        for name in SETTINGS:
            for m in re.finditer(rf"^{name}=(\S+)", example.block.text, re.MULTILINE):
                values[name] = m.group(1)
    return values


def test_every_example_says_how_it_is_checked() -> None:
    """Every curl either fails on an error status or shows its status in an ```http
    block, and each such block lists exactly the statuses of its `-i` calls."""
    examples = _doc_examples()
    assert len(examples) > 30
    for example in examples:
        calls = curl_calls(example.block.text)
        shown = [c for c in calls if _has_flag(c, "-i")]
        for call in calls:
            assert _has_flag(call, "-i") != _has_flag(call, "--fail-with-body"), (
                f"docs/api.md line {example.block.line}: use exactly one of -i "
                f"and --fail-with-body: {call}"
            )
        assert len(shown) == len(example.expected), (
            f"docs/api.md line {example.block.line}: {len(shown)} curl -i calls, "
            f"{len(example.expected)} answers in the ```http block after them"
        )
    assert sorted(_settings_in_doc()) == sorted(SETTINGS)


@pytest.mark.slow
def test_the_documented_logins_are_the_demo_banks(base_env: dict[str, str], tmp_path: Path) -> None:
    """`make demo` seeds with --seed 42: the doc's logins must be that bank's."""
    seeded = _seed(base_env, tmp_path / "demo.db", "--seed", "42", "--customers", "2")
    staff = {s["role"]: s["password"] for s in seeded["staff_logins"]}
    customer = seeded["logins"][1]
    assert _settings_in_doc() == {
        "BASE": "http://127.0.0.1:8000",
        "USERNAME": customer["username"],
        "PASSWORD": customer["password"],
        "STAFF_PASSWORD": staff["compliance"],
        "ANALYST_PASSWORD": staff["analyst"],
    }


@pytest.mark.slow
def test_the_examples_run_against_a_real_server(base_env: dict[str, str], tmp_path: Path) -> None:
    """Seed a small bank, serve it, run every ```bash block of the doc in one bash
    process with the doc's settings pointed at it, and compare the answers."""
    _require_curl()
    db = tmp_path / "doc.db"
    seeded = _seed(base_env, db, "--seed", "5", "--customers", "3", "--as-of", "2026-10-31")
    staff = {s["role"]: s["password"] for s in seeded["staff_logins"]}
    # The second customer, like the doc's: checking and savings accounts and a card.
    customer = seeded["logins"][1]
    examples = _doc_examples()
    server = Server(base_env, f"sqlite:///{db}", tmp_path / "server.log", workers=1)
    try:
        server.start()
        values = {
            "BASE": server.url,
            "USERNAME": customer["username"],
            "PASSWORD": customer["password"],
            "STAFF_PASSWORD": staff["compliance"],
            "ANALYST_PASSWORD": staff["analyst"],
        }
        done = _run(examples, values, base_env, tmp_path)
        outputs = _split(done.stdout)
        last = max(outputs, default=0)
        assert done.returncode == 0, (
            f"the example at docs/api.md line {examples[last].block.line} failed "
            f"(exit {done.returncode}):\n{outputs.get(last, '')}\n"
            f"stderr:\n{done.stderr[-3000:]}\nserver log:\n{server.tail(2000)}"
        )
    finally:
        server.stop()
    assert sorted(outputs) == list(range(len(examples)))
    for i, example in enumerate(examples):
        _check(example, outputs[i])


def _check(example: Example, output: str) -> None:
    """The answers of the example's `-i` calls are what its ```http block shows."""
    where = f"docs/api.md line {example.block.line}"
    actual = parse_responses(output)
    assert [r.status for r in actual] == [r.status for r in example.expected], (
        f"{where}: statuses differ from the doc:\n{output}"
    )
    for shown, got in zip(example.expected, actual, strict=True):
        for name, value in shown.headers.items():
            assert name in got.headers, f"{where}: no {name} header in:\n{output}"
            if value != "...":
                assert got.headers[name] == value, f"{where}: {name} differs:\n{output}"
        code = _error_code(shown.body)
        if code is not None:
            assert _error_code(got.body) == code, f"{where}: error code differs:\n{output}"


def _error_code(body: str) -> str | None:
    """`error.code` of an error envelope; None for any other body."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
        return str(parsed["error"].get("code"))
    return None


def _split(stdout: str) -> dict[int, str]:
    """Each example's output, by index, cut at the marker lines."""
    parts = re.split(MARKER_LINE, stdout)
    return {int(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _seed(env: dict[str, str], db: Path, *args: str) -> dict[str, Any]:
    done = cli(env, "seed", "--months", "1", *args, "--json", "--db", f"sqlite:///{db}")
    assert done.returncode == 0, done.stderr
    seeded: dict[str, Any] = json.loads(done.stdout)
    return seeded


def _require_curl() -> None:
    try:
        version = subprocess.run(
            ["curl", "--version"], capture_output=True, text=True, check=True
        ).stdout.split()[1]
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("curl is not installed")
    found = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if found < MIN_CURL:
        pytest.skip(f"curl {version} lacks --fail-with-body (7.76 or newer needed)")


def _run(
    examples: list[Example], values: dict[str, str], env: dict[str, str], workdir: Path
) -> subprocess.CompletedProcess[str]:
    """All examples as one bash script (later blocks use what earlier ones set), each
    preceded by a marker line on stdout."""
    script = ["set -euo pipefail"]
    replaced = dict.fromkeys(SETTINGS, 0)
    for i, example in enumerate(examples):
        text = example.block.text
        for name, value in values.items():
            text, n = _set(text, name, value)
            replaced[name] += n
        script += [f"printf '\\n%s\\n' {shlex.quote(MARKER.format(i))}", text]
    assert replaced == dict.fromkeys(SETTINGS, 1), f"each setting is set once: {replaced}"
    # Not the ~/.curlrc of whoever runs the tests, and no request may hang the script.
    curl_home = workdir / "curl-home"
    curl_home.mkdir()
    (curl_home / ".curlrc").write_text("max-time = 20\n")
    python_bin = str(Path(sys.executable).parent)
    run_env = {
        **env,
        "PATH": f"{python_bin}:{env.get('PATH', '')}",  # the doc's `python3`
        "CURL_HOME": str(curl_home),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    return subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=workdir,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _set(script: str, name: str, value: str) -> tuple[str, int]:
    """Replace the value of `NAME=...` lines (a comment after the value stays)."""
    line = f"{name}={shlex.quote(value)}"
    return re.subn(rf"^{name}=\S+", lambda _: line, script, flags=re.MULTILINE)
