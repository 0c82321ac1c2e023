"""The end-to-end steps, composed: what `horogen demo` and the Airflow DAGs run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from horogen.collect.run import CollectionResult, collect
from horogen.config import Settings
from horogen.mirror.run import MirrorServer


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
