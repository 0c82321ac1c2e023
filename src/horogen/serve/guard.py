"""Limits a hostile client meets before anything parses its request.

Two layers, because each sees what the other cannot:

- :class:`GuardedHttpTools`, uvicorn's httptools protocol with limits on the request line
  and headers (count and bytes: 431) and a deadline for them (a client that dribbles its
  headers is cut off), enforced while the bytes arrive, so 20 MB of headers never sit in
  memory;
- :class:`BodyGuard`, ASGI middleware that refuses a body over ``max_body_bytes`` from its
  ``Content-Length`` before reading it, counts a chunked one as it streams (413 at the
  limit) and gives a slow body ``body_timeout`` seconds (408).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


@dataclass(frozen=True)
class HeaderLimits:
    max_headers: int = 64
    max_header_bytes: int = 16384
    header_timeout: float = 10.0


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, with :attr:`limits` on what precedes the body.
    ``horogen serve`` sets :attr:`limits` from ``[serve]`` in each worker process."""

    limits = HeaderLimits()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._refused: bytes | None = None
        self._header_bytes = 0
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self._refuse(408, b"Request Timeout", b"the request's headers came too slowly")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if self._header_timer is None:  # a kept-alive connection's next request
            self._arm()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        if len(self.headers) >= self.limits.max_headers:
            self._over()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.limits.max_header_bytes:
            self._over()

    def _over(self) -> None:
        self._refused = b"the request's headers are too large"
        raise HeadersTooLarge  # httptools stops parsing; data_received answers below

    def send_400_response(self, msg: str) -> None:
        if self._refused is None:
            super().send_400_response(msg)
        else:
            self._refuse(431, b"Request Header Fields Too Large", self._refused)

    def _refuse(self, status: int, reason: bytes, detail: bytes) -> None:
        self._disarm()
        body = json.dumps({"detail": detail.decode()}).encode()
        head = b"HTTP/1.1 %d %s\r\n" % (status, reason)
        headers = b"content-type: application/json\r\ncontent-length: %d\r\n" % len(body)
        self.transport.write(head + headers + b"connection: close\r\n\r\n" + body)
        self.transport.close()


class HeadersTooLarge(Exception):
    """Raised inside httptools' callbacks to stop parsing a request over the limits."""


class BodyGuard:
    """ASGI middleware: bodies bounded in size (413) and time (408) before the app reads
    them."""

    def __init__(self, app: Any, *, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > self.max_bytes:
            await _answer(send, 413, f"the body is over {self.max_bytes} bytes")
            return
        received = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        started = False

        async def guarded_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def guarded_receive() -> Any:
            nonlocal received, deadline
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyRefused(408, "the body came too slowly") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyRefused(413, f"the body is over {self.max_bytes} bytes")
                if not message.get("more_body", False):
                    deadline = float("inf")  # read: a later receive waits for a disconnect
            return message

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except BodyRefused as refused:
            if not started:
                await _answer(send, refused.status_code, refused.detail)


class BodyRefused(HTTPException):
    """Raised from ``receive``: an HTTPException, so FastAPI's body reading passes it on and
    its handler answers with the status (a plain exception there would become a 400)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail, headers={"Connection": "close"})


def _content_length(scope: dict) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    if status in (408, 413):
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
