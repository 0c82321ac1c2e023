"""Two ``horogen serve`` replicas sharing the PostgreSQL cache, each following the champion.

A replica is healthy once it answers ``/healthz``; it is ready (``/readyz``) once a
champion exists and is loaded, which on a new stack is after the first DAG run.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import httpx

from horogen.stack.processes import Launcher, ProcessRecord, wait_until

REPLICAS = 2


def start(
    launcher: Launcher, env: Mapping[str, str], ports: list[int]
) -> tuple[list[ProcessRecord], list[str]]:
    """One replica on each of ``ports``; their records and URLs."""
    records, urls = [], []
    for number, port in enumerate(ports, start=1):
        command = [sys.executable, "-m", "horogen", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", "1"]
        records.append(launcher.spawn(f"serve-{number}", command, env=env))
        urls.append(f"http://127.0.0.1:{port}")
    for record, url in zip(records, urls, strict=True):
        wait_until(record, lambda url=url: healthy(url), timeout=120)
    return records, urls


def healthy(url: str) -> bool:
    return httpx.get(f"{url}/healthz", timeout=3).is_success


def ready(url: str) -> bool:
    return httpx.get(f"{url}/readyz", timeout=3).is_success
