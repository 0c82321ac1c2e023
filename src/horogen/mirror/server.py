"""The mirror server: every site's pages from one local HTTP server, for any date, with faults.

Routes (``create_app``):

- ``GET /{source}/{path}?date=YYYY-MM-DD``: the site's page as the site shows it on that
  day; without ``date`` (a collector that takes the mirror for the live sites), on the
  mirror's today: the real today, or the one it was started with. 404 for an unknown site
  or page, 400 for a bad date;
- ``GET /_redirect/{path}``: a 301 to ``/{path}`` (same query), as a site that moved;
- ``GET /robots.txt`` (also ``/{source}/robots.txt``): allows everything unless a fault
  disallows a source's prefix;
- ``GET /``: an index of the sites with links to today's pages;
- ``GET``/``PUT``/``DELETE /_faults``: read, replace or clear the faults, e.g.
  ``curl -X PUT localhost:8700/_faults -d '{"74ru": {"status": 503, "times": 2}}'``;
- ``GET /_requests``: how many requests each site got.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import html
import re
import threading
from collections.abc import Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from horogen.collect.sites import SOURCES
from horogen.mirror.base import SiteMirror, TextFn
from horogen.mirror.faults import Fault, Faults, RequestLog
from horogen.mirror.texts import horoscope_text

#: How long a hanging response waits (it stops early when the client disconnects).
HANG_SECONDS = 3600.0
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def create_app(
    faults: Faults | None = None,
    mirrors: Mapping[str, SiteMirror] | None = None,
    texts: TextFn = horoscope_text,
    log: RequestLog | None = None,
    today: dt.date | None = None,
) -> FastAPI:
    """The mirror as an ASGI app: ``mirrors`` (default: every site in
    ``horogen.mirror.sites.MIRRORS``) with ``texts``, faults from ``faults`` (changeable
    while it runs), requests recorded in ``log``; both are also on ``app.state``. ``today``:
    the day a page asked for without ``?date=`` shows (default: the real today).

    Setting ``app.state.stopping`` (a ``threading.Event``) ends hanging requests with a 503,
    so a server can stop at once."""
    if mirrors is None:
        from horogen.mirror.sites import MIRRORS

        mirrors = MIRRORS
    faults = Faults() if faults is None else faults
    log = RequestLog() if log is None else log

    app = FastAPI(
        title="horogen mirror",
        description="Horoscope sites in their real layouts, for any date, with injected faults.",
    )
    app.state.faults = faults
    app.state.log = log
    app.state.mirrors = mirrors
    app.state.stopping = stopping = threading.Event()

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> str:
        return _index_html(_base_url(request), mirrors, faults, today or dt.date.today())

    @app.get("/robots.txt", response_class=PlainTextResponse)
    def robots() -> str:
        return _robots_txt(faults)

    @app.get("/_faults")
    def get_faults() -> dict[str, Fault]:
        return faults.snapshot()

    @app.put("/_faults")
    def put_faults(new: dict[str, Fault]) -> dict[str, Fault]:
        """Replace every fault; sources not named have none."""
        faults.replace(new)
        return faults.snapshot()

    @app.delete("/_faults")
    def delete_faults() -> dict[str, Fault]:
        faults.clear()
        return faults.snapshot()

    @app.get("/_requests")
    def requests() -> dict[str, int]:
        return log.counts()

    @app.get("/_redirect/{path:path}", status_code=301)
    def moved(path: str, request: Request) -> RedirectResponse:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{_base_url(request)}/{path}{query}", status_code=301)

    @app.get(
        "/{source_id}/{path:path}",
        responses={400: {"description": "Bad date"}, 404: {"description": "No such page"}},
    )
    async def page(source_id: str, path: str, request: Request, date: str | None = None):
        mirror = mirrors.get(source_id)
        if mirror is None:
            known = ", ".join(sorted(mirrors))
            return _error(404, f"no site {source_id!r} on this mirror; sites: {known}")
        if path == "robots.txt":
            return PlainTextResponse(_robots_txt(faults))
        entry = log.record(source_id, path, date)
        try:
            day = _parse_date(date) if date is not None else today or dt.date.today()
        except ValueError as error:
            entry.status = 400
            return _error(400, str(error))

        fault = faults.consume(source_id)
        if fault.hang:
            await _hang(request, stopping, lambda: not faults.get(source_id).hang)
            if stopping.is_set():
                entry.status = 503
                return _error(503, "the mirror is shutting down")
            if await request.is_disconnected():
                return _error(504, f"hung for up to {HANG_SECONDS:g} s")  # the client left
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status is not None:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            response: Response = PlainTextResponse(
                f"{fault.status}: fault injected by the mirror", fault.status, headers
            )
        else:
            site_url = f"{_base_url(request)}/{source_id}"
            shown = day - dt.timedelta(days=fault.lag)
            rendered = mirror.render(path, shown, site_url, fault.layout, texts)
            if rendered is None:
                response = _error(404, f"{source_id} has no page {path!r}")
            else:
                response = _with_validator(request, rendered.body, rendered.media_type)
        entry.status = response.status_code
        return response

    return app


def _with_validator(request: Request, body: str, media_type: str) -> Response:
    """The page with an ``ETag`` (a hash of its bytes), or a 304 when the request's
    ``If-None-Match`` is that tag, as real sites answer conditional requests."""
    data = body.encode("utf-8")
    etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(data, media_type=media_type, headers={"ETag": etag})


def _parse_date(value: str) -> dt.date:
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"bad date {value!r}: expected ?date=YYYY-MM-DD") from None


async def _hang(request: Request, stopping: threading.Event, released: Callable[[], bool]) -> None:
    """Wait until the client gives up, the server stops, the fault is ``released`` (the
    request is then answered as usual) or HANG_SECONDS pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANG_SECONDS
    while loop.time() < deadline and not stopping.is_set() and not released():
        if await request.is_disconnected():
            return
        await asyncio.sleep(0.05)


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _robots_txt(faults: Faults) -> str:
    rules = [f"Disallow: /{source}/" for source in faults.disallowed()] or ["Disallow:"]
    return "\n".join(["User-agent: *", *rules]) + "\n"


def _index_html(
    base: str, mirrors: Mapping[str, SiteMirror], faults: Faults, today: dt.date
) -> str:
    pages = _todays_pages(base, mirrors, today)
    items = []
    for source_id in sorted(mirrors):
        links = "".join(
            f'<li><a href="{html.escape(url)}">{html.escape(url)}</a></li>'
            for url in pages.get(source_id, [f"{base}/{source_id}/?date={today}"])
        )
        spec = faults.get(source_id).spec()
        note = f" — fault: <code>{html.escape(spec)}</code>" if spec else ""
        items.append(f"<li><b>{html.escape(source_id)}</b>{note}<ul>{links}</ul></li>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>horogen mirror</title></head><body><h1>horogen mirror</h1>"
        f"<p>Each site's pages for any day: add <code>?date=YYYY-MM-DD</code>. "
        f'Faults: <a href="/_faults">/_faults</a>, requests: '
        f'<a href="/_requests">/_requests</a>.</p><ul>{"".join(items)}</ul></body></html>'
    )


def _todays_pages(
    base: str, mirrors: Mapping[str, SiteMirror], today: dt.date
) -> dict[str, list[str]]:
    """The pages each source's adapter would fetch today (for the sources it mirrors)."""
    return {
        source_id: [
            f"{request.url}{'&' if '?' in request.url else '?'}date={today}"
            for request in SOURCES[source_id](base_url=f"{base}/{source_id}").plan(today, today)
        ]
        for source_id in mirrors
        if source_id in SOURCES
    }
