"""Prometheus metrics of the HTTP layer.

One process (tests, `serve --workers 1`): one registry per app, so tests can build many
apps. Several worker processes: prometheus-client's multiprocess mode. It is switched on by
the library's own environment variable `PROMETHEUS_MULTIPROC_DIR` (`openteller serve`
sets it to a fresh directory when --workers > 1), which prometheus-client reads when it
is first imported: every worker then writes its values to memory-mapped files there, and
`/metrics` from any worker sums the files of all of them.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """The directory of prometheus-client's multiprocess mode, or None when it is off.

    This is prometheus-client's setting, not one of ours: the library decides at import
    time how it stores values, so we must follow the same variable, not a copy of it.
    """
    return os.environ.get(MULTIPROC_ENV) or None


class HttpMetrics:
    """Requests by method, route template and status, and their latency."""

    def __init__(self) -> None:
        self.multiproc_dir = multiprocess_dir()
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "openteller_http_requests_total",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "openteller_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition: this app's registry, or all workers' files."""
        if self.multiproc_dir is None:
            return generate_latest(self.registry)
        # A fresh registry per scrape, as prometheus-client documents for this mode: the
        # collector reads every worker's files (dead workers' counts stay in the totals).
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiproc_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
