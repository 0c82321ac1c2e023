"""Commands of the collection stage: sources, collect, parse, mirror."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from horogen import pipeline
from horogen.cli import logs
from horogen.cli.app import (
    DateOption,
    FromOption,
    LakeOption,
    ToOption,
    app,
    console,
    days_between,
    deployment_from,
    err_console,
)
from horogen.collect.base import Page
from horogen.collect.run import (
    CollectionResult,
    QuarantineRecord,
    SourceReport,
    build_sources,
    site_today,
)
from horogen.collect.saved import decode_page, saved_request
from horogen.collect.sites import SOURCES
from horogen.deployment import Deployment
from horogen.errors import ExitCode, HorogenError, LayoutChanged
from horogen.lake import Lake
from horogen.mirror.faults import parse_faults
from horogen.mirror.run import DEFAULT_PORT, serve
from horogen.mirror.sites import MIRRORS
from horogen.signs import Sign, sign_from_slug

MirrorOption = Annotated[
    str | None,
    typer.Option(
        "--mirror",
        envvar="HOROGEN_MIRROR",
        help="Base URL of a `horogen mirror` server: point every source at it.",
        show_default=False,
    ),
]


@app.command("sources")
def sources_command(lake: LakeOption = None, mirror: MirrorOption = None) -> None:
    """List the sources: id, base URL, categories and the dates each can serve."""
    settings = deployment_from(lake, collect={"mirror": mirror} if mirror else None).settings
    table = Table("id", "site", "base URL", "categories", "dates served")
    for source in build_sources(settings.collect):
        table.add_row(
            source.id,
            source.title,
            source.base_url,
            ", ".join(category.value for category in source.categories),
            source.availability.describe(),
        )
    console.print(table)


@app.command("collect")
def collect_command(
    date: DateOption = None,
    start: FromOption = None,
    end: ToOption = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="Collect only this source (repeatable)."),
    ] = None,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh", help="Fetch again source-days that an earlier run collected cleanly."
        ),
    ] = False,
    lake: LakeOption = None,
    mirror: MirrorOption = None,
) -> None:
    """Collect the day's horoscopes (default: today) into raw/date=…/<source>.csv.

    A source-day collected cleanly before is kept unless --refresh: a rerun fetches only
    what is missing (as the daily DAG's collect task does). Exits with code 1 when at
    least collect.failure_threshold of the source-days failed (default: half; a day no
    source serves counts as failed), 5 when fewer failed.
    """
    unknown = [name for name in source or [] if name not in SOURCES]
    if unknown:
        raise typer.BadParameter(
            f"unknown source(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}",
            param_hint="--source",
        )
    deployment = deployment_from(lake, collect={"mirror": mirror} if mirror else None)
    days = days_between(date, start, end, today=site_today(deployment.settings.collect))
    result = collect_with_progress(deployment, days, source, refresh=refresh)
    print_report(result)
    console.print(f"lake: {deployment.lake.url()}")
    checked = pipeline.check_collection([result], deployment=deployment)  # failed: exit 1
    if checked.outcome == "partial":
        err_console.print(
            f"[yellow]partial:[/yellow] {checked.summary}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(ExitCode.PARTIAL)


def collect_with_progress(
    deployment: Deployment,
    days: list[dt.date],
    sources: list[str] | None = None,
    *,
    refresh: bool = False,
) -> CollectionResult:
    """:func:`pipeline.collect_days`, with a progress bar over the days when there are
    several."""
    if len(days) == 1 or not logs.progress_bars():
        return pipeline.collect_days(days, sources, refresh=refresh, deployment=deployment)
    columns = (TextColumn("collecting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("days", total=len(days))
        return pipeline.collect_days(
            days,
            sources,
            refresh=refresh,
            deployment=deployment,
            on_day_done=lambda _: progress.advance(task),
        )


def print_report(result: CollectionResult) -> None:
    """One row per source, summed over the days collected (kept ones left out), then the
    problems."""
    fetched = [report for report in result.reports if not report.kept]
    totals: dict[str, SourceReport] = {}
    for report in fetched:
        total = totals.setdefault(
            report.source, SourceReport(source=report.source, date=report.date)
        )
        total.pages += report.pages
        total.records += report.records
        total.quarantined += report.quarantined
        total.not_attempted += report.not_attempted
        total.errors += report.errors
        total.problems += report.problems
        total.duration_s += report.duration_s
    statuses: dict[str, dict[str, int]] = {}
    for report in fetched:
        counts = statuses.setdefault(report.source, {})
        counts[report.status] = counts.get(report.status, 0) + 1
    table = Table("source", "days", "pages", "records", "quarantined", "errors", "busy s")
    for name, total in totals.items():
        days = ", ".join(f"{count} {status}" for status, count in statuses[name].items())
        table.add_row(
            name,
            days,
            str(total.pages),
            str(total.records),
            str(total.quarantined),
            str(len(total.errors)),
            f"{total.duration_s:.1f}",
        )
    console.print(table)
    for name, total in totals.items():
        for line in (total.errors + total.problems)[:5]:
            console.print(f"  [yellow]{name}[/yellow]: {line}", soft_wrap=True, highlight=False)
        hidden = len(total.errors) + len(total.problems) - 5
        if hidden > 0:
            console.print(f"  [yellow]{name}[/yellow]: … and {hidden} more (see reports/collect/)")
    kept = f", {result.kept} kept from before" if result.kept else ""
    console.print(f"{result.collected} source-days in {result.seconds:.1f} s{kept}")


@app.command("parse")
def parse_command(
    source: Annotated[str, typer.Argument(help="Source id (see `horogen sources`).")],
    file: Annotated[
        str,
        typer.Argument(
            help="A saved page: a local file, or a path in the lake such as "
            "quarantine/date=2026-11-25/newsler/love.html."
        ),
    ],
    date: Annotated[
        dt.datetime | None,
        typer.Option(
            "--date",
            formats=["%Y-%m-%d"],
            help="The day the page is for (default: the day it states, else the day "
            "recorded beside a quarantined page, else today).",
            show_default=False,
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help="The URL the page was saved from: tells the page's sign or category "
            "(default: the quarantine record beside the page, else the page's canonical "
            "link, else what the page shows).",
            show_default=False,
        ),
    ] = None,
    sign: Annotated[
        str | None,
        typer.Option(
            help="The sign a one-sign page is about (default: the sign its heading or URL names).",
            show_default=False,
        ),
    ] = None,
    lake: LakeOption = None,
) -> None:
    """Parse a saved page (HTML, or XML for a feed) and print its records as JSON lines.

    What the page states about itself (its heading's sign, its canonical link, its date, a
    feed's "today") tells what it is; a quarantined page is read from the lake with the
    URL, date and sign recorded beside it. Options win over both; an option that
    contradicts the page, or a page that cannot be parsed, exits 1 with the reason.

    Example: horogen parse mailru saved/scorpio.html
    """
    if source not in SOURCES:
        raise typer.BadParameter(
            f"unknown source {source!r}; known: {', '.join(SOURCES)}", param_hint="SOURCE"
        )
    asked = _sign_option(sign)
    deployment = deployment_from(lake)
    body, saved = _read_saved_page(file, deployment.lake)
    adapter = SOURCES[source]()
    request = saved_request(
        adapter,
        body,
        today=site_today(deployment.settings.collect),
        url=url or (saved.url if saved else None),
        day=date.date() if date else (saved.date if saved else None),
        sign=asked or (saved.sign if saved else None),
    )
    page = Page(request=request, url=request.url, body=body, collected_at=dt.datetime.now(dt.UTC))
    try:
        parsed = adapter.parse(page)
    except LayoutChanged as error:
        raise LayoutChanged(f"cannot parse {file} as {source}: {error}") from None
    stated = sorted({record.date for record in parsed.records} - {request.day})
    if date is not None and stated:
        raise HorogenError(
            f"{file} is for {', '.join(map(str, stated))}, not {request.day} (--date): "
            "drop --date to take the page's own date"
        )
    for record in parsed.records:
        print(json.dumps(record.model_dump(mode="json"), ensure_ascii=False))
    for follow in parsed.follow:
        err_console.print(f"links to: {follow.url}", highlight=False)
    for problem in parsed.problems:
        err_console.print(f"[yellow]problem:[/yellow] {problem}", highlight=False)


def _sign_option(value: str | None) -> Sign | None:
    if value is None:
        return None
    try:
        return sign_from_slug(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--sign") from None


def _read_saved_page(file: str, lake: Lake) -> tuple[str, QuarantineRecord | None]:
    """The page's text and the quarantine record beside it (``None`` when there is none,
    or none readable), from a local file or else from the lake."""
    local = Path(file)
    if local.is_file():
        record = local.with_suffix(".json")
        saved = record.read_bytes() if record.is_file() else None
        return decode_page(local.read_bytes()), _quarantine_record(saved)
    if not lake.exists(file):
        raise typer.BadParameter(
            f"{file} is neither a file nor in the lake {lake.uri}", param_hint="FILE"
        )
    record_path = str(Path(file).with_suffix(".json"))
    saved = lake.read_bytes(record_path) if lake.exists(record_path) else None
    return decode_page(lake.read_bytes(file)), _quarantine_record(saved)


def _quarantine_record(data: bytes | None) -> QuarantineRecord | None:
    if data is None:
        return None
    try:
        return QuarantineRecord.model_validate_json(data)
    except ValidationError:
        err_console.print("[yellow]the record beside the page is unreadable; ignored[/yellow]")
        return None


@app.command("mirror")
def mirror_command(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = DEFAULT_PORT,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="Inject a fault: SOURCE=ITEM[,ITEM…], e.g. 74ru=500, mailru=500x2, "
            "rambler=delay:2, ignio=hang, newsler=layout:changed, mailru=lag:1, "
            "retrofm=disallow.",
        ),
    ] = None,
) -> None:
    """Serve every source's layout from this machine, for any date (?date=YYYY-MM-DD).

    Point collection at it with `horogen collect --mirror http://127.0.0.1:PORT`.
    """
    try:
        faults = parse_faults(fault or [], known=list(MIRRORS))
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--fault") from error
    console.print(f"mirror on http://{host}:{port} (Ctrl+C stops it)")
    serve(host=host, port=port, faults=faults)
