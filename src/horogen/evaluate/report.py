"""An evaluation in MLflow: a parent run per evaluated model, a child run per strategy with
its per-text table, and heatmaps of each metric over top_p × temperature with the
reference beside them.

Experiment ``mlflow.evaluation_experiment`` (``horogen-evaluation``); connect first
(:meth:`horogen.model.store.ModelStore.connect`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from horogen.evaluate.metrics import names
from horogen.evaluate.metrics.novelty import copy_share
from horogen.evaluate.run import Evaluation, Scores, StrategyResult
from horogen.verdicts import ReaderVerdict

#: The values of a set, in the order the report shows them: every metric, then the score.
SHOWN = (*names(), "score")


def log_evaluation(
    evaluation: Evaluation,
    experiment_id: str,
    params: dict[str, Any],
    readers: Mapping[int, ReaderVerdict] | None = None,
) -> str:
    """Log ``evaluation`` as a parent run with a child run per strategy, and the readers'
    verdicts per version beside it (``readers.json``; metrics for the evaluated version
    when readers judged it); the parent's id."""
    import mlflow

    name = f"v{evaluation.version}" if evaluation.version else evaluation.model
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"evaluate {name}") as parent:
        mlflow.set_tags(
            {
                "model": evaluation.model,
                "version": str(evaluation.version or ""),
                "fingerprint": evaluation.fingerprint,
                **{f"scorer.{metric}": backend for metric, backend in evaluation.backends.items()},
            }
        )
        mlflow.log_params(params | {"strategies": len(evaluation.results)})
        for result in evaluation.results:
            with mlflow.start_run(
                experiment_id=experiment_id, run_name=result.strategy.label(), nested=True
            ):
                mlflow.log_params(result.strategy.model_dump())
                mlflow.log_metrics(
                    metrics(result.scores)
                    | {
                        "seconds_per_text": result.seconds_per_text,
                        "tokens_per_s": result.tokens_per_s,
                    }
                )
                copies = copy_share([text.novelty for text in result.texts])
                if copies is not None:  # the share of copies, beside novelty's mean
                    mlflow.log_metric("novelty_copies", copies)
                mlflow.log_table(table(result), "texts.json")
        best = evaluation.best
        mlflow.log_params(
            {f"best_{key}": value for key, value in best.strategy.model_dump().items()}
        )
        mlflow.log_metrics({f"best_{key}": value for key, value in metrics(best.scores).items()})
        copies = copy_share([text.novelty for text in best.texts])
        if copies is not None:
            mlflow.log_metric("best_novelty_copies", copies)
        if evaluation.reference is not None:
            mlflow.log_metrics(
                {f"reference_{key}": value for key, value in metrics(evaluation.reference).items()}
            )
        mlflow.log_table(summary_table(evaluation), "strategies.json")
        if readers:
            mlflow.log_table(readers_table(readers), "readers.json")
            own = readers.get(evaluation.version) if evaluation.version else None
            if own is not None and own.like_share is not None:
                mlflow.log_metrics(
                    {
                        "readers_votes": own.votes,
                        "readers_distinct": own.readers,
                        "readers_like_share": own.like_share,
                    }
                )
        mlflow.log_figure(heatmaps(evaluation), "heatmaps.png")
        return parent.info.run_id


def metrics(scores: Scores) -> dict[str, float]:
    """The defined values of a set (a set of one has no diversity), the score last."""
    values = {name: getattr(scores, name) for name in SHOWN}
    return {name: float(value) for name, value in values.items() if value is not None}


def readers_table(readers: Mapping[int, ReaderVerdict]) -> dict[str, list[Any]]:
    """Readers' likes, dislikes and share of likes per version, newest version first."""
    versions = sorted(readers, reverse=True)
    rows = [readers[version] for version in versions]
    return {
        "version": versions,
        "likes": [row.likes for row in rows],
        "dislikes": [row.dislikes for row in rows],
        "readers": [row.readers for row in rows],
        "like_share": [
            None if row.like_share is None else round(row.like_share, 4) for row in rows
        ],
    }


def table(result: StrategyResult) -> dict[str, list[Any]]:
    """The per-text table of a strategy, as columns."""
    rows = [text.model_dump() for text in result.texts]
    return {column: [row[column] for row in rows] for column in rows[0]} if rows else {}


def summary_table(evaluation: Evaluation) -> dict[str, list[Any]]:
    """A row per strategy: its parameters and metrics; the reference last."""
    rows = [
        {
            "strategy": r.strategy.label(),
            "top_p": r.strategy.top_p,
            "temperature": r.strategy.temperature,
        }
        | metrics(r.scores)
        for r in evaluation.results
    ]
    if evaluation.reference is not None:
        rows.append(
            {"strategy": "reference", "top_p": None, "temperature": None}
            | metrics(evaluation.reference)
        )
    columns = ["strategy", "top_p", "temperature", *SHOWN]
    return {column: [row.get(column) for row in rows] for column in columns}


def heatmaps(evaluation: Evaluation) -> Any:
    """A figure: one heatmap per metric and one of the score, over top_p (rows) ×
    temperature (columns), cells without a strategy left blank, the reference marked on
    each colour bar."""
    import numpy as np
    from matplotlib.figure import Figure

    top_ps = sorted({r.strategy.top_p for r in evaluation.results})
    temperatures = sorted({r.strategy.temperature for r in evaluation.results})
    figure = Figure(figsize=(4.2 * len(SHOWN), 3.6), layout="constrained")
    for axis, name in zip(figure.subplots(1, len(SHOWN)), SHOWN, strict=True):
        grid = np.full((len(top_ps), len(temperatures)), np.nan)
        for result in evaluation.results:
            value = getattr(result.scores, name)
            row, column = (
                top_ps.index(result.strategy.top_p),
                temperatures.index(result.strategy.temperature),
            )
            grid[row, column] = math.nan if value is None else value
        image = axis.imshow(grid, cmap="viridis", vmin=0, vmax=1, origin="lower", aspect="auto")
        for (row, column), value in np.ndenumerate(grid):
            if not math.isnan(value):
                axis.text(
                    column, row, f"{value:.2f}", ha="center", va="center", color="white", fontsize=8
                )
        axis.set_xticks(range(len(temperatures)), [f"{t:g}" for t in temperatures])
        axis.set_yticks(range(len(top_ps)), [f"{p:g}" for p in top_ps])
        axis.set_xlabel("temperature")
        axis.set_ylabel("top_p")
        bar = figure.colorbar(image, ax=axis, shrink=0.9)
        reference = getattr(evaluation.reference, name, None) if evaluation.reference else None
        title = name
        if reference is not None:
            bar.ax.axhline(reference, color="red", linewidth=2)
            title += f" (reference {reference:.2f}, red)"
        axis.set_title(title, fontsize=10)
    figure.suptitle(f"{evaluation.model}: {len(evaluation.results)} strategies")
    return figure
