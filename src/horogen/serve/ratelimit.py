"""Per-client limits on verdicts: a token bucket per address and per reader, in memory.

Each server process keeps its own buckets (several workers allow a client up to that many
times the rate); the buckets of clients that have been quiet long enough to be full again
are forgotten, so memory is bounded by the clients of the last minute.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from horogen.errors import HorogenError


class RateLimited(HorogenError):
    """Too many verdicts from one client: retry after :attr:`retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimit:
    """At most ``per_minute`` events a minute per key, in bursts of up to ``per_minute``."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._swept = clock()

    def _tokens(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - at) * self.rate)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may act again (0: now)."""
        tokens = self._tokens(key, self._clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def take(self, key: str) -> None:
        now = self._clock()
        self._buckets[key] = (self._tokens(key, now) - 1, now)
        if now - self._swept > 60:
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        self._swept = now
        full = [key for key in self._buckets if self._tokens(key, now) >= self.capacity]
        for key in full:
            del self._buckets[key]


def check(limits: dict[str, RateLimit], keys: dict[str, str]) -> None:
    """Take one token for each ``keys[kind]`` from ``limits[kind]``, or none and raise
    :class:`RateLimited` if any is exhausted."""
    waits = {kind: limits[kind].wait(key) for kind, key in keys.items()}
    worst = max(waits, key=waits.__getitem__)
    if waits[worst] > 0:
        raise RateLimited(
            f"too many verdicts from this {worst}; try again later", math.ceil(waits[worst])
        )
    for kind, key in keys.items():
        limits[kind].take(key)
