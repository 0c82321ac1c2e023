"""What a scorer is: one metric's backend, one value per text of a set.

A scorer is built once (a hub model loads then) and scores many sets. What a set was made
for travels beside its texts as a :class:`ScoringContext`: the requests evaluation
generated the texts for, the training corpus of the version. ``horogen score`` has
neither; a metric that needs one of them (:attr:`horogen.evaluate.metrics.Metric.needs`)
is then left undefined instead of being asked.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from horogen.schema import Category
from horogen.signs import Sign

#: What a set's context may hold.
Need = Literal["requests", "corpus"]


class Request(Protocol):
    """What a text was written for (evaluation passes
    :class:`horogen.model.generate.TextRequest`)."""

    sign: Sign
    category: Category
    date: dt.date


class Corpus(Protocol):
    """An index of a version's training texts, built once per version
    (:class:`horogen.evaluate.scorers.novelty.CorpusIndex`)."""

    def longest_shared(self, text: str) -> tuple[int, int]: ...


@dataclass(frozen=True)
class ScoringContext:
    """What a set of texts was made for, where known."""

    #: The request of each text, in the texts' order (sign, category, date).
    requests: Sequence[Request] | None = None
    #: The training texts of the version that wrote them, or their index.
    corpus: Sequence[str] | Corpus | None = None

    def has(self, need: Need) -> bool:
        return getattr(self, need) is not None


class Scorer(ABC):
    """Scores a set of texts; built once and reused for many sets."""

    @abstractmethod
    def score(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[float]:
        """One value in 0..1 per text, in order (NaN where the metric is undefined: the
        diversity of a set of one)."""

    def notes(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[str]:
        """Why each text scored as it did, where the metric can say ("" where it has
        nothing to say): the per-text table's ``note`` column."""
        return [""] * len(texts)
