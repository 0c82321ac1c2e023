"""What a processing engine is.

An engine is a module (``horogen.process.local`` for polars, ``horogen.process.spark``)
that cleans a set of days' raw files by the rules and hands back each day's rows; the
stage (``process/run.py``) checks and writes them. A new engine is one module with
``process`` and ``ALL_DAYS_AT_ONCE``, plus its line in the name table
(:data:`horogen.process.settings.ENGINES`). An engine that runs all days at once also has
``write_days``, which hands each day to the stage's writer where the day's rows are (on a
cluster, the executors), so that no row need pass through one process.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from horogen.process.settings import ENGINES, EngineName

if TYPE_CHECKING:
    import pyarrow as pa

    from horogen.lake import Lake
    from horogen.process.rawcsv import Malformed, RawFile
    from horogen.process.settings import ProcessSettings


@dataclass
class DayResult:
    """One day's output rows (``PROCESSED_SCHEMA``, any order) and what happened to its input."""

    day: dt.date
    table: pa.Table
    rows_in: int
    dropped: dict[str, int]
    malformed: list[Malformed] = field(default_factory=list)
    signs_in: list[str] = field(default_factory=list)


T = TypeVar("T")


class Engine(Protocol):
    """What an engine module provides."""

    #: Whether the engine processes a whole range in one run (a Spark job) rather than one
    #: day at a time (polars, whose memory then stays that of one day).
    ALL_DAYS_AT_ONCE: bool

    def process(
        self, lake: Lake, files: dict[dt.date, list[RawFile]], settings: ProcessSettings
    ) -> dict[dt.date, DayResult]:
        """Each day's result, for every day in ``files``."""
        ...

    def write_days(
        self,
        lake: Lake,
        files: dict[dt.date, list[RawFile]],
        settings: ProcessSettings,
        write: Callable[[DayResult], T],
    ) -> dict[dt.date, T]:
        """``write`` of each day's result, for every day in ``files`` (engines that run all
        days at once)."""
        ...


def load_engine(name: EngineName) -> Engine:
    """The engine called ``name``."""
    return cast(Engine, importlib.import_module(ENGINES[name]))
