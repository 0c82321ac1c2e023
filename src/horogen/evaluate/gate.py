"""The promotion gate's statistics, as pure functions: what the challenger and the champion
scored text for text, the paired bootstrap interval of the difference, the guards, and the
verdict. Nothing here reads or writes MLflow: :mod:`horogen.evaluate.stage` gathers the
evidence, :func:`judge` decides, the stage writes the outcome.

Both versions are evaluated on the same requests with the same seeds (the evaluation's
fingerprint says so), so their texts pair up by (sign, category, sample): the difference
of their scores is measured on each pair, and resampling the pairs shows how much of a lead
is noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel, Field

#: Resamples of the bootstrap: the interval's ends move by under 0.001 between seeds.
RESAMPLES = 10_000
CONFIDENCE = 0.95


class TextScore(BaseModel):
    """One text of a version's evaluation (its best strategy): the request it answers and
    its weighted score."""

    key: str = Field(description="sign/category/sample: the same request in every version")
    score: float


class VersionEvidence(BaseModel):
    """What the gate knows of one version: its texts' scores and its set's metric values."""

    version: int
    texts: list[TextScore]
    metrics: dict[str, float | None]


class Interval(BaseModel):
    """The mean paired difference (challenger − champion) and its bootstrap interval."""

    diff: float
    low: float
    high: float
    pairs: int
    confidence: float = CONFIDENCE


class Guard(BaseModel):
    """One metric's guard: the challenger may fall below the champion by ``tolerance``."""

    metric: str
    challenger: float | None
    champion: float | None
    tolerance: float
    passed: bool

    def line(self) -> str:
        if self.challenger is None or self.champion is None:
            return f"{self.metric}: not compared (undefined for a version)"
        verdict = "ok" if self.passed else "FAILED"
        return (
            f"{self.metric}: {self.challenger:.3f} vs the champion's {self.champion:.3f} "
            f"(may fall by {self.tolerance}): {verdict}"
        )


class Verdict(BaseModel):
    promoted: bool
    interval: Interval | None
    guards: list[Guard]
    reason: str


def paired_interval(
    challenger: Sequence[TextScore],
    champion: Sequence[TextScore],
    *,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> Interval:
    """The mean of the per-request differences and its percentile bootstrap interval (the
    pairs resampled with replacement). Only requests both versions answered count."""
    theirs = {text.key: text.score for text in champion}
    pairs = [(text.score, theirs[text.key]) for text in challenger if text.key in theirs]
    if len(pairs) < 2:
        raise ValueError(f"{len(pairs)} paired texts: the versions were evaluated differently")
    diffs = np.array([mine - other for mine, other in pairs])
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(diffs), size=(resamples, len(diffs)))
    means = diffs[picks].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return Interval(
        diff=float(diffs.mean()),
        low=float(low),
        high=float(high),
        pairs=len(pairs),
        confidence=confidence,
    )


def guards(
    challenger: Mapping[str, float | None],
    champion: Mapping[str, float | None],
    tolerances: Mapping[str, float],
) -> list[Guard]:
    """Each guarded metric: passed unless the challenger's value is below the champion's by
    more than the tolerance (a metric undefined for either version is not compared)."""
    found = []
    for metric, tolerance in tolerances.items():
        mine, theirs = challenger.get(metric), champion.get(metric)
        passed = mine is None or theirs is None or mine >= theirs - tolerance - 1e-12
        found.append(Guard(metric=metric, challenger=mine, champion=theirs,
                           tolerance=tolerance, passed=passed))  # fmt: skip
    return found


def judge(
    challenger: VersionEvidence,
    champion: VersionEvidence,
    *,
    margin: float,
    tolerances: Mapping[str, float],
    seed: int = 0,
) -> Verdict:
    """Promote only when the interval's lower end is above ``margin`` and every guard
    holds."""
    interval = paired_interval(challenger.texts, champion.texts, seed=seed)
    checked = guards(challenger.metrics, champion.metrics, tolerances)
    failed = [guard.metric for guard in checked if not guard.passed]
    shown = (
        f"score difference {interval.diff:+.4f} (95% interval {interval.low:+.4f} … "
        f"{interval.high:+.4f}, {interval.pairs} paired texts)"
    )
    if interval.low <= margin:
        reason = f"{shown}: its lower end is not above the margin {margin}"
    elif failed:
        reason = f"{shown} clears the margin {margin}, but {', '.join(failed)} fell too far"
    else:
        reason = f"{shown} clears the margin {margin}, and every guard holds"
    return Verdict(
        promoted=interval.low > margin and not failed,
        interval=interval,
        guards=checked,
        reason=reason,
    )
