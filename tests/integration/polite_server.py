"""A site on 127.0.0.1 that records when each request arrived, when it was answered and
with which headers: for the politeness tests of collection."""

from __future__ import annotations

import email.utils
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    """One request: its path, headers, and when it began and ended (time.monotonic)."""

    path: str
    headers: dict[str, str]
    started: float
    ended: float = 0.0
    status: int = 0


@dataclass
class PoliteSite:
    """Serves ``robots`` at /robots.txt and a page at any other path, with an ``ETag`` and a
    ``Last-Modified`` (a 304 when the request's validators match), each answer after
    ``delay`` seconds."""

    robots: str = "User-agent: *\nAllow: /\n"
    delay: float = 0.05
    body: str = "<html><body><p>Страница {path}</p></body></html>"
    modified: str = email.utils.formatdate(1_700_000_000, usegmt=True)
    seen: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> PoliteSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen = Seen(self.path, dict(self.headers.items()), time.monotonic())
                with site._lock:
                    site.seen.append(seen)
                time.sleep(site.delay)
                status, headers, body = site.answer(self.path, seen.headers)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                seen.ended, seen.status = time.monotonic(), status

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def etag(self, path: str) -> str:
        return '"' + hashlib.sha256(self.body.format(path=path).encode()).hexdigest()[:16] + '"'

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, self.robots.encode()
        validators = {"ETag": self.etag(path), "Last-Modified": self.modified}
        if headers.get("If-None-Match") == validators["ETag"]:
            return 304, validators, b""
        body = self.body.format(path=path).encode()
        return 200, {"Content-Type": "text/html; charset=utf-8", **validators}, body

    def pages(self) -> list[Seen]:
        """The requests for pages (robots.txt aside), in the order they arrived."""
        return [seen for seen in self.seen if seen.path != "/robots.txt"]
