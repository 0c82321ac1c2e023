"""Serving tests' common ground: a lake whose MLflow store has tiny versions (the first is
champion), each tagged with a short evaluated strategy, and servers started for real."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from horogen.model import registry
from horogen.model.settings import GenerationSettings
from horogen.model.store import ModelStore
from horogen.model.strategy import Strategy
from horogen.serve.settings import ServeSettings
from model_support import register_versions, save_tiny_model

#: What "evaluation" stored on every test version: short texts, quick to generate.
EVALUATED = Strategy(top_p=0.9, temperature=0.8, max_new_tokens=16)
GENERATION = GenerationSettings(backend="ctranslate2", intra_threads=1)
SRC = Path(__file__).resolve().parents[1] / "src"


def serving_store(root: Path, versions: int = 2) -> ModelStore:
    """``versions`` tiny versions under ``root/lake``; version 1 is champion."""
    store = register_versions(root, versions, save_tiny_model(root / "tiny"))
    for version in range(1, versions + 1):
        store.registry.set_tags(version, {"strategy": EVALUATED.to_tag()})
    store.registry.set_alias(registry.CHAMPION, 1)
    return store


def serve_settings(**values: object) -> ServeSettings:
    return ServeSettings(**{"poll_seconds": 0.2, **values})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def horogen_env(**extra: str) -> dict[str, str]:
    """The environment of a `horogen` subprocess: this tree first, no outside settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOROGEN_", "MLFLOW_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env["HOROGEN_GENERATION__INTRA_THREADS"] = "1"
    # Best of k scores candidates as evaluation does: offline, as the demo does (no hub).
    env["HOROGEN_EVALUATE__SCORERS__ACCEPTABILITY__BACKEND"] = "orthography"
    env["HOROGEN_EVALUATE__SCORERS__DIVERSITY__BACKEND"] = "char-tfidf"
    env["HOROGEN_EVALUATE__SCORERS__SENTIMENT__BACKEND"] = "lexicon"
    return env | extra


@contextmanager
def running_server(
    lake: Path, log: Path, *args: str, env: dict[str, str] | None = None, ready: bool = True
) -> Iterator[str]:
    """``horogen serve`` on a free port; its URL once /readyz answers 200 (with ``ready``)
    or /healthz does."""
    port = free_port()
    command = [sys.executable, "-m", "horogen", "serve", "--lake", str(lake)]
    command += ["--port", str(port), *args]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, env=env or horogen_env(), stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url, "/readyz" if ready else "/healthz", server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def wait_for(
    url: str, path: str, server: subprocess.Popen, log: Path, timeout: float = 120
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert server.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        try:
            if httpx.get(url + path, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)


def wait_until(check: Callable[[], bool], what: str = "the condition", seconds: float = 60) -> None:
    """Poll `check` every 0.1 s; fail naming `what` if it is not true within `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def metric(text: str, name: str) -> float:
    """The sum of a metric's samples in Prometheus text."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and line[len(name)] in " {":
            total += float(line.rsplit(" ", 1)[1])
    return total
