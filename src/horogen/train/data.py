"""The training set: processed partitions in a date window, de-duplicated, split by hash.

The split depends on nothing but a text's hash, so adding days never moves an old text
from validation to train (or back); the fingerprint names the exact data a model saw.
Each row's prompt names its sign, category and date; its ``target`` is its text with the
mentions of that sign and date as slots (:mod:`horogen.model.slots`), and texts naming
another sign or date are left out unless ``train.foreign_mentions = "keep"``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, model_validator

from horogen.errors import DataError
from horogen.lake import Lake
from horogen.layout import PROCESSED, processed_path
from horogen.mentions import foreign_mentions
from horogen.model.prompts import build_prompt
from horogen.model.slots import slot_text
from horogen.schema import PROCESSED_SCHEMA, Category
from horogen.signs import Sign

TRAIN = "train"
VALIDATION = "validation"


class DataWindow(BaseModel):
    """Inclusive date range; an open end means "from the first day" or "to the last day"."""

    model_config = ConfigDict(frozen=True)

    start: dt.date | None = None
    end: dt.date | None = None

    def __init__(self, start: dt.date | None = None, end: dt.date | None = None) -> None:
        super().__init__(start=start, end=end)

    @model_validator(mode="after")
    def _ordered(self) -> DataWindow:
        if self.start and self.end and self.start > self.end:
            raise DataError(f"the window starts ({self.start}) after it ends ({self.end})")
        return self

    def __contains__(self, day: dt.date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def __str__(self) -> str:
        if self.start is None and self.end is None:
            return "all days"
        return f"{self.start or '…'}..{self.end or '…'}"


class Fingerprint(BaseModel):
    """What identifies a training set: counts, dates and a hash of what the model sees."""

    model_config = ConfigDict(frozen=True)

    rows: int
    train_rows: int
    validation_rows: int
    days: int
    first_date: str
    last_date: str
    content_hash: str = Field(
        description="sha256 over the sorted (text_hash, sign, category) triples: prompt and target."
    )
    rows_per_sign: dict[str, int]
    rows_per_source: dict[str, int]
    rows_per_category: dict[str, int]
    foreign_dropped: int = Field(
        default=0,
        description="Texts left out for naming a sign or date other than their own.",
    )


@dataclass(frozen=True)
class TrainingSet:
    """The de-duplicated rows (processed columns + ``prompt``, ``target`` and ``split``) and
    their identity."""

    frame: pl.DataFrame
    #: The requested window with open ends closed at the first and last day found.
    window: DataWindow
    fingerprint: Fingerprint

    def split(self, name: str) -> pl.DataFrame:
        return self.frame.filter(pl.col("split") == name)

    def pairs(self, name: str) -> tuple[list[str], list[str]]:
        """Prompts and targets (texts with slots) of split ``name`` (``train`` or
        ``validation``)."""
        rows = self.split(name)
        return rows["prompt"].to_list(), rows["target"].to_list()


def split_of(text_hash: str, buckets: int = 10) -> str:
    """``validation`` for one in ``buckets`` hashes, ``train`` for the rest; stable forever.

    The processed ``text_hash`` is hashed once more so that any hash format splits evenly.
    """
    bucket = int(hashlib.sha256(text_hash.encode()).hexdigest()[:8], 16) % buckets
    return VALIDATION if bucket == 0 else TRAIN


#: The values a processed row may hold where training relies on them.
_VALID = {"sign": {sign.value for sign in Sign}, "category": {c.value for c in Category}}


def read_processed(lake: Lake, window: DataWindow) -> pl.DataFrame:
    """All processed rows of the days in ``window``, with the processed schema.

    A partition with missing columns, or rows without a text or with a missing or unknown
    sign or category, raises :class:`DataError` naming it.
    """
    tables = []
    for day in lake.partitions(PROCESSED):
        path = processed_path(day)
        if day not in window or not lake.exists(path):
            continue
        table = pq.read_table(pa.BufferReader(lake.read_bytes(path)))
        fix = f"re-run `horogen process` for {day}"
        missing = set(PROCESSED_SCHEMA.names) - set(table.column_names)
        if missing:
            raise DataError(f"{lake.url(path)} lacks columns {sorted(missing)}: {fix}")
        try:
            table = table.select(PROCESSED_SCHEMA.names).cast(PROCESSED_SCHEMA)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise DataError(
                f"{lake.url(path)} does not fit the processed schema ({error}): {fix}"
            ) from error
        problem = _bad_rows(pl.from_arrow(table))  # type: ignore[arg-type]
        if problem:
            raise DataError(f"{lake.url(path)} has {problem}: {fix}")
        tables.append(table)
    if not tables:
        return pl.from_arrow(PROCESSED_SCHEMA.empty_table())  # type: ignore[return-value]
    return pl.from_arrow(pa.concat_tables(tables))  # type: ignore[return-value]


def _bad_rows(rows: pl.DataFrame) -> str | None:
    """What is wrong with some of a partition's rows, or ``None``."""
    for column in ("text", "text_hash"):
        if rows[column].null_count():
            return f"{rows[column].null_count()} rows without {column}"
    for column, valid in _VALID.items():
        values = rows[column]
        if values.null_count():
            return f"{values.null_count()} rows without {column}"
        unknown = sorted(set(values.unique().to_list()) - valid)
        if unknown:
            shown = ", ".join(map(repr, unknown[:5]))
            expected = ", ".join(sorted(valid))
            return f"rows with unknown {column} values ({shown}); expected one of: {expected}"
    return None


