"""`horogen demo`: the whole daily loop on this machine, offline, then serving.

It runs the pipeline's step functions (``horogen.pipeline``), the same ones the Airflow DAG
runs, on the demo scenario, against a mirror of the sites that only the demo starts.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from horogen import pipeline
from horogen.cli.app import LakeOption, app, console, deployment_from, end_runs_on_sigterm
from horogen.cli.collect import print_report
from horogen.cli.logs import progress_bars, quiet_model_libraries
from horogen.collect.run import CollectionResult, site_today
from horogen.deployment import Deployment
from horogen.mirror.run import MirrorServer
from horogen.pipeline import ProcessingResult

if TYPE_CHECKING:
    from horogen.evaluate.run import StrategyResult
    from horogen.evaluate.stage import EvaluationRecord
    from horogen.serve.precompute import PrecomputeRecord

#: The demo's scenario file (horogen/scenarios/demo.toml).
SCENARIO = "demo"
STAGES = 7


@app.command("demo")
def demo_command(
    days: Annotated[int, typer.Option(min=1, help="How many days to collect and train on.")] = 30,
    epochs: Annotated[
        int | None, typer.Option(min=1, help="Training epochs (default: the demo scenario's).")
    ] = None,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the page when done (Ctrl-C stops).")
    ] = True,
    port: Annotated[int | None, typer.Option(help="Port to serve on (default: 8000).")] = None,
    lake: LakeOption = None,
) -> None:
    """Run the daily loop on this machine, offline: start a mirror of the seven sites,
    collect the last DAYS days, clean them, train a small model from scratch, evaluate its
    decoding strategies, promote it, precompute today's horoscopes and serve them.

    A second run in the same folder reuses what exists: days collected before are kept,
    and a champion whose data is recent is not trained again.

    Settings: horogen/scenarios/demo.toml, under HOROGEN_* variables and these options.
    """
    quiet_model_libraries()
    end_runs_on_sigterm()
    deployment = deployment_from(
        lake,
        scenario=SCENARIO,
        train={"epochs": epochs} if epochs else None,
        serve={"port": port} if port else None,
    )
    today = site_today(deployment.settings.collect)
    window = pipeline.last_days(days, until=today - dt.timedelta(days=1))
    start, end = window[0], window[-1]

    stage(1, "start a mirror of the seven sites on 127.0.0.1 (the demo's stand-in for the web)")
    with MirrorServer() as mirror:
        console.print(f"mirror: {mirror.url}", highlight=False)
        collect = deployment.settings.collect.model_copy(update={"mirror": mirror.url})
        stage(2, f"collect {start} … {end}")
        collected = _collect(deployment.with_settings(collect=collect), window)
    pipeline.check_collection([collected], deployment=deployment)

    stage(3, "process: clean, de-duplicate, keep 300–500 characters")
    processed = pipeline.process(window, deployment=deployment)
    console.print(f"{processed.rows_in} raw rows → {processed.rows_out} texts")

    stage(4, "train a small model from scratch, unless the champion's data is recent")
    due = pipeline.retrain_due(end, deployment=deployment)
    console.print(due.reason, highlight=False)
    trained = None
    if due.due:
        trained = pipeline.train_window(start, end, deployment=deployment, progress=progress_bars())
        rows = trained.record.fingerprint.rows
        console.print(f"registered version {trained.version} ({rows} texts)")

    stage(5, "evaluate decoding strategies: acceptability, diversity, sentiment")
    if trained:
        evaluation = pipeline.evaluate(trained.version, deployment=deployment, on_strategy=_shown)
        _print_evaluation(evaluation)
    else:
        console.print("nothing new to evaluate")

    stage(6, "promote: the challenger becomes champion if it beats the champion")
    if trained:
        decision = pipeline.promote(trained.version, deployment=deployment)
        verdict = "promoted" if decision.promoted else "not promoted"
        console.print(f"version {decision.challenger} {verdict}: {decision.reason}")
    else:
        console.print("nothing new to promote")

    stage(7, "precompute today's horoscopes for every sign and category")
    with console.status("generating…"):
        precomputed = pipeline.precompute(deployment=deployment)
    console.print(
        f"{precomputed.date}: {precomputed.generated} generated, "
        f"{precomputed.cached} cached, {precomputed.model} ({precomputed.seconds} s)"
    )
    _summary(deployment, collected, processed, precomputed)
    if serve:
        from horogen.cli.serve import run_server

        run_server(deployment, scenario=SCENARIO)


def stage(number: int, what: str) -> None:
    console.rule(f"{number}/{STAGES} {what}")


def _collect(deployment: Deployment, window: list[dt.date]) -> CollectionResult:
    """:func:`pipeline.collect_days` with a progress bar over the days."""
    progress = Progress(
        TextColumn("collect"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not progress_bars(),
    )
    with progress:
        task = progress.add_task("collect", total=len(window))
        result = pipeline.collect_days(
            window, deployment=deployment, on_day_done=lambda day: progress.advance(task)
        )
    if result.collected:
        print_report(result)
    console.print(
        f"{result.collected} source-days collected, {result.kept} kept from before",
        highlight=False,
    )
    return result


def _shown(result: StrategyResult) -> None:
    scores = result.scores
    console.print(
        f"  {result.strategy.label():<12} score {scores.score:.3f}  acceptability "
        f"{scores.acceptability:.3f}  diversity {scores.diversity or 0:.3f}  sentiment "
        f"{scores.sentiment:.3f}",
        highlight=False,
    )


def _print_evaluation(record: EvaluationRecord) -> None:
    best, reference = record.scores, record.reference
    console.print(
        f"best: top_p {record.strategy.top_p:g}, temperature "
        f"{record.strategy.temperature:g} (score {best.score:.3f}, acceptability "
        f"{best.acceptability:.3f})",
        highlight=False,
    )
    if reference:
        console.print(
            f"reference (held-back real texts): score {reference.score:.3f}, "
            f"acceptability {reference.acceptability:.3f}",
            highlight=False,
        )


def _summary(
    deployment: Deployment,
    collected: CollectionResult,
    processed: ProcessingResult,
    precomputed: PrecomputeRecord,
) -> None:
    store = deployment.models
    tracking_uri = store.tracking().uri
    champion = store.registry.champion()
    console.rule("done")
    table = Table(show_header=False, box=None)
    table.add_row("raw rows", str(sum(r.records for r in collected.reports)))
    table.add_row("texts", f"{processed.rows_out} (processed/)")
    if champion is not None:
        tags = champion.tags
        scores = ", ".join(
            f"{name} {tags[f'evaluation.{name}']}"
            for name in ("acceptability", "diversity", "sentiment")
            if f"evaluation.{name}" in tags
        )
        table.add_row("champion", f"version {champion.version}: {scores}")
    table.add_row("today", f"{precomputed.generated + precomputed.cached} texts cached")
    console.print(table)
    serve = deployment.settings.serve
    for line in (  # paths and commands stay whole, to be copied
        f"lake:     {deployment.lake.url()}  (raw/, processed/, reports/, runs/, serve/)",
        f"MLflow:   {tracking_uri}",
        f"page:     http://{serve.host}:{serve.port}/",
        f"next:     horogen models   ·   horogen generate leo   ·   "
        f"mlflow ui --backend-store-uri {tracking_uri}",
    ):
        console.print(line, soft_wrap=True, highlight=False)
