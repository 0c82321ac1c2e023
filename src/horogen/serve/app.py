"""The HTTP API and the page: FastAPI over :class:`~horogen.serve.service.HoroscopeService`.

Every route declares the codes it answers; horogen's own errors map to 400, 403, 404, 429
and 503 (with ``Retry-After``), bad parameters and bodies that are not strict JSON to a
422 with a bounded excerpt, bodies over the limit to 413 (:mod:`horogen.serve.guard`). No
input produces a 500.

A reader is the signed ``horogen_reader`` cookie, issued with the first text they get;
each text answered to them carries a ticket their verdict on it must bring back.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import fastapi_offline
from fastapi import Body, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from horogen.lake import Lake
from horogen.model.settings import GenerationSettings
from horogen.model.store import ModelStore
from horogen.schema import Category
from horogen.serve import metrics, permalink
from horogen.serve.fastpath import FastPath
from horogen.serve.feedback import Ballot, NoReader, NotServed
from horogen.serve.flight import Busy, GenerationFailed
from horogen.serve.guard import BodyGuard
from horogen.serve.identity import ReaderKeys, with_ticket
from horogen.serve.judge import Judge
from horogen.serve.ratelimit import RateLimited
from horogen.serve.schemas import (
    About,
    Horoscope,
    Horoscopes,
    Problem,
    Ready,
    SignInfo,
    UnknownSign,
    Vote,
    VoteCount,
)
from horogen.serve.service import HoroscopeService, NoModel, OutOfWindow
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import CacheError, Group
from horogen.serve.strict import StrictJSONRoute, validation_failed
from horogen.signs import Sign, lookup_sign

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
#: Swagger UI's scripts and styles, from a package: /docs works without internet.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
JSON = "application/json"


class SignNotFound(Exception):
    """A sign that is neither a slug nor a Russian name."""


def _problem(description: str, model: type = Problem, retry: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {"model": model, "description": description}
    if retry:
        answer["headers"] = {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        }
    return answer


UNAVAILABLE = _problem("No model loaded yet, or the text is still being generated.", retry=True)
OUT_OF_WINDOW = _problem("The date is outside the served days (see /v1/about).")
NO_SIGN = _problem("Unknown sign; the answer lists the valid ones.", UnknownSign)
TOO_LARGE = _problem("The body is over serve.max_body_bytes.")
NOT_THEIRS = _problem("No reader cookie, or the ticket is not of a text served to this reader.")
TOO_MANY = _problem("Too many verdicts from this address or reader.", retry=True)

SignPath = Annotated[
    str,
    PathParam(
        description="A slug (leo) or Russian name in any case (Лев, лев).",
        max_length=64,
        examples=["leo", "Дева"],
    ),
]
DateQuery = Annotated[
    dt.date | None, Query(description="YYYY-MM-DD; default: today (serve.timezone).")
]
CategoryQuery = Annotated[Category, Query(description="The kind of horoscope.")]


def build_app(
    settings: ServeSettings,
    *,
    lake: Lake,
    models: ModelStore,
    generation: GenerationSettings,
    judge: Judge | None = None,
) -> FastAPI:
    """The app for ``settings``: the stores of ``settings`` and ``lake``, the model that
    ``settings.model`` names in ``models``, generated with ``generation``; with a ``judge``,
    each text the best of ``settings.best_of`` candidates."""
    service = HoroscopeService.build(
        settings, lake=lake, models=models, generation=generation, judge=judge
    )
    return create_app(settings, service)


def create_app(
    settings: ServeSettings, service: HoroscopeService, *, watch: bool = True
) -> FastAPI:
    """The app over ``service``. With ``watch``, the model is loaded in the background at
    startup and refreshed every ``poll_seconds``; until it is loaded, answers are 503."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(service.open)
        watchers = [
            asyncio.create_task(slot.watch(settings.poll_seconds))
            for slot in (service.slots() if watch else [])
        ]
        try:
            yield
        finally:
            for watcher in watchers:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            service.stores.close()

    app = FastAPI(
        title="horogen",
        summary="Today's horoscope for each zodiac sign, the same for every reader.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.router.route_class = StrictJSONRoute
    app.state.service = service
    _errors(app, settings)
    _routes(app, settings, service)
    route = next(r for r in app.routes if getattr(r, "path", "") == "/v1/horoscopes/{sign}")
    app.add_middleware(FastPath, service=service, route=route)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout)
    app.add_middleware(metrics.MetricsMiddleware)  # the outermost: it counts every answer
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    permalink.register(app, settings, service)  # last: /{sign}/{day} matches any two segments
    return app


def reader_of(request: Request, keys: ReaderKeys | None) -> str | None:
    """The reader the request's signed cookie names, if any."""
    return keys.reader_from_header(request.headers.get("cookie")) if keys else None


def _sign(name: str) -> Sign:
    try:
        return lookup_sign(name)
    except ValueError as error:
        raise SignNotFound(str(error)) from None


