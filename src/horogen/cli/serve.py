"""``horogen serve``, ``horogen precompute``, ``horogen bot`` and ``horogen deliver``: the
serving stage.

The server's worker processes build their app with :func:`worker_app` from the same
settings sources the command read (the command passes its options on as ``HOROGEN_*``
variables).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from horogen import pipeline
from horogen.cli.app import DateOption, LakeOption, app, console, deployment_from
from horogen.cli.logs import quiet_model_libraries
from horogen.deployment import Deployment

if TYPE_CHECKING:
    from fastapi import FastAPI

ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="champion (default: serve.model), challenger, a version number, "
        "models:/NAME@ALIAS or a model directory. An alias is followed as it moves.",
        show_default=False,
    ),
]


def _deployment(lake: str | None, model: str | None, **serve: object) -> Deployment:
    given = {key: value for key, value in serve.items() if value is not None}
    if model:
        given["model"] = model
    return deployment_from(lake, serve=given or None)


@app.command("serve")
def serve_command(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default: serve.host).", show_default=False)
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default: serve.port, 8000).", show_default=False)
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Processes sharing the port (default: serve.workers, 1).",
            show_default=False,
        ),
    ] = None,
    model: ModelOption = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    lake: LakeOption = None,
) -> None:
    """Serve the API, the page at / and /metrics with uvicorn.

    Example: horogen serve --port 8000 --workers 2, then open http://127.0.0.1:8000/ or
    curl 'http://127.0.0.1:8000/v1/horoscopes/leo?date=2026-11-30'
    """
    deployment = _deployment(lake, model, host=host, port=port, workers=workers)
    run_server(deployment, access_log=access_log)


def run_server(
    deployment: Deployment, *, scenario: str | None = None, access_log: bool = False
) -> None:
    """Serve with uvicorn until interrupted. The worker processes read their settings from
    the same sources: the lake, the model and the ``scenario`` are passed on as
    ``HOROGEN_*`` variables."""
    import uvicorn

    from horogen.serve.cache import open_stores
    from horogen.serve.guard import GuardedHttpTools

    serve = deployment.settings.serve
    stores = open_stores(serve, deployment.lake)  # a bad cache setting fails here, plainly
    try:
        stores.create()  # a cache that does not answer too: one line, not a worker's traceback
        if serve.reader_secret is None:
            stores.verdicts.secret()
    finally:
        stores.close()
    _ = deployment.judge  # so does a check that is no registered metric
    os.environ["HOROGEN_LAKE"] = deployment.settings.lake
    os.environ["HOROGEN_SERVE__MODEL"] = serve.model
    if scenario:
        os.environ["HOROGEN_SCENARIO"] = scenario
    metrics_dir = _metrics_dir(serve.workers)
    console.print(
        f"serving {serve.model} on http://{serve.host}:{serve.port}/ with {serve.workers} "
        f"worker(s); cache {stores.where}; Ctrl-C stops it",
        soft_wrap=True,
        highlight=False,
    )
    try:
        uvicorn.run(
            "horogen.cli.serve:worker_app",
            factory=True,
            host=serve.host,
            port=serve.port,
            workers=serve.workers,
            access_log=access_log,
            timeout_graceful_shutdown=10,
            http=GuardedHttpTools,
            timeout_keep_alive=5,
            limit_concurrency=serve.max_connections,
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def worker_app() -> FastAPI:
    """The app of one server process, from the settings sources (uvicorn's factory)."""
    from horogen.serve.app import build_app
    from horogen.serve.guard import GuardedHttpTools, HeaderLimits

    quiet_model_libraries()
    _log_to_stderr()
    deployment = deployment_from(None)
    serve = deployment.settings.serve
    GuardedHttpTools.limits = HeaderLimits(
        serve.max_headers, serve.max_header_bytes, serve.header_timeout
    )
    return build_app(
        deployment.settings.serve,
        lake=deployment.lake,
        models=deployment.models,
        generation=deployment.settings.generation,
        judge=deployment.judge,
    )


def _log_to_stderr() -> None:
    """horogen's own log lines (model swaps, failures) beside uvicorn's."""
    logger = logging.getLogger("horogen")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-9s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _metrics_dir(workers: int) -> Path | None:
    """With several workers, an empty folder for their metrics (made here unless
    ``PROMETHEUS_MULTIPROC_DIR`` names one, which is emptied); the folder made, if any."""
    if workers < 2:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return None
    named = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if named:
        folder = Path(named)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return None
    folder = Path(tempfile.mkdtemp(prefix="horogen-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


@app.command("precompute")
def precompute_command(
    date: DateOption = None,
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
    lake: LakeOption = None,
) -> None:
    """Generate a day's horoscopes (every sign, each of serve.categories) into the serving
    cache, so no reader waits. Texts already there are kept; a second run generates nothing.

    Example: horogen precompute --date 2026-11-30
    """
    quiet_model_libraries()
    record = pipeline.precompute(date.date() if date else None, deployment=_deployment(lake, model))
    if as_json:
        typer.echo(record.model_dump_json())
        return
    console.print(
        f"{record.date}: {record.generated} texts generated, {record.cached} already cached, "
        f"{len(record.categories)} categories, {record.model}, {record.seconds:.1f} s; "
        f"{record.candidates} candidates kept, {record.unpassed} texts passed no check",
        highlight=False,
    )


@app.command("candidates")
def candidates_command(
    sign: Annotated[str, typer.Argument(help="A slug (leo) or Russian name (Лев).")],
    date: DateOption = None,
    category: Annotated[
        str, typer.Option("--category", help="general, love, business, …")
    ] = "general",
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per candidate.")] = False,
    lake: LakeOption = None,
) -> None:
    """Show the candidates a served text was chosen from (best of k): each one's score, its
    metrics' values, the checks it failed, and which one is served.

    Example: horogen candidates leo --date 2026-11-30 --category love
    """
    from rich.table import Table

    from horogen.model.prompts import parse_category
    from horogen.serve.cache import nothing_served, open_stores
    from horogen.serve.stores import Group
    from horogen.signs import lookup_sign

    try:
        wanted = lookup_sign(sign)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="SIGN") from None
    try:
        kind = parse_category(category)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--category") from None
    deployment = _deployment(lake, model)
    serve = deployment.settings.serve
    day = date.date() if date else serve.today()
    label = deployment.models.resolve(serve.model).label
    found = []
    if not nothing_served(serve, deployment.lake):
        stores = open_stores(serve, deployment.lake)
        try:
            stores.create()
            found = stores.texts.candidates(Group(label, day, kind), wanted)
        finally:
            stores.close()
    if as_json:
        for candidate in found:
            typer.echo(candidate.model_dump_json())
        return
    if not found:
        console.print(
            f"no candidates of {label} for {wanted.value}, {kind.value}, {day}: not generated "
            "yet, or generated without best of k",
            highlight=False,
        )
        return
    metrics = list(found[0].values)
    table = Table("sample", "served", "score", *metrics, "failed", "text")
    for candidate in found:
        table.add_row(
            str(candidate.sample),
            "✓" if candidate.chosen else "",
            f"{candidate.score:.3f}",
            *(_value(candidate.values.get(name)) for name in metrics),
            ", ".join(candidate.failed),
            candidate.text,
        )
    console.print(f"{wanted.emoji} {wanted.ru} · {kind.value} · {day} · {label}", highlight=False)
    console.print(table)


def _value(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


@app.command("bot")
def bot_command(model: ModelOption = None, lake: LakeOption = None) -> None:
    """Run the Telegram bot: /start shows the signs, a press answers with today's
    horoscope from the same cache and model as the API. The token comes from
    serve.bot_token (HOROGEN_SERVE__BOT_TOKEN); the Bot API from serve.bot_api_url.

    Example: HOROGEN_SERVE__BOT_TOKEN=123456:ABC… horogen bot
    """
    from horogen.serve.bot import make_bot, run_bot
    from horogen.serve.service import HoroscopeService
    from horogen.serve.subscriptions import open_subscriptions

    quiet_model_libraries()
    _log_to_stderr()
    deployment = _deployment(lake, model)
    settings = deployment.settings
    make_bot(settings.serve)  # no token, or not a token: a one-line error before anything loads
    service = HoroscopeService.build(
        settings.serve,
        lake=deployment.lake,
        models=deployment.models,
        generation=settings.generation,
        judge=deployment.judge,
    )
    console.print(f"bot polling {settings.serve.bot_api_url}; Ctrl-C stops it", highlight=False)
    subscriptions = open_subscriptions(settings.serve, deployment.lake)
    asyncio.run(run_bot(settings.serve, service, subscriptions))


@app.command("deliver")
def deliver_command(
    date: DateOption = None,
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
    lake: LakeOption = None,
) -> None:
    """Send the day's horoscope to every bot subscriber who has not had it yet (run it after
    `horogen precompute`). Each subscriber gets it once: a rerun or a restart sends nothing
    twice. Within the Bot API's limits (serve.delivery_per_second, delivery_chat_seconds).

    Example: horogen deliver --date 2026-11-30
    """
    quiet_model_libraries()
    _log_to_stderr()
    record = pipeline.deliver(date.date() if date else None, deployment=_deployment(lake, model))
    if as_json:
        typer.echo(record.model_dump_json())
        return
    console.print(
        f"{record.date}: {record.sent} sent of {record.pending} waiting, {record.blocked} "
        f"blocked (unsubscribed), {record.rejected} refused, {record.taken} sent by another "
        f"run, {record.in_doubt} in doubt from an interrupted run, {record.seconds:.1f} s",
        highlight=False,
    )
