"""`horogen demo`: the whole pipeline on this machine, offline."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from horogen.cli.app import (
    LakeOption,
    app,
    console,
    end_runs_on_sigterm,
    settings_from,
)
from horogen.cli.collect import print_report
from horogen.cli.logs import quiet_model_libraries
from horogen.cli.process import report_table
from horogen.collect.run import site_today
from horogen.model.tracking import tracking
from horogen.pipeline import collect_step, last_days, process_step, train_step


@app.command("demo")
def demo_command(
    days: Annotated[int, typer.Option(min=1, help="How many days to backfill.")] = 30,
    epochs: Annotated[
        int | None, typer.Option(min=1, help="Training epochs (default: the demo's 2).")
    ] = None,
    lake: LakeOption = None,
) -> None:
    """Run the pipeline end to end on this machine, offline: start a mirror of the seven
    sites, collect the last DAYS days, clean them, train a small model from scratch and
    register it in MLflow.

    Settings: horogen/scenarios/demo.toml, under HOROGEN_* variables and these options.
    """
    quiet_model_libraries()
    end_runs_on_sigterm()
    settings = settings_from(lake, scenario="demo", train={"epochs": epochs} if epochs else None)
    window = last_days(days, until=site_today(settings.collect) - dt.timedelta(days=1))
    lake_url = settings.open_lake().url()

    console.rule(f"1/3 collect {window[0]} … {window[-1]} from an embedded mirror of the sites")
    print_report(collect_step(settings, window))

    console.rule("2/3 process: clean, de-duplicate, keep 300–500 characters")
    reports = process_step(settings, window)
    console.print(report_table(reports))
    console.print(f"{sum(r.rows_out for r in reports)} texts for training")

    console.rule(f"3/3 train: {settings.train.base} model, {settings.train.epochs} epoch(s)")
    result = train_step(settings, window)
    record = result.record
    metrics = ", ".join(f"{name} {value:.3f}" for name, value in sorted(record.metrics.items()))
    console.print(f"trained: {metrics}")
    console.print(f"registered: [bold]{record.model_uri}[/bold]")

    tracking_uri = tracking(settings.mlflow, settings.open_lake()).uri
    console.rule("done")
    for line in (  # paths and commands stay whole, to be copied
        f"lake:     {lake_url}  (raw/, processed/, quarantine/, reports/, runs/)",
        f"MLflow:   {tracking_uri}",
        f"next:     horogen models   ·   mlflow ui --backend-store-uri {tracking_uri}",
        f'use it:   MLFLOW_TRACKING_URI={tracking_uri} python -c "import mlflow; '
        f"m = mlflow.pyfunc.load_model('{record.model_uri}'); print(m.predict(['aries']))\"",
    ):
        console.print(line, soft_wrap=True, highlight=False)
