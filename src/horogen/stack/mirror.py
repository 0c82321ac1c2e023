"""The sites' mirror (``horogen mirror``), standing in for the web: collection in the stack
goes there, as in the demo and the tests, never to the real sites."""

from __future__ import annotations

import sys
from collections.abc import Mapping

import httpx

from horogen.stack.processes import Launcher, ProcessRecord, wait_until


def start(launcher: Launcher, env: Mapping[str, str], port: int) -> tuple[ProcessRecord, str]:
    command = [sys.executable, "-m", "horogen", "mirror", "--port", str(port)]
    record = launcher.spawn("mirror", command, env=env)
    url = f"http://127.0.0.1:{port}"
    wait_until(record, lambda: healthy(url), timeout=60)
    return record, url


def healthy(url: str) -> bool:
    return httpx.get(f"{url}/robots.txt", timeout=3).is_success
