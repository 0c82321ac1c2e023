"""Serving's judge (:class:`horogen.serve.judge.Judge`) on evaluation's scoring: each
candidate's score is the weighted score evaluation ranks strategies by
(``[evaluate.weights]`` over every registered metric), and each check is a registered
metric with a threshold (``[serve] checks``).

The candidates of a group are scored as one set with their requests, so a metric that
needs the request (consistency) sees it and one that reads the set (diversity) reads the
group's candidates. Given a corpus source, the set is also scored against the training
corpus of the model that wrote it (novelty); a check whose metric needs a corpus the
model does not have is not applied to its texts. The scorers are built on first use,
once, as evaluation builds them.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from horogen.errors import ConfigError
from horogen.evaluate.metrics import get, names
from horogen.evaluate.scorers.base import Corpus, Need, ScoringContext
from horogen.evaluate.scoring import Scorers, build_scorers, score_texts
from horogen.evaluate.settings import ScorersSettings, WeightsSettings
from horogen.schema import Category
from horogen.signs import Sign

#: The training corpus of the model a text names (its label and version), None if none.
CorpusSource = Callable[[str, int | None], Corpus | None]


class Written(Protocol):
    """A text and what it was written for (serving passes its ``Horoscope``)."""

    sign: Sign
    category: Category
    date: dt.date
    text: str
    model: str
    version: int | None


@dataclass(frozen=True)
class Judgement:
    """One candidate's score, its metrics' values and the checks it failed."""

    score: float
    values: dict[str, float | None]
    failed: tuple[str, ...]


class ScoringJudge:
    """Judges candidates with the scorers of ``scorers``, the weights of ``weights`` and
    the ``checks`` (metric → the lowest passing value of a text); ``corpus`` gives the
    training corpus of a text's model (without it, no check may need one)."""

    def __init__(
        self,
        scorers: ScorersSettings,
        weights: WeightsSettings,
        checks: Mapping[str, float],
        corpus: CorpusSource | None = None,
    ) -> None:
        self.servable: frozenset[Need] = frozenset({"requests"} | ({"corpus"} if corpus else set()))
        for name in checks:
            self._check(name)
        self.settings = scorers
        self.weights = weights
        self.checks = dict(checks)
        self.corpus = corpus
        self._scorers: Scorers | None = None
        self._lock = threading.Lock()  # scorers are built once and score one set at a time

    def _check(self, name: str) -> None:
        try:
            metric = get(name)
        except ConfigError:
            raise ConfigError(
                f"serve.checks names {name!r}, which is no registered metric (the metrics: "
                f"{', '.join(names())}): remove it from [serve] checks or install the "
                "package that registers it"
            ) from None
        missing = metric.needs - self.servable
        if missing:
            raise ConfigError(
                f"serve.checks: {name} needs {', '.join(sorted(missing))}, which a served "
                "text does not have: remove it from [serve] checks"
            )

    def judge(self, texts: Sequence[Written]) -> list[Judgement]:
        """Judge one model's candidates (a group's: one set)."""
        models = {(text.model, text.version) for text in texts}
        if len(models) > 1:
            raise ValueError(f"one set is one model's texts, not {len(models)} models'")
        corpus = self.corpus(*models.pop()) if self.corpus and models else None
        context = ScoringContext(requests=texts, corpus=corpus)
        # A check needing what this model lacks (a bare directory has no training corpus)
        # is not applied: it would fail every candidate alike.
        checks = {n: t for n, t in self.checks.items() if all(map(context.has, get(n).needs))}
        with self._lock:
            if self._scorers is None:
                self._scorers = build_scorers(self.settings)
            result = score_texts([text.text for text in texts], self._scorers, context)
        judgements = []
        for row in result.rows:
            values = row.metric_values()
            failed = tuple(
                name
                for name, threshold in checks.items()
                if values[name] is None or values[name] < threshold
            )
            judgements.append(Judgement(self.weights.score(**values), values, failed))
        return judgements
