"""``horogen stack up | status | down``: the production topology on this machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from horogen.cli.app import app, console, err_console
from horogen.stack import DEFAULT_DIR, DEFAULT_POSTGRES, DEFAULT_REDIS

stack_app = typer.Typer(
    help="The production topology as processes on 127.0.0.1: Airflow on Celery, a Spark "
    "standalone cluster, an MLflow server on PostgreSQL and S3, two serving replicas.",
    no_args_is_help=True,
)
app.add_typer(stack_app, name="stack")

DirOption = Annotated[
    Path,
    typer.Option("--dir", help="The stack's folder: stack.json, logs/, the lake, Airflow's home."),
]


@stack_app.command("up")
def up_command(
    folder: DirOption = DEFAULT_DIR,
    postgres: Annotated[
        str,
        typer.Option(help="PostgreSQL server for the stack's databases (an admin URL, no db)."),
    ] = DEFAULT_POSTGRES,
    redis: Annotated[
        str, typer.Option(help="Redis server; Celery's broker gets an empty database of it.")
    ] = DEFAULT_REDIS,
    dags: Annotated[
        Path | None,
        typer.Option(
            help="Airflow's DAG folder (default: the repository's dags/).", show_default=False
        ),
    ] = None,
) -> None:
    """Start every service, wait until all are healthy, write DIR/stack.json.

    Example: horogen stack up, then trigger horogen_daily at the Airflow URL it prints
    (user admin, the password it prints), and `horogen stack down` when done.
    """
    from horogen.stack import run  # the stack's modules need the `stack` extra (psutil)
    from horogen.stack.processes import ServiceFailed

    try:
        with console.status("starting the stack (about a minute and a half)…"):
            stack = run.up(folder, postgres=postgres, redis=redis, dags=dags)
    except ServiceFailed as failed:  # the end of its log, then the one-line error
        err_console.print(failed.tail, markup=False, highlight=False)
        raise
    assert stack.airflow is not None
    table = Table(show_header=False, box=None)
    table.add_row(
        "airflow",
        f"{stack.airflow.url}  (user {stack.airflow.username}, password {stack.airflow.password})",
    )
    for key in ("mlflow", "spark", "spark_ui", "s3", "lake", "mirror"):
        table.add_row(key, getattr(stack, key))
    table.add_row("serve", "  ".join(stack.serve))
    console.print(table)
    console.print(
        f"{len(stack.processes)} processes, logs in {Path(stack.dir) / 'logs'}; "
        f"`horogen stack status --dir {folder}`, `horogen stack down --dir {folder}`",
        soft_wrap=True,
        highlight=False,
    )


@stack_app.command("status")
def status_command(
    folder: DirOption = DEFAULT_DIR,
    as_json: Annotated[bool, typer.Option("--json", help="stack.json with each health.")] = False,
) -> None:
    """Each service of the stack, where it answers and whether it is healthy (exit 1 if one
    is not)."""
    from horogen.stack import run

    stack, lines = run.status(folder)
    if as_json:
        record = json.loads(stack.model_dump_json(exclude={"processes"}))
        record["health"] = {
            line.service: {"healthy": line.healthy, "detail": line.detail} for line in lines
        }
        typer.echo(json.dumps(record, indent=2))
    elif stack.state != "up":
        console.print(f"the stack in {stack.dir} is {stack.state}", highlight=False)
    else:
        table = Table("service", "address", "health")
        for line in lines:
            mark = "[green]ok[/green]" if line.healthy else "[red]FAILING[/red]"
            table.add_row(line.service, line.address, f"{mark} {line.detail}")
        console.print(table)
    if stack.state != "up" or not all(line.healthy for line in lines):
        raise typer.Exit(1)


@stack_app.command("down")
def down_command(
    folder: DirOption = DEFAULT_DIR,
    purge: Annotated[
        bool,
        typer.Option(help="Also drop the databases, empty the Redis database, remove DIR."),
    ] = False,
) -> None:
    """Stop every process `up` started, and nothing else; data stays unless --purge."""
    from horogen.stack import run

    stopped = run.down(folder, purge=purge)
    console.print(
        f"stopped {len(stopped)} processes" + ("; data removed" if purge else "; data kept"),
        highlight=False,
    )
