"""The ``horogen`` command line: one typer app, one module of commands per stage."""

from __future__ import annotations

import sys

import typer
from rich.text import Text

from horogen.cli import (  # noqa: F401  (each registers commands)
    collect,
    evaluate,
    model,
    pipeline,
    process,
    serve,
    stack,
    train,
)
from horogen.cli.app import app, err_console
from horogen.errors import ExitCode, HorogenError


def main() -> None:
    """Entry point: run the app; every error a user can cause ends as one line on stderr and
    the exit code of its kind (:class:`~horogen.errors.ExitCode`)."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as error:  # click's usage errors: a bad option or argument
        context = getattr(error, "ctx", None)
        where = context.command_path if context is not None else "horogen"
        code = fail(f"{error.format_message()} (see `{where} --help`)", error.exit_code)
    except typer.Abort:
        code = fail("interrupted", ExitCode.INTERRUPTED)
    except HorogenError as error:
        code = fail(str(error), error.exit_code)
    sys.exit(code or ExitCode.SUCCESS)


def fail(message: str, code: int) -> int:
    """Print ``message`` as one line on stderr; returns ``code``."""
    line = " ".join(message.split())  # never more than one line
    err_console.print(Text("error: ", style="red") + Text(line), soft_wrap=True)
    return code
