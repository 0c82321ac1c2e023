"""``horogen train``, ``horogen register`` and ``horogen models``.

torch, transformers and mlflow are imported inside the commands so that ``horogen --help``
stays fast.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from horogen.cli import logs
from horogen.cli.app import (
    FromOption,
    LakeOption,
    ToOption,
    app,
    console,
    settings_from,
)
from horogen.cli.logs import quiet_training_libraries

BaseOption = Annotated[
    str | None,
    typer.Option(
        "--base",
        help="Starting point: a hub id, a local model directory, 'champion' or 'fresh' "
        "(default: setting train.base).",
        show_default=False,
    ),
]


@app.command("train")
def train_command(
    lake: LakeOption = None,
    start: FromOption = None,
    end: ToOption = None,
    base: BaseOption = None,
    epochs: Annotated[
        int | None, typer.Option("--epochs", min=1, help="Epochs (default: setting train.epochs).")
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the newest unfinished run (or --run NAME) from its last checkpoint.",
        ),
    ] = False,
    run_name: Annotated[
        str | None,
        typer.Option("--run", help="Name of the run directory (to create, or to resume)."),
    ] = None,
) -> None:
    """Fine-tune the generator on the processed days in a window, track it in MLflow and
    register it as a new version.

    Example: horogen train --from 2026-11-01 --to 2026-11-20 --base fresh --epochs 5
    """
    from horogen.train.data import DataWindow
    from horogen.train.trainer import train

    quiet_training_libraries()
    settings = settings_from(lake)
    window = DataWindow(start.date() if start else None, end.date() if end else None)
    end_runs_on_sigterm()
    result = train(
        settings,
        window=window,
        base=base,
        epochs=epochs,
        resume=resume,
        run_name=run_name,
        progress=logs.progress_bars(),
    )
    record = result.record
    metrics = ", ".join(f"{key} {value:.4g}" for key, value in record.metrics.items())
    console.print(f"[bold green]trained[/] {result.run_dir} ({metrics})")
    console.print(
        f"registered [bold]{record.model_uri}[/] (base {record.base_model}, "
        f"data {record.data_window}, run {record.mlflow_run_id})"
    )


def end_runs_on_sigterm() -> None:
    """Airflow and `kill` send SIGTERM: raise KeyboardInterrupt instead, so training ends its
    MLflow run as KILLED rather than leaving it RUNNING."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@app.command("register")
def register_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `horogen train`.")],
    lake: LakeOption = None,
) -> None:
    """Log and register a trained run whose tracking server was unreachable.

    Example: horogen register horogen-data/runs/20261125-101500-fresh
    """
    from horogen.train.tracking import register_run

    quiet_training_libraries()
    record = register_run(run_dir, settings_from(lake))
    console.print(
        f"registered [bold]{record.model_uri}[/] from {run_dir} (run {record.mlflow_run_id})"
    )


@app.command("models")
def models_command(
    lake: LakeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the registered versions of the model: aliases, creation time, base, data window,
    run, key metrics and models:/ URI.

    Example: horogen models --json
    """
    from horogen import registry

    settings = settings_from(lake)
    name = settings.train.registered_model
    target = registry.connect(settings)
    versions = registry.list_versions(name)
    if as_json:
        payload = {
            "tracking_uri": target.uri,
            "registered_model": name,
            "versions": [version.to_dict() for version in versions],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    console.print(f"tracking URI: {target.uri}")
    if not versions:
        console.print(f"no versions of {name!r} yet: run `horogen train`")
        return
    table = Table("version", "aliases", "created (UTC)", "base", "data window", "run")
    for column in (*registry.KEY_METRICS, "URI"):
        table.add_column(column, justify="right" if column != "URI" else "left")
    for version in versions:
        metrics = [version.metrics.get(key) for key in registry.KEY_METRICS]
        table.add_row(
            str(version.version),
            ", ".join(version.aliases),
            f"{version.created_at:%Y-%m-%d %H:%M}",
            version.tags.get("base_model", ""),
            version.tags.get("data_window", ""),
            (version.run_id or "")[:8],
            *("" if value is None else f"{value:.4g}" for value in metrics),
            version.uri,
        )
    console.print(table)
