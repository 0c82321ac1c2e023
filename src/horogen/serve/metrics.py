"""Prometheus metrics of the API, and the ASGI middleware that counts requests.

With several worker processes, ``PROMETHEUS_MULTIPROC_DIR`` must name an empty folder
before this module is imported (``horogen serve --workers 2`` sees to it); ``/metrics``
then adds up every worker's values.
"""

from __future__ import annotations

import os
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

#: Latency buckets, seconds: cached answers take well under a millisecond, generation seconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

REQUESTS = Counter(
    "horogen_http_requests", "HTTP requests answered.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "horogen_http_request_seconds", "Time to answer, by route.", ["route"], buckets=BUCKETS
)
CACHE = Counter(
    "horogen_cache_lookups",
    "Texts asked for: hit (cached) or miss (generated or waited for).",
    ["result"],
)
GENERATED_TEXTS = Counter(
    "horogen_generated_texts", "Texts the model generated (every candidate of best of k)."
)
GENERATION_SECONDS = Histogram(
    "horogen_generation_seconds",
    "Time of one generation call (twelve texts, or best_of candidates of each).",
    buckets=BUCKETS,
)
UNPASSED = Counter(
    "horogen_best_of_unpassed",
    "Texts served although none of their candidates passed the checks (up to best_of_cap).",
)
SERVED_VERSION = Gauge(
    "horogen_served_model_version",
    "The registered version serving (0: a model directory).",
    multiprocess_mode="mostrecent",
)
VOTES = Counter("horogen_votes", "Readers' votes received.", ["verdict"])


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format: every worker's, when there are several."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Counts every HTTP request by route template (``/v1/horoscopes/{sign}``) and status."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[str, Any] = {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            path = getattr(scope.get("route"), "path", None) or "unmatched"
            key = (path, scope["method"], status)
            counter = self._counters.get(key)
            if counter is None:  # labels() takes a lock: look each child up once
                counter = self._counters[key] = REQUESTS.labels(path, key[1], str(status))
            counter.inc()
            histogram = self._histograms.get(path)
            if histogram is None:
                histogram = self._histograms[path] = LATENCY.labels(path)
            histogram.observe(elapsed)
