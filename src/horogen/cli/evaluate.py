"""``horogen evaluate``, ``promote``, ``rollback``, ``publish`` and ``score``.

The scorers, mlflow and torch are imported inside the commands so that ``horogen --help``
stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from horogen import pipeline
from horogen.cli.app import LakeOption, app, console, deployment_from
from horogen.cli.logs import quiet_model_libraries
from horogen.config import load_settings
from horogen.evaluate.settings import OFFLINE_BACKENDS

if TYPE_CHECKING:
    from horogen.evaluate.run import StrategyResult
    from horogen.evaluate.stage import EvaluationRecord

#: What each metric's value is, for the table.
MEANING = {
    "acceptability": "share of acceptable texts",
    "diversity": "1 - mean cosine similarity between different texts",
    "sentiment": "share of non-negative texts",
}


@app.command("score")
def score_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="A CSV with a 'text' column, JSON lines (.jsonl) with a 'text' field, or "
            "plain text with one text a line.",
            show_default=False,
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON object: acceptability, diversity, sentiment, n."
        ),
    ] = False,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Use the offline backends (orthography, char-tfidf, lexicon) whatever "
            "the settings say.",
        ),
    ] = False,
) -> None:
    """Score texts on acceptability, diversity and sentiment, with the backends the
    evaluate.scorers settings name (default: the RuCoLA, LaBSE and rubert-sentiment models).

    Example: horogen score texts.txt --offline --json
    """
    from horogen.evaluate import scorers
    from horogen.evaluate.texts import read_texts

    texts = read_texts(file)  # a bad file fails before any model loads
    settings = load_settings().evaluate.scorers
    if offline:
        settings = scorers.offline(settings)
    if any(getattr(settings, metric).backend != OFFLINE_BACKENDS[metric] for metric in MEANING):
        from horogen.cli.logs import quiet_model_libraries

        quiet_model_libraries()
    result = scorers.score_texts(texts, scorers.build_scorers(settings))
    if as_json:
        typer.echo(json.dumps(result.summary.model_dump()))
        return
    table = Table("metric", "value", "backend", "what it is")
    summary = result.summary.model_dump()
    for metric, meaning in MEANING.items():
        value = summary[metric]
        shown = "n/a (one text)" if value is None else f"{value:.3f}"
        table.add_row(metric, shown, result.backends[metric], meaning)
    console.print(table)
    console.print(f"{result.summary.n} texts from {file}")


@app.command("evaluate")
def evaluate_command(
    reference: Annotated[
        str | None,
        typer.Argument(
            help="The model: a version, champion, challenger, models:/… or a directory "
            "(default: the challenger, else the champion, else the newest version).",
            show_default=False,
        ),
    ] = None,
    grid: Annotated[
        Path | None,
        typer.Option(
            "--grid",
            help="A TOML or JSON file with the fields of [evaluate.grid] (pairs, top_p, "
            "temperature, …).",
            show_default=False,
        ),
    ] = None,
    samples: Annotated[
        int | None, typer.Option("--samples", min=2, help="Texts per sign and strategy.")
    ] = None,
    lake: LakeOption = None,
) -> None:
    """Generate with every strategy of the grid, score the texts on acceptability,
    diversity and sentiment, log the report to MLflow (experiment horogen-evaluation) and
    store the best strategy on the version.

    Example: horogen evaluate challenger --samples 8
    """
    from horogen.evaluate.grid import load_grid

    quiet_model_libraries()
    deployment = deployment_from(lake)
    evaluate = deployment.settings.evaluate.model_copy(
        update={
            key: value
            for key, value in (
                ("grid", load_grid(grid) if grid else None),
                ("samples", samples),
            )
            if value is not None
        }
    )

    def shown(result: StrategyResult) -> None:
        scores = result.scores
        console.print(
            f"  {result.strategy.label():<12} score {scores.score:.3f}  acceptability "
            f"{scores.acceptability:.3f}  diversity {scores.diversity or 0:.3f}  sentiment "
            f"{scores.sentiment:.3f}  ({result.seconds_per_text * 1000:.0f} ms/text)",
            highlight=False,
        )

    record = pipeline.evaluate(
        reference, deployment=deployment.with_settings(evaluate=evaluate), on_strategy=shown
    )
    print_evaluation(record)


def print_evaluation(record: EvaluationRecord) -> None:
    best, reference = record.scores, record.reference
    console.print(
        f"[bold]{record.model}[/bold]: best {record.strategy.label()} (score {best.score:.3f}, "
        f"acceptability {best.acceptability:.3f}, diversity {best.diversity or 0:.3f}, "
        f"sentiment {best.sentiment:.3f}), {record.strategies} strategies in "
        f"{record.seconds:.0f} s",
        highlight=False,
    )
    if reference is not None:
        console.print(
            f"reference (held-back texts): score {reference.score:.3f}, acceptability "
            f"{reference.acceptability:.3f}, diversity {reference.diversity or 0:.3f}, "
            f"sentiment {reference.sentiment:.3f}",
            highlight=False,
        )
    console.print(f"MLflow run {record.run_id}", highlight=False)


@app.command("promote")
def promote_command(
    version: Annotated[
        int | None,
        typer.Argument(help="The version (default: the challenger).", show_default=False),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Make it the champion whatever the scores.")
    ] = False,
    lake: LakeOption = None,
) -> None:
    """Make a version the champion if it beats the current one on the same requests, seeds
    and scorers by evaluate.margin (evaluating either first if needed); --force skips the
    gate. The change is recorded: `horogen rollback` undoes it.

    Example: horogen promote 4
    """
    quiet_model_libraries()
    decision = pipeline.promote(version, force=force, deployment=deployment_from(lake))
    verdict = "[bold green]promoted[/]" if decision.promoted else "[bold yellow]not promoted[/]"
    console.print(f"version {decision.challenger} {verdict}: {decision.reason}")


@app.command("rollback")
def rollback_command(lake: LakeOption = None) -> None:
    """Give the champion alias back to the previous champion.

    Example: horogen rollback
    """
    from horogen.evaluate.stage import rollback

    quiet_model_libraries()
    change = rollback(deployment_from(lake).models)
    console.print(f"champion: version {change.version} ({change.reason})")


@app.command("publish")
def publish_command(
    reference: Annotated[
        str | None,
        typer.Argument(
            help="The model: a version, champion, challenger or models:/… (default: the champion).",
            show_default=False,
        ),
    ] = None,
    lake: LakeOption = None,
) -> None:
    """Upload a version (model, tokenizer, model card) to the hub repository of
    publish.repo_id, with the token of publish.token or HF_TOKEN.

    Example: HOROGEN_PUBLISH__REPO_ID=me/horogen-ru horogen publish 3
    """
    from horogen.evaluate.publish import publish_model

    quiet_model_libraries()
    deployment = deployment_from(lake)
    model = deployment.models.resolve(reference or "champion")
    published = publish_model(model, deployment.settings.publish)
    console.print(f"published {model.label} to {published.repo_id}: {published.commit_url}")
