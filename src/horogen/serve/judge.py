"""Best of k: draw k candidates per text in one generation call, serve the best that passes
the checks.

Serving does not know how a text is scored. A :class:`Judge` does: it gives each candidate
the evaluation's weighted score, its metrics' values and the checks it failed
(:class:`horogen.evaluate.judge.ScoringJudge`, wired by :class:`horogen.deployment.Deployment`).
:meth:`BestOf.choose` draws and decides: among a sign's candidates that pass every check,
the highest score (the lowest sample of equals); when none of them passes, ``k`` more
(in one call for every such sign) until ``cap`` candidates, then the best of all, served
with its failure recorded.

Every candidate is kept with its scores (:class:`Candidate`, a row of the text store's
``horoscope_candidates`` table), so a served text's choice can be audited
(``horogen candidates``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, Field

from horogen.schema import Category
from horogen.serve.schemas import Horoscope
from horogen.serve.settings import ServeSettings
from horogen.signs import Sign

#: Draws candidates: ``samples`` for each of ``signs``, in one generation call; each as
#: ``(sample, text)``, sign by sign.
Draw = Callable[[Sequence[Sign], range], list[tuple[int, Horoscope]]]


class Judged(Protocol):
    """What a judge says of one candidate."""

    #: The evaluation's weighted score of the text (``[evaluate.weights]``).
    @property
    def score(self) -> float: ...

    #: Each metric's value for the text (None: undefined for it).
    @property
    def values(self) -> Mapping[str, float | None]: ...

    #: The checks the text did not pass (empty: it passed them all).
    @property
    def failed(self) -> Sequence[str]: ...


class Judge(Protocol):
    """Scores candidates, all of one group at once (some metrics, such as diversity, read
    each text against the others)."""

    def judge(self, texts: Sequence[Horoscope]) -> Sequence[Judged]:
        """One judgement per text, in order."""
        ...


class Candidate(BaseModel):
    """One drawn text, its scores, and whether it was served: a row of the audit table."""

    model: str
    version: int | None
    date: dt.date
    category: Category
    sign: Sign
    sample: int = Field(description="Which draw (its seed); 0 … best_of_cap - 1.")
    text: str
    score: float = Field(description="The evaluation's weighted score of this text.")
    values: dict[str, float | None] = Field(description="Each metric's value for this text.")
    failed: list[str] = Field(description="The checks it did not pass; empty: it passed.")
    chosen: bool = Field(description="Whether this is the text served.")

    @property
    def passed(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class Choice:
    """The texts to serve and every candidate drawn for them."""

    served: list[Horoscope]
    candidates: list[Candidate]
    #: Signs whose served text passed no check: none of their candidates passed.
    unpassed: list[Sign]
    #: Generation calls made.
    draws: int


@dataclass(frozen=True)
class BestOf:
    """``k`` candidates per text, at most ``cap``, judged by ``judge``."""

    judge: Judge
    k: int
    cap: int

    def __post_init__(self) -> None:
        if not 1 <= self.k <= self.cap:
            raise ValueError(f"best of {self.k} with a cap of {self.cap}: need 1 ≤ k ≤ cap")

    def choose(self, draw: Draw, signs: Sequence[Sign]) -> Choice:
        """Draw for ``signs`` and choose one text for each. The draws are deterministic
        (samples ``0 … k-1``, then ``k … 2k-1`` for the signs still wanting, …), so the
        same model and group always make the same calls and the same choice."""
        pool: dict[Sign, list[tuple[int, Horoscope]]] = {sign: [] for sign in signs}
        judged: dict[tuple[Sign, int], Judged] = {}
        wanting, drawn, draws = list(signs), 0, 0
        while wanting and drawn < self.cap:
            count = min(self.k, self.cap - drawn)
            for sample, text in draw(wanting, range(drawn, drawn + count)):
                pool[text.sign].append((sample, text))
            drawn, draws = drawn + count, draws + 1
            # Judged together every round: scores that read the set compare fairly.
            everything = [(sign, sample, text) for sign in signs for sample, text in pool[sign]]
            verdicts = self.judge.judge([text for _, _, text in everything])
            judged = {
                (sign, sample): verdict
                for (sign, sample, _), verdict in zip(everything, verdicts, strict=True)
            }
            wanting = [s for s in signs if not any(_passed(judged[s, n]) for n, _ in pool[s])]
        served, candidates = [], []
        for sign in signs:
            best = _best(pool[sign], judged, sign)
            served.append(best[1])
            candidates += [
                _candidate(text, sample, judged[sign, sample], chosen=sample == best[0])
                for sample, text in pool[sign]
            ]
        return Choice(served, candidates, unpassed=wanting, draws=draws)


def best_of_for(settings: ServeSettings, judge: Judge | None) -> BestOf | None:
    """Best of ``settings.best_of`` (at most ``best_of_cap``) judged by ``judge``; none
    without a judge (one draw per text, nothing kept beside it)."""
    if judge is None:
        return None
    return BestOf(judge, settings.best_of, settings.best_of_cap)


def _passed(verdict: Judged) -> bool:
    return not verdict.failed


def _best(
    drawn: list[tuple[int, Horoscope]], judged: dict[tuple[Sign, int], Judged], sign: Sign
) -> tuple[int, Horoscope]:
    """The passing candidate with the highest score, else the highest of all; the lowest
    sample of equals."""
    passing = [c for c in drawn if _passed(judged[sign, c[0]])] or drawn
    return max(passing, key=lambda c: (judged[sign, c[0]].score, -c[0]))


def _candidate(text: Horoscope, sample: int, verdict: Judged, *, chosen: bool) -> Candidate:
    return Candidate(
        model=text.model,
        version=text.version,
        date=text.date,
        category=text.category,
        sign=text.sign,
        sample=sample,
        text=text.text,
        score=verdict.score,
        values=dict(verdict.values),
        failed=list(verdict.failed),
        chosen=chosen,
    )
