"""Serving's judge (:class:`horogen.serve.judge.Judge`) on evaluation's scoring: each
candidate's score is the weighted score evaluation ranks strategies by
(``[evaluate.weights]`` over every registered metric), and each check is a registered
metric with a threshold (``[serve] checks``).

The candidates of a group are scored as one set with their requests, so a metric that
needs the request (consistency) sees it and one that reads the set (diversity) reads the
group's candidates. The scorers are built on first use, once, as evaluation builds them.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from horogen.errors import ConfigError
from horogen.evaluate.metrics import get, names
from horogen.evaluate.scorers.base import ScoringContext
from horogen.evaluate.scoring import Scorers, build_scorers, score_texts
from horogen.evaluate.settings import ScorersSettings, WeightsSettings
from horogen.schema import Category
from horogen.signs import Sign

#: What a serving request gives a metric: nothing serving lacks (no training corpus).
SERVABLE = frozenset({"requests"})


class Written(Protocol):
    """A text and what it was written for (serving passes its ``Horoscope``)."""

    sign: Sign
    category: Category
    date: dt.date
    text: str


@dataclass(frozen=True)
class Judgement:
    """One candidate's score, its metrics' values and the checks it failed."""

    score: float
    values: dict[str, float | None]
    failed: tuple[str, ...]


class ScoringJudge:
    """Judges candidates with the scorers of ``scorers``, the weights of ``weights`` and
    the ``checks`` (metric → the lowest passing value of a text)."""

    def __init__(
        self, scorers: ScorersSettings, weights: WeightsSettings, checks: Mapping[str, float]
    ) -> None:
        for name in checks:
            self._check(name)
        self.settings = scorers
        self.weights = weights
        self.checks = dict(checks)
        self._scorers: Scorers | None = None
        self._lock = threading.Lock()  # scorers are built once and score one set at a time

    @staticmethod
    def _check(name: str) -> None:
        try:
            metric = get(name)
        except ConfigError:
            raise ConfigError(
                f"serve.checks names {name!r}, which is no registered metric (the metrics: "
                f"{', '.join(names())}): remove it from [serve] checks or install the "
                "package that registers it"
            ) from None
        missing = metric.needs - SERVABLE
        if missing:
            raise ConfigError(
                f"serve.checks: {name} needs {', '.join(sorted(missing))}, which a served "
                "text does not have: remove it from [serve] checks"
            )

    def judge(self, texts: Sequence[Written]) -> list[Judgement]:
        with self._lock:
            if self._scorers is None:
                self._scorers = build_scorers(self.settings)
            result = score_texts(
                [text.text for text in texts], self._scorers, ScoringContext(requests=texts)
            )
        judgements = []
        for row in result.rows:
            values = row.metric_values()
            failed = tuple(
                name
                for name, threshold in self.checks.items()
                if values[name] is None or values[name] < threshold
            )
            judgements.append(Judgement(self.weights.score(**values), values, failed))
        return judgements
