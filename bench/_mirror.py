"""Shared by the collection benchmarks: the mirror in its own process, as `horogen mirror`,
and the days a benchmark collects."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

#: The last day the collection benchmarks collect.
LAST_DAY = dt.date(2026, 11, 24)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def mirror_process() -> Iterator[str]:
    """A `horogen mirror` process on a free port, once it answers; its URL."""
    port = free_port()
    mirror = subprocess.Popen(
        [sys.executable, "-m", "horogen", "mirror", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/robots.txt", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        mirror.terminate()
        mirror.wait()


def days_until(last: dt.date, count: int) -> list[dt.date]:
    """The ``count`` days ending with ``last``, oldest first."""
    return [last - dt.timedelta(days=offset) for offset in range(count)][::-1]
