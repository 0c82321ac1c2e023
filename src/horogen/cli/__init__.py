"""The ``horogen`` command line: one typer app, one module of commands per stage."""

from __future__ import annotations

import sys

from horogen.cli import (  # noqa: F401  (each registers commands)
    collect,
    evaluate,
    model,
    pipeline,
    process,
    serve,
    train,
)
from horogen.cli.app import app, err_console
from horogen.errors import HorogenError


def main() -> None:
    """Entry point: run the app, turning horogen's own errors into a one-line message."""
    try:
        app()
    except HorogenError as error:
        err_console.print(f"[red]error:[/red] {error}", soft_wrap=True, highlight=False)
        sys.exit(2)
