"""Score a set of texts with every registered metric: a row per text and the set's summary.

Build the scorers once (hub models load then) and score as many sets as needed::

    scorers = build_scorers(settings.evaluate.scorers)
    result = score_texts(texts, scorers)   # result.rows: one per text; result.summary
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from horogen.errors import DataError, ModelLoadError
from horogen.evaluate.metrics import metrics
from horogen.evaluate.metrics.values import MetricValues, with_metrics
from horogen.evaluate.scorers.base import Scorer, ScoringContext
from horogen.evaluate.scorers.hub import setting_name
from horogen.evaluate.settings import ScorersSettings

TextScores = with_metrics(
    "TextScores",
    MetricValues,
    module=__name__,
    doc="One text's value of each metric (None where undefined: the diversity of a set of "
    "one text).",
    before={"text": (str, ...)},
    after={
        "note": (
            str,
            Field(
                default="",
                description="What the metrics say about the text, e.g. "
                "\"consistency: another sign 'Ракам'\".",
            ),
        )
    },
)
ScoreSummary = with_metrics(
    "ScoreSummary",
    MetricValues,
    module=__name__,
    doc="A set's value of each metric, each in 0..1 (None where undefined: the diversity of "
    "a set of one text, a metric whose input the set lacks), and how many texts it has.",
    after={"n": (int, ...)},
)


class ScoreResult(BaseModel):
    rows: list[TextScores]
    summary: ScoreSummary
    backends: dict[str, str] = Field(description="Each metric's backend, e.g. rucola.")

    def columns(self) -> dict[str, list[Any]]:
        """The rows as columns (what ``mlflow.log_table(data=...)`` takes)."""
        return {name: [getattr(row, name) for row in self.rows] for name in TextScores.model_fields}


class Scorers(Mapping[str, Scorer]):
    """One scorer per registered metric, by name (``scorers["diversity"]``, or as an
    attribute: ``scorers.diversity``), and the backend each one is."""

    def __init__(self, scorers: Mapping[str, Scorer], backends: Mapping[str, str]) -> None:
        self._scorers = dict(scorers)
        self._backends = dict(backends)

    def __getitem__(self, metric: str) -> Scorer:
        return self._scorers[metric]

    def __getattr__(self, metric: str) -> Scorer:
        if metric.startswith("_"):
            raise AttributeError(metric)
        try:
            return self._scorers[metric]
        except KeyError:
            raise AttributeError(metric) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._scorers)

    def __len__(self) -> int:
        return len(self._scorers)

    def backends(self) -> dict[str, str]:
        return dict(self._backends)


def build_scorers(settings: ScorersSettings) -> Scorers:
    """One scorer per metric, as ``[evaluate.scorers]`` says; hub models load here, once.
    A model that cannot load is a ModelLoadError that names the metric's offline backend."""
    scorers, backends = {}, {}
    for metric in metrics():
        section = getattr(settings, metric.name)
        try:
            scorers[metric.name] = metric.build(section, settings.device)
        except ModelLoadError as error:
            raise ModelLoadError(
                f"{str(error).rstrip('.')}, or {setting_name(metric.name, 'backend')} to "
                f"{metric.offline_backend!r} to score without a model."
            ) from error
        backends[metric.name] = section.backend
    return Scorers(scorers, backends)


def score_texts(
    texts: Sequence[str], scorers: Scorers, context: ScoringContext | None = None
) -> ScoreResult:
    """Score ``texts`` as one set (a strategy's texts, a validation split, a user's file);
    ``context``: what they were made for, where known."""
    if not texts:
        raise DataError("no texts to score")
    context = context or ScoringContext()
    if context.requests is not None and len(context.requests) != len(texts):
        raise ValueError(f"{len(context.requests)} requests for {len(texts)} texts")
    values = {
        metric.name: metric.per_text(scorers[metric.name], texts, context) for metric in metrics()
    }
    notes = [
        [
            f"{metric.name}: {note}" if note else ""
            for note in metric.per_text_notes(scorers[metric.name], texts, context)
        ]
        for metric in metrics()
    ]
    rows = [
        TextScores(
            text=text,
            **{name: _defined(scores[index]) for name, scores in values.items()},
            note="; ".join(note[index] for note in notes if note[index]),
        )
        for index, text in enumerate(texts)
    ]
    summary = ScoreSummary(
        n=len(texts), **{metric.name: metric.per_set(values[metric.name]) for metric in metrics()}
    )
    return ScoreResult(rows=rows, summary=summary, backends=scorers.backends())


def _defined(value: float) -> float | None:
    return None if math.isnan(value) else value
