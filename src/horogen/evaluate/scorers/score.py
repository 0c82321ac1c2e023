"""Score one set of texts with all three scorers: a row per text and the set's summary."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from horogen.errors import DataError
from horogen.evaluate.scorers.base import METRICS, Scorers


class TextScores(BaseModel):
    """One text's scores (diversity: 1 - its mean similarity to the set's other texts)."""

    text: str
    acceptability: float
    diversity: float | None = Field(description="None in a set of one text.")
    sentiment: float


class ScoreSummary(BaseModel):
    """A set's scores: the shares of acceptable and of non-negative texts, and its
    diversity, each in 0..1 and each the mean of the texts' values."""

    acceptability: float
    diversity: float | None = Field(description="None in a set of one text.")
    sentiment: float
    n: int


class ScoreResult(BaseModel):
    rows: list[TextScores]
    summary: ScoreSummary
    backends: dict[str, str] = Field(description="Each metric's backend, e.g. rucola.")

    def columns(self) -> dict[str, list[Any]]:
        """The rows as columns (what ``mlflow.log_table(data=...)`` takes)."""
        return {name: [getattr(row, name) for row in self.rows] for name in TextScores.model_fields}


def score_texts(texts: Sequence[str], scorers: Scorers) -> ScoreResult:
    """Score ``texts`` as one set (a strategy's texts, a validation split, a user's file)."""
    if not texts:
        raise DataError("no texts to score")
    values = {scorer.metric: scorer.score(texts) for scorer in scorers}
    for metric, scores in values.items():
        if len(scores) != len(texts):
            raise RuntimeError(f"{metric} scored {len(scores)} of {len(texts)} texts")
    accept, diverse, sentiment = (values[metric] for metric in METRICS)
    rows = [
        TextScores(
            text=text,
            acceptability=accept[index],
            diversity=_defined(diverse[index]),
            sentiment=sentiment[index],
        )
        for index, text in enumerate(texts)
    ]
    summary = ScoreSummary(
        acceptability=_mean(accept),
        diversity=_mean(diverse),
        sentiment=_mean(sentiment),
        n=len(texts),
    )
    return ScoreResult(rows=rows, summary=summary, backends=scorers.backends())


def _defined(value: float) -> float | None:
    return None if math.isnan(value) else value


def _mean(values: list[float]) -> float | None:
    """None when no value is defined (the diversity of a set of one)."""
    defined = [value for value in values if not math.isnan(value)]
    return sum(defined) / len(defined) if defined else None
