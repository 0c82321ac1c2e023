"""Loading hub models (by hub id or from a local directory) for the hub backends."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from horogen.errors import ModelLoadError
from horogen.evaluate.settings import OFFLINE_BACKENDS

T = TypeVar("T")


def setting_name(metric: str, field: str) -> str:
    """A scorer setting as horogen.toml and the environment spell it."""
    return (
        f"evaluate.scorers.{metric}.{field} "
        f"(HOROGEN_EVALUATE__SCORERS__{metric.upper()}__{field.upper()})"
    )


def load(metric: str, model: str, loader: Callable[[str], T]) -> T:
    """``loader(model)``, any failure of which becomes a ModelLoadError saying what to set."""
    try:
        return loader(model)
    except Exception as error:  # network, files, formats: any of them means "cannot load"
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise ModelLoadError(
            f"cannot load the {metric} model {model!r} ({reason}). Set "
            f"{setting_name(metric, 'model')} to a hub id or a local directory holding the "
            f"model, or use the offline backend: {setting_name(metric, 'backend')} = "
            f"{OFFLINE_BACKENDS[metric]!r}"
        ) from error
