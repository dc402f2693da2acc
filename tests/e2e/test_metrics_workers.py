"""/metrics under `openteller serve --workers 2`: requests answered by either worker are
counted once, and a scrape from any worker reports the total (prometheus-client's
multiprocess mode in a directory that `serve` creates and removes)."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import StartServer

pytestmark = pytest.mark.slow

ROUTE = "/v1/products"
REQUESTS = "openteller_http_requests_total"


def _hit(url: str, n: int, clients: int = 8) -> None:
    """`n` GETs from concurrent clients, each on a new connection: the two workers accept
    from one listening socket, so overlapping connections land on both."""

    def run(count: int) -> None:
        for _ in range(count):
            response = httpx.get(url, headers={"Connection": "close"}, timeout=30)
            assert response.status_code == 200, response.text

    threads = [threading.Thread(target=run, args=(n // clients,)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _scraped(base_url: str) -> float:
    """The request count of ROUTE (status 200) in one scrape of /metrics."""
    response = httpx.get(f"{base_url}/metrics", headers={"Connection": "close"}, timeout=30)
    assert response.status_code == 200
    return sum(
        sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == REQUESTS
        and sample.labels.get("route") == ROUTE
        and sample.labels.get("status") == "200"
    )


def _per_worker(directory: Path) -> dict[int, float]:
    """ROUTE's count in each worker's own file (counter_<pid>.db)."""
    counts: dict[int, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.split("_")[1])
        merged = MultiProcessCollector.merge([str(path)])  # type: ignore[no-untyped-call]
        counts[pid] = sum(
            sample.value
            for metric in merged
            for sample in metric.samples
            if sample.name == REQUESTS and sample.labels.get("route") == ROUTE
        )
    return counts


def test_metrics_from_any_worker_count_every_workers_requests(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server(f"sqlite:///{tmp_path / 'metrics.db'}", workers=2)
    directories = list((tmp_path / "tmp").glob("openteller-metrics-*"))
    assert len(directories) == 1, directories
    directory = directories[0]
    sent = 0
    for _ in range(10):  # more rounds until both workers have answered some
        _hit(f"{server.url}{ROUTE}", 40)
        sent += 40
        counts = _per_worker(directory)
        if sum(1 for pid, n in counts.items() if n > 0 and pid in server.worker_pids()) == 2:
            break
    assert sorted(p for p, n in counts.items() if n > 0) == server.worker_pids(), counts
    assert sum(counts.values()) == sent
    # Fresh connections, so the scrapes are answered by both workers: all see the total.
    assert [_scraped(server.url) for _ in range(6)] == [sent] * 6

    assert server.stop() == 0, server.tail()
    assert not directory.exists(), "serve left its metrics directory behind"


def test_one_worker_keeps_its_own_registry(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server(f"sqlite:///{tmp_path / 'metrics.db'}", workers=1)
    assert not list((tmp_path / "tmp").glob("openteller-metrics-*"))
    _hit(f"{server.url}{ROUTE}", 16)
    assert _scraped(server.url) == 16
