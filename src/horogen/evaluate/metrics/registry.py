"""The registered metrics: horogen's own, in this order, then those other packages install
under the ``horogen.metrics`` entry point group (by name).

Adding a metric to horogen is one module in this package plus its line in ``BUILT_IN``.
From outside, a package declares its module (holding ``METRIC``) or the :class:`Metric`
itself, under the metric's name::

    [project.entry-points."horogen.metrics"]
    readability = "my_package.readability"           # or "my_package.readability:METRIC"

The registry is read once per process, when the settings are first imported.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

from horogen.errors import ConfigError
from horogen.evaluate.metrics.base import Metric

BUILT_IN = (
    "horogen.evaluate.metrics.acceptability",
    "horogen.evaluate.metrics.diversity",
    "horogen.evaluate.metrics.sentiment",
    "horogen.evaluate.metrics.consistency",
    "horogen.evaluate.metrics.novelty",
)
GROUP = "horogen.metrics"


@cache
def metrics() -> tuple[Metric, ...]:
    """Every metric: the built-in ones, then the installed ones by name."""
    found = [_metric_of(import_module(module), module) for module in BUILT_IN]
    installed = sorted(entry_points(group=GROUP), key=lambda entry: entry.name)
    found += [_installed(entry) for entry in installed]
    names = [metric.name for metric in found]
    for name in dict.fromkeys(names):
        if names.count(name) > 1:
            raise ConfigError(
                f"two metrics are named {name!r}: uninstall one of the packages that "
                f"declare a {GROUP!r} entry point {name!r}"
            )
    return tuple(found)


def names() -> tuple[str, ...]:
    """The metrics' names, in the registry's order."""
    return tuple(metric.name for metric in metrics())


def get(name: str) -> Metric:
    for metric in metrics():
        if metric.name == name:
            return metric
    raise ConfigError(f"no metric {name!r}; the metrics: {', '.join(names())}")


def _installed(entry: EntryPoint) -> Metric:
    where = f"the {GROUP!r} entry point {entry.name} = {entry.value!r}"
    if entry.dist is not None:
        where += f" of the package {entry.dist.name}"
    try:
        metric = _metric_of(entry.load(), where)
    except Exception as error:  # an import error, a bad spec: the package is broken
        raise ConfigError(
            f"{where} cannot be loaded ({type(error).__name__}: {error}): fix or uninstall it"
        ) from error
    if metric.name != entry.name:
        raise ConfigError(f"{where} names a metric {metric.name!r}: name the entry point so")
    return metric


def _metric_of(loaded: object, where: str) -> Metric:
    """The Metric itself, or a module's ``METRIC``."""
    if isinstance(loaded, ModuleType):
        loaded = getattr(loaded, "METRIC", None)
    if not isinstance(loaded, Metric):
        raise TypeError(f"{where} is neither a Metric nor a module holding one as METRIC")
    return loaded
