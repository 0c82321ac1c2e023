"""What an engine hands back for each day it processed (shared by polars and Spark)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyarrow as pa

from horogen.process.rawcsv import Malformed


@dataclass
class DayResult:
    """One day's output rows (``PROCESSED_SCHEMA``, any order) and what happened to its input."""

    day: dt.date
    table: pa.Table
    rows_in: int
    dropped: dict[str, int]
    malformed: list[Malformed] = field(default_factory=list)
    signs_in: list[str] = field(default_factory=list)
