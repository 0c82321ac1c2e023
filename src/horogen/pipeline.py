"""The end-to-end steps, composed: what `horogen demo` and the Airflow DAGs run.

Each step is one call into its stage; nothing here knows how a stage works inside.
Importing this module stays cheap (Airflow parses DAG files often): the training stack
loads only when a training step runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from horogen.collect.run import CollectionResult, collect
from horogen.config import Settings
from horogen.mirror.run import MirrorServer
from horogen.process.run import ProcessReport, process_days

if TYPE_CHECKING:
    from horogen.train.trainer import TrainResult


def last_days(count: int, *, until: dt.date) -> list[dt.date]:
    """The ``count`` days ending with ``until``, oldest first."""
    return [until - dt.timedelta(days=offset) for offset in range(count - 1, -1, -1)]


@contextmanager
def embedded_mirror(settings: Settings) -> Iterator[Settings]:
    """Settings whose sources point at a mirror running in this process, while it runs."""
    with MirrorServer() as mirror:
        yield settings.model_copy(
            update={"collect": settings.collect.model_copy(update={"mirror": mirror.url})}
        )


def collect_step(settings: Settings, days: list[dt.date]) -> CollectionResult:
    """Collect ``days`` from every source (from an embedded mirror unless one is set)."""
    if settings.collect.mirror:
        return collect(settings, days)
    with embedded_mirror(settings) as mirrored:
        return collect(mirrored, days)


def process_step(settings: Settings, days: list[dt.date]) -> list[ProcessReport]:
    """Clean the raw partitions of ``days`` (days without raw data are skipped)."""
    return process_days(settings, days, missing="skip")


def train_step(settings: Settings, days: list[dt.date], *, progress: bool = True) -> TrainResult:
    """Train on the processed partitions of ``days`` and register the model."""
    from horogen.model.store import ModelStore  # mlflow, torch and transformers load here
    from horogen.train.data import DataWindow
    from horogen.train.trainer import train

    return train(
        settings.train,
        lake=settings.open_lake(),
        models=ModelStore.from_settings(settings),
        strategy=settings.generation.strategy,
        window=DataWindow(days[0], days[-1]),
        progress=progress,
    )
