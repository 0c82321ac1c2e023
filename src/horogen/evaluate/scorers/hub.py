"""Loading hub models (by hub id or from a local directory) for the hub backends.

A model that cannot be loaded is a :class:`ModelLoadError` naming the setting to change;
:func:`horogen.evaluate.scoring.build_scorers` adds the metric's offline backend to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from horogen.errors import ModelLoadError

T = TypeVar("T")

#: What a hub id looks like: ``name`` or ``namespace/name``.
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def setting_name(metric: str, field: str) -> str:
    """A scorer setting as the environment and horogen.toml spell it."""
    return (
        f"HOROGEN_EVALUATE__SCORERS__{metric.upper()}__{field.upper()} "
        f"(evaluate.scorers.{metric}.{field})"
    )


def load(metric: str, model: str, loader: Callable[[str], T]) -> T:
    """``loader(model)``, any failure of which becomes a ModelLoadError saying what to set."""
    if not Path(model).is_dir() and not HUB_ID.match(model):
        raise ModelLoadError(_message(metric, model, "no such directory, and not a hub id"))
    try:
        return loader(model)
    except Exception as error:  # network, files, formats: any of them means "cannot load"
        lines = str(error).strip().splitlines()
        raise ModelLoadError(
            _message(metric, model, lines[0] if lines else type(error).__name__)
        ) from error


def _message(metric: str, model: str, reason: str) -> str:
    return (
        f"cannot load the {metric} model {model!r}: {reason.rstrip('.')}. Set "
        f"{setting_name(metric, 'model')} to a hub id or a model directory"
    )
