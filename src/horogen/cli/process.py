"""``horogen process``: raw partitions → processed partitions, with a report per day."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, get_args

import typer
from rich import box
from rich.table import Table

from horogen import pipeline
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
from horogen.layout import processed_report_path
from horogen.process import rawcsv, rules
from horogen.process.run import ProcessReport
from horogen.process.settings import EngineName

#: Malformed rows printed per day; the report lists them all.
SHOWN_MALFORMED = 20


#: The engines, as ``--engine`` offers them.
EngineChoice = StrEnum("EngineChoice", {name: name for name in get_args(EngineName)})  # type: ignore[misc]

EngineOption = Annotated[
    EngineChoice | None,
    typer.Option(
        "--engine",
        help="polars (one machine) or spark (local[*], or the cluster in spark_master); "
        "default: process.engine in horogen.toml, else polars.",
        show_default=False,
    ),
]


@app.command("process")
def process_command(
    date: DateOption = None,
    start: FromOption = None,
    end: ToOption = None,
    engine: EngineOption = None,
    lake: LakeOption = None,
) -> None:
    """Clean raw partitions into processed/date=…/part-0.parquet, with _report.json beside.

    With no --date or --from/--to, every day that has a raw partition is processed. In a
    range, days without raw data are skipped; a single --date without raw data is an error.

    Example: horogen process --from 2026-11-01 --to 2026-11-25 --engine polars
    """
    deployment = deployment_from(lake)
    if date is None and start is None and end is None:
        days, missing = None, "error"
    else:
        days = days_between(date, start, end, today=dt.date.today())  # today: never used
        missing = "error" if date is not None else "skip"
        if missing == "skip":
            for day in days:
                if not rawcsv.list_raw_files(deployment.lake, day):
                    err_console.print(f"[yellow]skipped[/yellow] {day}: no raw partition")
    reports = pipeline.process(
        days,
        engine=engine.value if engine else None,  # type: ignore[arg-type]
        missing=missing,
        deployment=deployment,
    ).reports
    _print_malformed(reports, deployment.lake.url)
    console.print(report_table(reports))


#: Short column headers for the drop rules, so a day fits on an 80-column terminal.
_SHORT = {
    "malformed": "bad",
    "missing_sign": "nosign",
    "unknown_sign": "badsign",
    "empty_text": "empty",
    "mixed_script": "mixed",
    "too_short": "short",
    "too_long": "long",
    "duplicate": "dup",
}


def report_table(reports: list[ProcessReport]) -> Table:
    """The reports as one table: a row per day, a column per drop rule."""
    legend = ", ".join(f"{short} = {rule}" for rule, short in _SHORT.items())
    table = Table(
        title="processed", caption=f"dropped: {legend}", box=box.SIMPLE_HEAD, pad_edge=False
    )
    table.add_column("date", no_wrap=True)
    table.add_column("in", justify="right")
    for rule in rules.DROP_RULES:
        table.add_column(_SHORT.get(rule, rule), justify="right")
    table.add_column("out", justify="right", style="bold")
    table.add_column("s", justify="right")
    for report in reports:
        table.add_row(
            report.date.isoformat(),
            str(report.rows_in),
            *(str(report.dropped.get(rule, 0)) for rule in rules.DROP_RULES),
            str(report.rows_out),
            f"{report.duration_s:.1f}",
        )
    if reports:
        table.title = f"processed with {reports[0].engine}"
    return table


def _print_malformed(reports: list[ProcessReport], url) -> None:  # type: ignore[no-untyped-def]
    for report in reports:
        for problem in report.malformed[:SHOWN_MALFORMED]:
            err_console.print(
                f"[red]malformed[/red] {problem.file} line {problem.line}: {problem.reason}",
                markup=True,
                highlight=False,
            )
        hidden = len(report.malformed) - SHOWN_MALFORMED
        if hidden > 0:
            where = url(processed_report_path(report.date))
            err_console.print(f"… and {hidden} more malformed rows for {report.date}: {where}")
