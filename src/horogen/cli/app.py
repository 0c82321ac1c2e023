"""The typer app and the options every command shares; commands live in sibling modules."""

from __future__ import annotations

import datetime as dt
import signal
from typing import Annotated, Any

import typer
from rich.console import Console

from horogen.cli import logs
from horogen.config import load_settings
from horogen.deployment import Deployment
from horogen.errors import ConfigError

app = typer.Typer(
    name="horogen",
    help="Keep a Russian horoscope generator fresh: collect, process, train, serve.\n\n"
    "Exit codes: 0 success, 1 failed, 2 usage error, 3 configuration error, 4 data error, "
    "5 partial failure (some sources failed, under collect.failure_threshold).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _global_options(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Also debug messages, other libraries' messages, tracebacks."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only warnings and errors; no progress bars.")
    ] = False,
) -> None:
    """Options every command shares: how much it prints."""
    if verbose and quiet:
        raise typer.BadParameter("give --verbose or --quiet, not both")
    logs.setup("debug" if verbose else "warning" if quiet else _configured_level(), err_console)


def _configured_level() -> str:
    """The ``log_level`` setting; a broken settings file is left for the command to report."""
    try:
        return load_settings().log_level
    except ConfigError:
        return "info"


LakeOption = Annotated[
    str | None,
    typer.Option(
        "--lake",
        envvar="HOROGEN_LAKE",
        help="Data lake URI: a folder or s3://bucket/prefix (default: ./horogen-data).",
        show_default=False,
    ),
]
DateOption = Annotated[
    dt.datetime | None,
    typer.Option("--date", formats=["%Y-%m-%d"], help="One day (YYYY-MM-DD).", show_default=False),
]
FromOption = Annotated[
    dt.datetime | None,
    typer.Option("--from", formats=["%Y-%m-%d"], help="First day of a range.", show_default=False),
]
ToOption = Annotated[
    dt.datetime | None,
    typer.Option("--to", formats=["%Y-%m-%d"], help="Last day of a range.", show_default=False),
]


def deployment_from(
    lake: str | None, *, scenario: str | None = None, **overrides: Any
) -> Deployment:
    """The deployment a command works on: the settings sources with the command line's
    options on top."""
    return Deployment.load(scenario=scenario, lake=lake, **overrides)


def days_between(
    date: dt.datetime | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    *,
    today: dt.date,
) -> list[dt.date]:
    """The days a command acts on: ``--date``, or ``--from``/``--to`` (inclusive), or
    ``today``."""
    if date is not None and (start is not None or end is not None):
        raise typer.BadParameter("give either --date or --from/--to, not both")
    if date is not None:
        return [date.date()]
    if start is None and end is None:
        return [today]
    first = (start or end).date()  # type: ignore[union-attr]
    last = (end or start).date()  # type: ignore[union-attr]
    if first > last:
        raise typer.BadParameter(f"--from {first} is after --to {last}")
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def end_runs_on_sigterm() -> None:
    """Airflow and `kill` send SIGTERM: raise KeyboardInterrupt instead, so training ends its
    MLflow run as KILLED rather than leaving it RUNNING."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
