"""What a metric is: a name, what its value means, its settings section, its backends, how
a set's value comes from its texts' values, and its default weight in the score.

A metric is one module that builds one :class:`Metric` (conventionally ``METRIC``), listed
in :mod:`horogen.evaluate.metrics.registry` or installed under the ``horogen.metrics``
entry point group. Everything else (the settings, the per-text and per-set tables, the
score, the gate, the MLflow report, ``horogen score``) iterates over the registry.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel

from horogen.evaluate.scorers.base import Need, Scorer, ScoringContext

#: Builds a backend's scorer from the metric's settings section and the torch device of
#: ``[evaluate.scorers]``. A hub backend imports torch inside, so that choosing an offline
#: one never loads it.
Backend = Callable[[Any, str], Scorer]
#: A metric's name becomes a settings key, an environment variable part, a column, a tag.
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Names the tables and models built from the registry use for something else.
RESERVED = frozenset(
    {
        *("text", "sign", "category", "sample", "prompt", "note"),  # the per-text table
        *("strategy", "top_p", "temperature", "seconds_per_text", "tokens_per_s"),  # report
        *("score", "n", "device", "of", "metric_values"),  # the models and their methods
    }
)


def mean_of_defined(values: Sequence[float]) -> float | None:
    """The mean of the values that are not NaN; None when none is."""
    defined = [value for value in values if not math.isnan(value)]
    return sum(defined) / len(defined) if defined else None


@dataclass(frozen=True)
class Metric:
    """One evaluation metric, declared once."""

    #: ``[evaluate.scorers.<name>]``, ``[evaluate.weights] <name>``, the column, the tag
    #: ``evaluation.<name>`` and the key of ``horogen score --json``.
    name: str
    #: What a set's value is, in one line (tables, help, field descriptions).
    meaning: str
    #: The ``[evaluate.scorers.<name>]`` model: a ``backend`` field (a Literal of the
    #: backends' names) and the backends' options; ``extra="forbid"``.
    settings: type[BaseModel]
    #: Every backend by the name the settings use.
    backends: Mapping[str, Backend]
    #: The backend that needs no model: the demo's, and ``horogen score --offline``'s.
    offline_backend: str
    #: Its default weight in ``[evaluate.weights]``.
    weight: float
    #: A set's value from its texts' values (NaN: undefined for that text).
    per_set: Callable[[Sequence[float]], float | None] = mean_of_defined
    #: What the scorer needs beside the texts; without it the metric is undefined (None).
    needs: frozenset[Need] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not NAME.match(self.name) or self.name in RESERVED or hasattr(BaseModel, self.name):
            raise ValueError(
                f"a metric's name must match {NAME.pattern} and not be one of "
                f"{sorted(RESERVED)} or a pydantic model's attribute: {self.name!r}"
            )
        if self.settings.model_config.get("extra") != "forbid":
            raise ValueError(f"metric {self.name}: its settings model must forbid extra keys")
        backend = self.settings.model_fields.get("backend")
        choices = set(get_args(backend.annotation)) if backend is not None else set()
        if choices != set(self.backends):
            raise ValueError(
                f"metric {self.name}: the settings' backend choices {sorted(choices)} are not "
                f"its backends {sorted(self.backends)}"
            )
        if self.offline_backend not in self.backends:
            raise ValueError(f"metric {self.name}: no backend {self.offline_backend!r}")
        if self.weight < 0:
            raise ValueError(f"metric {self.name}: a negative weight {self.weight}")

    def build(self, section: BaseModel, device: str) -> Scorer:
        """The scorer of the backend ``section`` chooses (a hub model loads here)."""
        return self.backends[section.backend](section, device)  # type: ignore[attr-defined]

    def per_text(
        self, scorer: Scorer, texts: Sequence[str], context: ScoringContext
    ) -> list[float]:
        """A value per text; all NaN when the context lacks what the metric needs."""
        if not all(context.has(need) for need in self.needs):
            return [math.nan] * len(texts)
        values = scorer.score(texts, context)
        if len(values) != len(texts):
            raise RuntimeError(f"{self.name} scored {len(values)} of {len(texts)} texts")
        return values

    def per_text_notes(
        self, scorer: Scorer, texts: Sequence[str], context: ScoringContext
    ) -> list[str]:
        """The scorer's note on each text ("" when it has none or the context lacks what
        the metric needs)."""
        if not all(context.has(need) for need in self.needs):
            return [""] * len(texts)
        notes = scorer.notes(texts, context)
        if len(notes) != len(texts):
            raise RuntimeError(f"{self.name} noted {len(notes)} of {len(texts)} texts")
        return notes
