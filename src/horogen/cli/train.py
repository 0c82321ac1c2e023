"""``horogen train`` and ``horogen register``.

torch, transformers and mlflow are imported inside the commands so that ``horogen --help``
stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from horogen import pipeline
from horogen.cli import logs
from horogen.cli.app import (
    FromOption,
    LakeOption,
    ToOption,
    app,
    console,
    deployment_from,
    end_runs_on_sigterm,
)
from horogen.cli.logs import quiet_model_libraries

BaseOption = Annotated[
    str | None,
    typer.Option(
        "--base",
        help="Starting point: a hub id, a local model directory, 'champion', a version "
        "number, models:/NAME/VERSION or 'fresh' (default: setting train.base).",
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
    register it as a new version. A run on the same window left unfinished (killed) is
    continued from its last checkpoint, unless --base, --epochs or --run ask otherwise.

    Example: horogen train --from 2026-11-01 --to 2026-11-20 --base fresh --epochs 5
    """
    quiet_model_libraries()
    deployment = deployment_from(lake)
    end_runs_on_sigterm()
    result = pipeline.train_window(
        start.date() if start else None,
        end.date() if end else None,
        base=base,
        epochs=epochs,
        resume=resume,
        run_name=run_name,
        deployment=deployment,
        progress=logs.progress_bars(),
    )
    record = result.record
    metrics = ", ".join(f"{key} {value:.4g}" for key, value in record.metrics.items())
    console.print(f"[bold green]trained[/] {result.run_dir} ({metrics})")
    console.print(
        f"registered [bold]{record.model_uri}[/] (base {record.base_model}, "
        f"data {record.data_window}, run {record.mlflow_run_id})"
    )


@app.command("register")
def register_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `horogen train`.")],
    lake: LakeOption = None,
) -> None:
    """Log and register a trained run whose tracking server was unreachable.

    Example: horogen register horogen-data/runs/20261125-101500-fresh
    """
    from horogen.train.registration import register_run

    quiet_model_libraries()
    deployment = deployment_from(lake)
    record = register_run(run_dir, deployment.models, deployment.settings.generation.strategy)
    console.print(
        f"registered [bold]{record.model_uri}[/] from {run_dir} (run {record.mlflow_run_id})"
    )
