"""Evaluate a model: generate with every strategy of the grid, score the texts, and read them
against the reference (the training set's held-back validation texts, same scorers).

Every version is evaluated on the same requests (each sign × category × sample, on one
fixed date) with the same seeds, so versions compare text for text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from horogen.errors import DataError
from horogen.evaluate.metrics.values import MetricValues, with_metrics
from horogen.evaluate.scorers.base import ScoringContext
from horogen.evaluate.scorers.novelty import CorpusIndex
from horogen.evaluate.scoring import Scorers, ScoreSummary, score_texts
from horogen.evaluate.settings import EvaluateSettings, WeightsSettings
from horogen.model.generate import HoroscopeGenerator, requests_for
from horogen.model.settings import GenerationSettings
from horogen.model.strategy import Strategy
from horogen.signs import Sign

log = logging.getLogger(__name__)

#: The date of every evaluation request: part of each text's seed, the same for all versions.
EVALUATION_DATE = dt.date(2000, 1, 1)


TextRow = with_metrics(
    "TextRow",
    MetricValues,
    module=__name__,
    doc="One generated text and its value of each metric: a row of the per-text table.",
    before={
        "sign": (str, ...),
        "category": (str, ...),
        "sample": (int, ...),
        "prompt": (str, ...),
        "text": (str, ...),
    },
    after={"note": (str, "")},
)


class _Scored(MetricValues):
    """What :data:`Scores` does besides holding values."""

    @classmethod
    def of(cls, summary: ScoreSummary, weights: WeightsSettings) -> Scores:
        values = summary.metric_values()
        return cls(**values, score=weights.score(**values), n=summary.n)


Scores = with_metrics(
    "Scores",
    _Scored,
    module=__name__,
    doc="A set's value of each metric and their weighted score.",
    after={"score": (float, ...), "n": (int, ...)},
)


class StrategyResult(BaseModel):
    strategy: Strategy
    scores: Scores
    seconds_per_text: float
    tokens_per_s: float
    texts: list[TextRow]

    def text_scores(self, weights: WeightsSettings) -> list[dict[str, object]]:
        """Each text's request and weighted score: what the gate pairs across versions."""
        return [
            {"key": f"{row.sign}/{row.category}/{row.sample}",
             "score": weights.score(**row.metric_values())}
            for row in self.texts
        ]  # fmt: skip


class Evaluation(BaseModel):
    """What evaluating one model found."""

    model: str
    version: int | None
    #: Identifies what was compared: requests, seeds, strategies, scorers, weights and the
    #: generation backend. Two evaluations with the same fingerprint compare fairly.
    fingerprint: str
    backends: dict[str, str]
    reference: Scores | None
    results: list[StrategyResult]
    #: The lowest value of each metric a strategy must reach to be chosen (``[evaluate.floors]``).
    floors: dict[str, float] = {}

    def eligible(self, result: StrategyResult) -> bool:
        """Whether ``result`` clears every floor (an undefined value does not)."""
        values = result.scores.metric_values()
        return all(
            values.get(metric) is not None and values[metric] >= floor
            for metric, floor in self.floors.items()
        )

    @property
    def best(self) -> StrategyResult:
        """The strategy with the highest score among those clearing every floor (the first
        of equals); :class:`DataError` when none does."""
        eligible = [result for result in self.results if self.eligible(result)]
        if not eligible:
            reached = {
                metric: max((r.scores.metric_values().get(metric) or 0.0) for r in self.results)
                for metric in self.floors
            }
            raise DataError(
                f"no strategy of {self.model} clears the floors {self.floors} (the best "
                f"values reached: {reached}): lower [evaluate.floors] or widen the grid"
            )
        return max(eligible, key=lambda result: result.scores.score)


def fingerprint(
    settings: EvaluateSettings, strategies: Sequence[Strategy], generation: GenerationSettings
) -> str:
    """A hash of everything that decides which texts are generated and how they score."""
    scorers = settings.scorers.model_dump(mode="json", exclude={"device"})
    decided = {
        "samples": settings.samples,
        "categories": [str(category) for category in settings.categories],
        "seed": settings.seed,
        "date": EVALUATION_DATE.isoformat(),
        "strategies": [strategy.model_dump() for strategy in strategies],
        "scorers": scorers,
        "weights": settings.weights.model_dump(),
        "floors": settings.floors,
        # CTranslate2's texts depend on how rows are batched.
        "generation": generation.model_dump(
            mode="json", include={"backend", "quantization", "batch_size"}
        ),
    }
    return hashlib.sha256(json.dumps(decided, sort_keys=True).encode()).hexdigest()[:16]


def evaluate_model(
    generator: HoroscopeGenerator,
    scorers: Scorers,
    settings: EvaluateSettings,
    strategies: Sequence[Strategy],
    *,
    reference_texts: Sequence[str],
    fingerprint: str,
    corpus: CorpusIndex | None = None,
    on_strategy: Callable[[StrategyResult], None] | None = None,
) -> Evaluation:
    """Generate ``settings.samples`` texts per sign and category with each strategy, score
    each set (novelty against ``corpus``, the version's training texts), and score
    ``reference_texts`` (if any) as the reference (no novelty: they are in the corpus)."""
    requests = requests_for(list(Sign), settings.categories, EVALUATION_DATE, settings.samples)
    model = generator.model
    results = []
    for strategy in strategies:
        started = time.perf_counter()
        texts = generator.generate(requests, strategy, seed=settings.seed)
        elapsed = time.perf_counter() - started
        scored = score_texts(
            [text.text for text in texts], scorers, ScoringContext(requests=requests, corpus=corpus)
        )
        tokenizer = generator.backend.tokenizer
        tokens = sum(len(tokenizer(t.text, add_special_tokens=False)["input_ids"]) for t in texts)
        result = StrategyResult(
            strategy=strategy,
            scores=Scores.of(scored.summary, settings.weights),
            seconds_per_text=elapsed / len(texts),
            tokens_per_s=tokens / elapsed if elapsed else 0.0,
            texts=[
                TextRow(
                    sign=text.sign.value,
                    category=text.category.value,
                    sample=text.sample,
                    prompt=model.prompt(text.sign.value, text.category.value, text.date),
                    text=text.text,
                    **row.metric_values(),
                    note=row.note,
                )
                for text, row in zip(texts, scored.rows, strict=True)
            ],
        )
        if on_strategy is not None:  # the caller shows it
            on_strategy(result)
        else:
            log.info("%s: score %.3f", strategy.label(), result.scores.score)
        results.append(result)
    reference = None
    if len(reference_texts) >= 2:
        summary = score_texts(list(reference_texts), scorers).summary
        reference = Scores.of(summary, settings.weights)
    evaluation = Evaluation(
        model=model.label,
        version=model.version.version if model.version else None,
        fingerprint=fingerprint,
        backends=scorers.backends(),
        reference=reference,
        results=results,
        floors=settings.floors,
    )
    evaluation.best  # noqa: B018 (no strategy clearing the floors fails the evaluation here)
    return evaluation