def build_training_set(
    lake: Lake,
    window: DataWindow | None = None,
    *,
    min_rows: int = 24,
    validation_buckets: int = 10,
    foreign_mentions: str = "drop",
) -> TrainingSet:
    """The training set of ``window`` (default: every processed day) in ``lake``.

    A text seen on several days (or from several sources) is kept once, from its earliest
    day. Raises :class:`DataError` naming the window when it holds too little data.
    """
    window = window or DataWindow()
    rows = read_processed(lake, window)
    where = f"in window {window} under {lake.url('processed')}"
    if rows.is_empty():
        raise DataError(
            f"no processed data {where}: run `horogen process` for those days or widen --from/--to"
        )
    rows = rows.sort("date", "source", "sign", "category").unique(
        subset="text_hash", keep="first", maintain_order=True
    )
    dropped = 0
    if foreign_mentions == "drop":
        keep = [not foreign_mentions_of(row) for row in rows.select("text", "sign", "date").rows()]
        dropped = keep.count(False)
        rows = rows.filter(pl.Series(keep, dtype=pl.Boolean))
    columns = rows.select("text", "sign", "category", "date").rows()
    rows = rows.with_columns(
        pl.Series("prompt", [build_prompt(s, c, d) for _, s, c, d in columns], pl.String),
        pl.Series("target", [slot_text(t, s, d) for t, s, _, d in columns], pl.String),
        pl.Series("split", [split_of(h, validation_buckets) for h in rows["text_hash"]], pl.String),
    )
    if rows.height < min_rows:
        raise DataError(
            f"only {rows.height} distinct texts {where}; training needs at least {min_rows} "
            "(setting train.min_rows): process more days or widen --from/--to"
        )
    if not rows.filter(pl.col("split") == VALIDATION).height:
        raise DataError(
            f"none of the {rows.height} texts {where} falls into the validation split: "
            "process more days or widen --from/--to"
        )
    found = DataWindow(rows["date"].min(), rows["date"].max())  # type: ignore[arg-type]
    resolved = DataWindow(window.start or found.start, window.end or found.end)
    return TrainingSet(rows, resolved, fingerprint(rows, foreign_dropped=dropped))


def foreign_mentions_of(row: tuple[str, str, dt.date]) -> bool:
    """Whether a (text, sign, date) row names another sign or date."""
    text, sign, day = row
    return bool(foreign_mentions(text, sign, day))


def fingerprint(rows: pl.DataFrame, *, foreign_dropped: int = 0) -> Fingerprint:
    """The fingerprint of de-duplicated rows that carry a ``split`` column."""
    content = hashlib.sha256()
    for text_hash, sign, category in sorted(
        rows.select("text_hash", "sign", "category").iter_rows()
    ):
        content.update(f"{text_hash}\t{sign}\t{category}\n".encode())
    splits = Counter(rows["split"].to_list())
    return Fingerprint(
        rows=rows.height,
        train_rows=splits[TRAIN],
        validation_rows=splits[VALIDATION],
        days=rows["date"].n_unique(),
        first_date=str(rows["date"].min()),
        last_date=str(rows["date"].max()),
        content_hash=content.hexdigest(),
        rows_per_sign=_counts(rows, "sign"),
        rows_per_source=_counts(rows, "source"),
        rows_per_category=_counts(rows, "category"),
        foreign_dropped=foreign_dropped,
    )


def _counts(rows: pl.DataFrame, column: str) -> dict[str, int]:
    return dict(sorted(Counter(rows[column].to_list()).items()))
