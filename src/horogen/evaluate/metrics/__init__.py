"""The evaluation metrics: what a metric is (:class:`Metric`) and the registry of them.

Each metric is one module here (``acceptability``, ``diversity``, ``sentiment``) or in
another package, under the ``horogen.metrics`` entry point group; see
:mod:`horogen.evaluate.metrics.registry`.
"""

from horogen.evaluate.metrics.base import Backend, Metric, mean_of_defined
from horogen.evaluate.metrics.registry import get, metrics, names

__all__ = ["Backend", "Metric", "get", "mean_of_defined", "metrics", "names"]
