"""What a scorer is: one metric, one value per text of a set.

Every metric is defined so that a set's value is the mean of its texts' values:
acceptability and sentiment are 0 or 1 per text, and a text's diversity is 1 minus its
mean similarity to the other texts of its set.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

Metric = Literal["acceptability", "diversity", "sentiment"]
METRICS: tuple[Metric, ...] = ("acceptability", "diversity", "sentiment")


class Scorer(ABC):
    """Scores a set of texts; built once (a hub model loads then) and reused for many sets."""

    metric: ClassVar[Metric]
    #: The backend's name, as in the settings (``rucola``, ``orthography`` …).
    backend: ClassVar[str]

    @abstractmethod
    def score(self, texts: Sequence[str]) -> list[float]:
        """One value in 0..1 per text, in order (NaN where the metric is undefined: the
        diversity of a set of one)."""


@dataclass(frozen=True)
class Scorers:
    """One scorer per metric."""

    acceptability: Scorer
    diversity: Scorer
    sentiment: Scorer

    def __iter__(self) -> Iterator[Scorer]:
        return iter((self.acceptability, self.diversity, self.sentiment))

    def backends(self) -> dict[Metric, str]:
        return {scorer.metric: scorer.backend for scorer in self}
