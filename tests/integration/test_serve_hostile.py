"""``horogen serve`` (uvicorn, for real) against the hostile requests of issue 16: JSON
that is not JSON, bodies and headers too large, clients too slow. Each answer is a clear
4xx, never a 500, and refused before it is parsed."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from horogen.serve.settings import ServeSettings
from serve_support import horogen_env, running_server, serving_store


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("hostile")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        store = serving_store(root, versions=1)
    env = horogen_env(
        HOROGEN_SERVE__HEADER_TIMEOUT="1",
        HOROGEN_SERVE__BODY_TIMEOUT="1",
        HOROGEN_SERVE__VERDICTS_PER_MINUTE="1000",
    )
    with running_server(Path(store.lake.root), root / "server.log", env=env) as served:
        yield served


@pytest.fixture(scope="module")
def reader(url: str) -> Iterator[tuple[httpx.Client, dict]]:
    """A reader who has read today's leo: the client (with the cookie) and the text."""
    with httpx.Client(base_url=url, timeout=120) as client:
        text = client.get("/v1/horoscopes/leo").json()
        yield client, text


def raw(url: str, data: bytes, *, wait: float = 0.0, timeout: float = 10.0) -> bytes:
    """Send ``data`` on a fresh connection (after ``wait`` seconds, nothing more) and read
    until the server closes it."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as connection:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(data)  # refused mid-send: what it answered is still to read
        time.sleep(wait)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        return answer


@pytest.mark.parametrize(
    "body",
    [
        b'{"verdict": NaN, "ticket": "AAAAAAAAAA", "model": "horogen/1"}',
        b'{"verdict": "like", "ticket": "AAAAAAAAAA", "model": "horogen/1", "date": Infinity}',
        b'{"verdict": -Infinity, "ticket": "AAAAAAAAAA", "model": "horogen/1"}',
        b'{"verdict": 1e999, "ticket": "AAAAAAAAAA", "model": "horogen/1"}',
        b'{"verdict": "like", "ticket": "AAAAAAAAAA", "model": "\\ud800"}',
        b'{"verdict": "\\udfff", "ticket": "AAAAAAAAAA", "model": "horogen/1"}',
        b'{"\\ud83d": 1, "verdict": "like", "ticket": "AAAAAAAAAA", "model": "horogen/1"}',
        b"[NaN]",
        b'{"verdict": "like", "model": "\xff\xfe"}',
    ],
)
def test_json_that_is_not_json_is_a_422(reader, body: bytes) -> None:
    """The probe: seven such bodies answered 500 (the 422 handler could not write them)."""
    client, _ = reader
    answer = client.post(
        "/v1/horoscopes/leo/feedback", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"]


def test_a_422_echoes_a_bounded_excerpt(reader) -> None:
    client, text = reader
    huge = "ж" * 100_000
    body = {"verdict": "like", "ticket": text["ticket"], "model": huge}
    answer = client.post("/v1/horoscopes/leo/feedback", json=body)
    assert answer.status_code in (413, 422), answer.text
    small = {"verdict": "like", "ticket": text["ticket"], "model": "ж" * 600}
    answer = client.post("/v1/horoscopes/leo/feedback", json=small)
    assert answer.status_code == 422
    assert len(answer.content) < 1500
    assert answer.json()["detail"][0]["input"].endswith("…")


def test_a_large_body_is_refused_before_it_is_read(url: str, reader) -> None:
    """The probe: a 10 MB JSON list blocked a worker for 6 s; 100 MB were accepted."""
    client, _ = reader
    big = b"[" + b"1," * 5_000_000 + b"1]"
    started = time.monotonic()
    answer = client.post(
        "/v1/horoscopes/leo/feedback", content=big, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413, answer.text
    assert time.monotonic() - started < 3

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b"["
        for _ in range(1000):
            yield b"1," * 5000
        yield b"1]"

    answer = client.post(
        "/v1/horoscopes/leo/feedback",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 413, answer.text


def test_too_many_or_too_large_headers_are_a_431(url: str) -> None:
    """The probe: 20 MB of headers were accepted, 8 such requests at once held 200 MB."""
    big = b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000_000 + b"\r\n\r\n"
    started = time.monotonic()
    answer = raw(url, big)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert time.monotonic() - started < 5
    many = b"GET /livez HTTP/1.1\r\nHost: x\r\n"
    many += b"".join(b"X-H%d: 1\r\n" % i for i in range(200)) + b"\r\n"
    assert raw(url, many).startswith(b"HTTP/1.1 431")
    fine = b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert raw(url, fine).startswith(b"HTTP/1.1 200")


def test_slow_clients_are_cut_off(url: str) -> None:
    started = time.monotonic()
    answer = raw(url, b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finishes
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 5
    head = b"POST /v1/horoscopes/leo/feedback HTTP/1.1\r\nHost: x\r\n"
    head += b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    started = time.monotonic()
    answer = raw(url, head)  # 1 of 100 bytes, then silence
    assert b" 408 " in answer.split(b"\r\n")[0], answer[:200]
    assert time.monotonic() - started < 5


def test_the_server_still_answers_and_readers_still_vote(url: str, reader) -> None:
    client, text = reader
    body = {"verdict": "like", "ticket": text["ticket"], "model": text["model"]}
    answer = client.post("/v1/horoscopes/leo/feedback", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["likes"] >= 1
    today = ServeSettings().today()
    assert text["date"] == today.isoformat() and dt.date.fromisoformat(text["date"]) == today
    assert json.loads(httpx.get(f"{url}/livez").text) == {"status": "ok"}
