"""Running the mirror: in a background thread for tests and the demo, or in the foreground
for ``horogen mirror``."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType

import uvicorn

from horogen.errors import HorogenError
from horogen.mirror.base import SiteMirror, TextFn
from horogen.mirror.faults import Faults, RequestLog
from horogen.mirror.server import create_app
from horogen.mirror.texts import horoscope_text

DEFAULT_PORT = 8700
_STARTUP_TIMEOUT = 15.0


class MirrorServer:
    """The mirror on 127.0.0.1 in a background thread, as a context manager::

        with MirrorServer() as mirror:
            mirror.faults.set("74ru", status=503, times=2)
            httpx.get(f"{mirror.url}/74ru/horoscope/daily/?date=2024-03-01")
            assert mirror.log.count("74ru") == 1

    ``port=0`` (the default) takes a free port; ``url`` has the real one once started.
    ``today``: the day pages asked for without ``?date=`` show (default: the real today),
    so a collector that takes the mirror for the live sites sees a known day.
    """

    def __init__(
        self,
        faults: Faults | None = None,
        *,
        mirrors: Mapping[str, SiteMirror] | None = None,
        texts: TextFn = horoscope_text,
        host: str = "127.0.0.1",
        port: int = 0,
        today: dt.date | None = None,
    ) -> None:
        self.faults = Faults() if faults is None else faults
        self.log = RequestLog()
        self.app = create_app(self.faults, mirrors, texts, log=self.log, today=today)
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's base URL, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> MirrorServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,  # uvicorn's loggers go through the host's logging setup
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="horogen-mirror", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise HorogenError(f"the mirror did not start on {self.url}; see the log above")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving; hanging requests end at once with a 503."""
        if self._server is None or self._thread is None:
            return
        self.app.state.stopping.set()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=5)
        self._server = self._thread = None
        self.app.state.stopping.clear()  # the server can start again

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    faults: Faults | None = None,
    *,
    mirrors: Mapping[str, SiteMirror] | None = None,
    log_level: str = "info",
) -> None:
    """Serve the mirror in the foreground until interrupted (``horogen mirror``); uvicorn's
    messages (access log included) go through the host's logging setup."""
    app = create_app(faults, mirrors)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        log_level=log_level,
        timeout_graceful_shutdown=2,
    )
