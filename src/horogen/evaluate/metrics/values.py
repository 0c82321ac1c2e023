"""Models that carry a value of every registered metric: one ``float | None`` field per
metric, named after it, between the model's own fields.

Evaluation's per-text rows and per-set scores and ``horogen score``'s are built this way,
so a new metric is a new field (and a new JSON key, column and tag) everywhere at once.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, Field, create_model

from horogen.evaluate.metrics.registry import metrics, names

M = TypeVar("M", bound="MetricValues")


class MetricValues(BaseModel):
    """The base of such models."""

    def metric_values(self) -> dict[str, float | None]:
        """Each metric's value by name, in the registry's order (None: undefined)."""
        return {name: getattr(self, name) for name in names()}


def with_metrics(
    name: str,
    base: type[M],
    *,
    module: str,
    doc: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> type[M]:
    """A model ``name``: the fields ``before``, one per metric, then ``after`` (each a
    ``(type, default or Field)`` pair, as :func:`pydantic.create_model` takes them)."""
    values = {
        metric.name: (float | None, Field(default=None, description=metric.meaning))
        for metric in metrics()
    }
    return create_model(
        name,
        __base__=base,
        __module__=module,
        __doc__=doc,
        **(before or {}),
        **values,
        **(after or {}),
    )