def _routes(app: FastAPI, settings: ServeSettings, service: HoroscopeService) -> None:
    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="horogen API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )

    @app.get("/livez", summary="The process answers.", responses={200: {"model": dict}})
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/healthz", summary="The process answers (as /livez).", responses={200: {"model": dict}}
    )
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        summary="A request would be served: a model is loaded and the cache answers.",
        response_model=Ready,
        responses={503: UNAVAILABLE},
    )
    async def readyz() -> Ready:
        model = service.model()
        group = Group(model.label, settings.today(), Category.GENERAL)
        await asyncio.to_thread(service.stores.texts.group, group)  # CacheError: a 503
        return Ready(model=model.label, version=model.version, strategy=model.strategy)

    @app.get(
        "/metrics",
        summary="Prometheus metrics of every worker.",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text."}},
    )
    async def prometheus() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    @app.get("/v1/about", summary="Signs, served days and the model.", response_model=About)
    async def about() -> About:
        today = settings.today()
        first, last = settings.window(today)
        model = service.slot.current
        return About(
            today=today,
            first_date=first,
            last_date=last,
            signs=[SignInfo(sign=s, name=s.ru, emoji=s.emoji) for s in Sign],
            categories=list(Category),
            model=model.label if model else None,
            version=model.version if model else None,
        )

    @app.get(
        "/v1/horoscopes",
        summary="The twelve signs' horoscopes for a day.",
        response_model=Horoscopes,
        responses={400: OUT_OF_WINDOW, 503: UNAVAILABLE},
    )
    async def horoscopes(
        request: Request, date: DateQuery = None, category: CategoryQuery = Category.GENERAL
    ) -> Response:
        reader = reader_of(request, service.keys)  # a canary reader sees the challenger here too
        rendered = await service.rendered(date, category, reader)
        return Response(rendered.group_json, media_type=JSON)

    @app.get(
        "/v1/horoscopes/{sign}",
        summary="A sign's horoscope for a day.",
        response_model=Horoscope,
        responses={400: OUT_OF_WINDOW, 404: NO_SIGN, 503: UNAVAILABLE},
    )
    async def horoscope(
        request: Request,
        sign: SignPath,
        date: DateQuery = None,
        category: CategoryQuery = Category.GENERAL,
    ) -> Response:
        keys = service.keys
        reader = reader_of(request, keys)
        new = reader is None and keys is not None
        if new:
            reader = keys.new_reader()
        chosen = _sign(sign)
        rendered = await service.rendered(date, category, reader)
        body, text = rendered.json[chosen], rendered.texts[chosen]
        headers = {}
        if keys is not None and reader is not None:
            ticket = keys.ticket(reader, text.model, text.date, category.value, chosen.value)
            body = with_ticket(body, ticket)
            if new:
                secure = request.url.scheme == "https"
                headers["set-cookie"] = keys.set_cookie(reader, secure=secure).decode()
        return Response(body, media_type=JSON, headers=headers)

    ballot = Ballot(service)

    @app.post(
        "/v1/horoscopes/{sign}/feedback",
        summary="A reader likes or dislikes a text served to them (its ticket, their cookie).",
        response_model=VoteCount,
        responses={
            400: OUT_OF_WINDOW,
            403: NOT_THEIRS,
            404: NO_SIGN,
            413: TOO_LARGE,
            429: TOO_MANY,
            503: UNAVAILABLE,
        },
    )
    def feedback(request: Request, sign: SignPath, vote: Annotated[Vote, Body()]) -> VoteCount:
        address = request.client.host if request.client else "unknown"
        reader = reader_of(request, service.keys)
        return ballot.vote(_sign(sign), vote, reader=reader, address=address)


def _errors(app: FastAPI, settings: ServeSettings) -> None:
    retry = {"Retry-After": str(settings.retry_after)}

    def answer(status: int, detail: str, **extra: Any) -> JSONResponse:
        headers = retry if status == 503 else None
        return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)

    @app.exception_handler(SignNotFound)
    async def _no_sign(request: Request, error: SignNotFound) -> JSONResponse:
        return answer(404, str(error), valid=[sign.value for sign in Sign])

    app.exception_handler(RequestValidationError)(validation_failed)

    @app.exception_handler(NotServed)
    @app.exception_handler(NoReader)
    async def _not_theirs(request: Request, error: Exception) -> JSONResponse:
        return answer(403, str(error))

    @app.exception_handler(RateLimited)
    async def _too_many(request: Request, error: RateLimited) -> JSONResponse:
        headers = {"Retry-After": str(error.retry_after)}
        return JSONResponse({"detail": str(error)}, status_code=429, headers=headers)

    @app.exception_handler(OutOfWindow)
    async def _out_of_window(request: Request, error: OutOfWindow) -> JSONResponse:
        return answer(400, str(error))

    @app.exception_handler(NoModel)
    @app.exception_handler(Busy)
    @app.exception_handler(GenerationFailed)
    async def _unavailable(request: Request, error: Exception) -> JSONResponse:
        return answer(503, str(error))

    @app.exception_handler(CacheError)
    async def _database(request: Request, error: CacheError) -> JSONResponse:
        log.error("the cache database failed: %s", error)
        return answer(503, "the cache database is not answering")
