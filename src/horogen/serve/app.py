"""The HTTP API and the page: FastAPI over :class:`~horogen.serve.service.HoroscopeService`.

Every route declares the codes it answers; horogen's own errors map to 400, 404 and 503
(with ``Retry-After``), bad parameters to FastAPI's 422. No input produces a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from horogen.lake import Lake
from horogen.model.settings import GenerationSettings
from horogen.model.store import ModelStore
from horogen.schema import Category
from horogen.serve import metrics, permalink
from horogen.serve.fastpath import FastPath
from horogen.serve.flight import Busy, GenerationFailed
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
from horogen.serve.service import HoroscopeService, NoModel, NotServed, OutOfWindow
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import CacheError
from horogen.signs import Sign, lookup_sign

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
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
    settings: ServeSettings, *, lake: Lake, models: ModelStore, generation: GenerationSettings
) -> FastAPI:
    """The app for ``settings``: the stores of ``settings`` and ``lake``, the model that
    ``settings.model`` names in ``models``, generated with ``generation``."""
    service = HoroscopeService.build(settings, lake=lake, models=models, generation=generation)
    return create_app(settings, service)


def create_app(
    settings: ServeSettings, service: HoroscopeService, *, watch: bool = True
) -> FastAPI:
    """The app over ``service``. With ``watch``, the model is loaded in the background at
    startup and refreshed every ``poll_seconds``; until it is loaded, answers are 503."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(service.stores.create)
        watcher = asyncio.create_task(service.slot.watch(settings.poll_seconds)) if watch else None
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            service.stores.close()

    app = FastAPI(
        title="horogen",
        summary="Today's horoscope for each zodiac sign, the same for every reader.",
        version="1",
        lifespan=lifespan,
    )
    app.state.service = service
    _errors(app, settings)
    _routes(app, settings, service)
    route = next(r for r in app.routes if getattr(r, "path", "") == "/v1/horoscopes/{sign}")
    app.add_middleware(FastPath, service=service, route=route)
    app.add_middleware(metrics.MetricsMiddleware)  # the outermost: it counts every answer
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    permalink.register(app, settings, service)  # last: /{sign}/{day} matches any two segments
    return app


def _sign(name: str) -> Sign:
    try:
        return lookup_sign(name)
    except ValueError as error:
        raise SignNotFound(str(error)) from None


def _routes(app: FastAPI, settings: ServeSettings, service: HoroscopeService) -> None:
    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/healthz", summary="The process answers.", responses={200: {"model": dict}})
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        summary="A model is loaded.",
        response_model=Ready,
        responses={503: UNAVAILABLE},
    )
    async def readyz() -> Ready:
        model = service.model()
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
        date: DateQuery = None, category: CategoryQuery = Category.GENERAL
    ) -> Response:
        rendered = await service.rendered(date, category)
        return Response(rendered.group_json, media_type=JSON)

    @app.get(
        "/v1/horoscopes/{sign}",
        summary="A sign's horoscope for a day.",
        response_model=Horoscope,
        responses={400: OUT_OF_WINDOW, 404: NO_SIGN, 503: UNAVAILABLE},
    )
    async def horoscope(
        sign: SignPath, date: DateQuery = None, category: CategoryQuery = Category.GENERAL
    ) -> Response:
        body = await service.horoscope(_sign(sign), date, category)
        return Response(body, media_type=JSON)

    @app.post(
        "/v1/horoscopes/{sign}/feedback",
        summary="A reader likes or dislikes the text served for a sign, category and day.",
        response_model=VoteCount,
        responses={
            400: OUT_OF_WINDOW,
            404: _problem("Unknown sign, or no such text was served.", UnknownSign),
            503: UNAVAILABLE,
        },
    )
    def feedback(sign: SignPath, vote: Annotated[Vote, Body()]) -> VoteCount:
        return service.vote(_sign(sign), vote)


def _errors(app: FastAPI, settings: ServeSettings) -> None:
    retry = {"Retry-After": str(settings.retry_after)}

    def answer(status: int, detail: str, **extra: Any) -> JSONResponse:
        headers = retry if status == 503 else None
        return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)

    @app.exception_handler(SignNotFound)
    async def _no_sign(request: Request, error: SignNotFound) -> JSONResponse:
        return answer(404, str(error), valid=[sign.value for sign in Sign])

    @app.exception_handler(NotServed)
    async def _not_served(request: Request, error: NotServed) -> JSONResponse:
        return answer(404, str(error), valid=[sign.value for sign in Sign])

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
