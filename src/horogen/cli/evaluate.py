"""``horogen evaluate``, ``promote``, ``rollback``, ``publish`` and ``score``.

The scorers, mlflow and torch are imported inside the commands so that ``horogen --help``
stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from horogen import pipeline
from horogen.cli.app import LakeOption, app, console, deployment_from
from horogen.cli.logs import quiet_model_libraries
from horogen.config import load_settings
from horogen.errors import ExitCode
from horogen.evaluate.metrics import metrics, names

if TYPE_CHECKING:
    from horogen.evaluate.metrics import Metric
    from horogen.evaluate.run import StrategyResult
    from horogen.evaluate.stage import EvaluationRecord


def metric_values(values: Mapping[str, float | None], separator: str = "  ") -> str:
    """Each metric's value, as the lines of `horogen evaluate` and `horogen demo` show
    them: ``acceptability 0.980  diversity 0.175  sentiment 1.000``."""
    return separator.join(
        f"{name} {'n/a' if values.get(name) is None else format(values[name], '.3f')}"
        for name in names()
    )


@app.command("score")
def score_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="A CSV with a 'text' column, JSON lines (.jsonl) with a 'text' field, or "
            "plain text with one text a line. With 'sign' and 'date' for every text (what "
            "`horogen generate --json` prints), consistency is scored too.",
            show_default=False,
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help=f"Print one JSON object: {', '.join(names())} (null where undefined), "
            "novelty_copies (the share of copies), n.",
        ),
    ] = False,
    corpus: Annotated[
        Path | None,
        typer.Option(
            "--corpus",
            help="Training texts (same formats as FILE) to measure novelty against: "
            "without it novelty is null.",
            show_default=False,
        ),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Use the offline backends "
            f"({', '.join(metric.offline_backend for metric in metrics())}) whatever the "
            "settings say.",
        ),
    ] = False,
) -> None:
    """Score texts on every metric (acceptability, diversity, sentiment, consistency, and
    any an installed package adds), with the backends the evaluate.scorers settings name
    (default: the RuCoLA, LaBSE and rubert-sentiment models). Each text a metric faults is
    listed with why (consistency: the word naming another sign or date).

    Examples: horogen score today.jsonl --offline  (today.jsonl: horogen generate --json);
    horogen score texts.txt --corpus training.txt --offline --json
    """
    from horogen.evaluate import settings as evaluate_settings
    from horogen.evaluate.metrics.novelty import copy_share
    from horogen.evaluate.scorers.base import ScoringContext
    from horogen.evaluate.scorers.novelty import CorpusIndex
    from horogen.evaluate.scoring import build_scorers, score_texts
    from horogen.evaluate.texts import read_texts, read_texts_to_score

    given = read_texts_to_score(file)  # a bad file fails before any model loads
    index = CorpusIndex.build(read_texts(corpus)) if corpus else None
    settings = load_settings().evaluate.scorers
    if offline:
        settings = evaluate_settings.offline(settings)
    if any(getattr(settings, m.name).backend != m.offline_backend for m in metrics()):
        quiet_model_libraries()
    context = ScoringContext(requests=given.requests, corpus=index)
    result = score_texts(given.texts, build_scorers(settings), context)
    copies = copy_share([row.novelty for row in result.rows])
    if as_json:
        summary = result.summary.model_dump()
        n = summary.pop("n")
        typer.echo(json.dumps(summary | {"novelty_copies": copies, "n": n}))
        return
    table = Table("metric", "value", "backend", "what it is")
    summary = result.summary.metric_values()
    for metric in metrics():
        value = summary[metric.name]
        shown = f"{value:.3f}" if value is not None else _undefined(metric, result.summary.n)
        table.add_row(metric.name, shown, result.backends[metric.name], metric.meaning)
    console.print(table)
    if copies is not None:
        console.print(f"copies (over half their words in one run from {corpus}): {copies:.3f}")
    console.print(f"{result.summary.n} texts from {file}")
    for number, row in enumerate(result.rows, start=1):
        if row.note:
            console.print(f"text {number}: {row.note}", highlight=False, soft_wrap=True)


def _undefined(metric: Metric, texts: int) -> str:
    if metric.needs:
        return f"n/a (needs {', '.join(sorted(metric.needs))})"
    return "n/a (one text)" if texts == 1 else "n/a"


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
    """Generate with every strategy of the grid, score the texts on every metric
    (acceptability, diversity, sentiment, …), log the report to MLflow (experiment
    horogen-evaluation) and store the best strategy on the version.

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
            f"  {result.strategy.label():<12} score {scores.score:.3f}  "
            f"{metric_values(scores.metric_values())}  "
            f"({result.seconds_per_text * 1000:.0f} ms/text)",
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
        f"{metric_values(best.metric_values(), ', ')}), {record.strategies} strategies in "
        f"{record.seconds:.0f} s",
        highlight=False,
    )
    if reference is not None:
        console.print(
            f"reference (held-back texts): score {reference.score:.3f}, "
            f"{metric_values(reference.metric_values(), ', ')}",
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
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Promote nothing: report whether readers reject the champion (like it less "
            "than the previous one at evaluate.readers.confidence; exit code 1 if they do).",
        ),
    ] = False,
    rollback_on_reject: Annotated[
        bool,
        typer.Option("--rollback-on-reject", help="With --check: roll a rejected champion back."),
    ] = False,
    lake: LakeOption = None,
) -> None:
    """Make a version the champion if it beats the current one on the same requests, seeds
    and scorers: the 95% paired bootstrap interval of the score difference lies above
    evaluate.margin and no metric falls below the champion's by more than its
    evaluate.guards tolerance (evaluating either first if needed), and readers in the
    canary do not like it less; --force skips the gate. The change is recorded: `horogen
    rollback` undoes it.

    Example: horogen promote 4; horogen promote --check --rollback-on-reject
    """
    quiet_model_libraries()
    if rollback_on_reject and not check:
        raise typer.BadParameter("--rollback-on-reject goes with --check")
    if check:
        if version is not None or force:
            raise typer.BadParameter("--check takes no version and no --force")
        found = pipeline.check_champion(
            rollback_on_reject=rollback_on_reject, deployment=deployment_from(lake)
        )
        state = "[bold red]rejected by readers[/]" if found.rejected else "[bold green]kept[/]"
        console.print(f"champion {found.champion}: {state}: {found.reason}", highlight=False)
        if found.rolled_back_to is not None:
            console.print(f"rolled back: champion is version {found.rolled_back_to}")
        if found.rejected and found.rolled_back_to is None:
            raise typer.Exit(ExitCode.FAILURE)
        return
    decision = pipeline.promote(version, force=force, deployment=deployment_from(lake))
    verdict = "[bold green]promoted[/]" if decision.promoted else "[bold yellow]not promoted[/]"
    console.print(f"version {decision.challenger} {verdict}: {decision.reason}", highlight=False)
    if decision.interval is not None:
        interval = decision.interval
        console.print(
            f"  difference {interval.diff:+.4f}, 95% interval [{interval.low:+.4f}, "
            f"{interval.high:+.4f}] over {interval.pairs} paired texts; margin "
            f"{decision.margin}",
            highlight=False,
        )
    for guard in decision.guards:
        console.print(f"  guard {guard.line()}", highlight=False)


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
