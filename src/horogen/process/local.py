"""The polars engine: the rules of ``rules.py`` as polars expressions, on one machine.

Every step is a vectorized polars expression (no per-row Python) except the SHA-256 of the
texts that are kept, which polars has no expression for (:func:`sha256_hex` hashes the bytes
in place). A step with a trigger runs only on the rows its trigger finds, and texts that
hold only kept characters skip the normalize and removal steps — both are shortcuts that
give the same text as running every step on every row.

Each raw file is read, cleaned and judged on its own, in a thread pool (:func:`judge_file`),
and only its candidates (the rows no rule drops) and its counts are kept; a day's candidates
are then de-duplicated together. Memory holds the day's candidates and one file's raw rows
per thread, not the whole day's raw rows and their copies at each cleaning step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from horogen.lake import Lake
from horogen.process import rawcsv, rules
from horogen.process.engine import DayResult
from horogen.process.rawcsv import Malformed, RawFile
from horogen.process.settings import ProcessSettings
from horogen.schema import PROCESSED_SCHEMA, RAW_COLUMNS

NAME = "polars"

_RAW = {column: pl.String for column in RAW_COLUMNS}
_HEADER_LENGTH = rawcsv.canonical_length(list(RAW_COLUMNS))
#: Files judged at once (the string steps of one file run on one core); each holds one
#: file's raw rows and their cleaned copies.
_WORKERS = min(8, os.cpu_count() or 2)


#: polars works one day at a time, so memory stays that of one day.
ALL_DAYS_AT_ONCE = False


def process(
    lake: Lake, files: Mapping[dt.date, list[RawFile]], settings: ProcessSettings
) -> dict[dt.date, DayResult]:
    """Process the raw files of each day; returns a result per day of ``files``."""
    all_files = [file for day in sorted(files) for file in files[day]]
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        judged = list(pool.map(lambda file: judge_file(lake, file, settings), all_files))
    return {day: deduplicate(day, [part for part in judged if part.day == day]) for day in files}


@dataclass
class JudgedFile:
    """What a raw file leaves once judged: the rows no rule drops, and counts of the rest."""

    day: dt.date
    candidates: pl.DataFrame  # raw columns, cleaned ``text``, ``collected_at`` as a datetime
    dropped: dict[str, int]  # rows each rule dropped
    signs: set[str]  # the known signs among its readable rows
    rows: int  # readable rows
    malformed: list[Malformed]


def judge_file(lake: Lake, file: RawFile, settings: ProcessSettings) -> JudgedFile:
    """Read, clean and judge one raw file."""
    frame, malformed = read_file(lake, file)
    judged = classify(frame.with_columns(day=pl.lit(file.day, dtype=pl.Date)), settings)
    del frame  # the raw texts: only their cleaned versions are needed from here on
    dropped = dict(judged.filter(pl.col("_rule").is_not_null()).group_by("_rule").len().rows())
    known = judged.filter(pl.col("sign").is_in(rules.SIGNS))["sign"].unique().to_list()
    candidates = judged.filter(pl.col("_rule").is_null()).drop("_rule")
    candidates = candidates.with_columns(
        collected_at=_collected_at(pl.col("collected_at"), strict=True)
    )
    return JudgedFile(file.day, candidates, dropped, set(known), judged.height, malformed)


def read_file(lake: Lake, file: RawFile) -> tuple[pl.DataFrame, list[Malformed]]:
    """A file's readable rows (raw columns, strings) and its malformed records."""
    data = lake.read_bytes(file.path)
    frame = read_native(data, file)
    if frame is not None:
        return frame, []
    parsed = rawcsv.parse_reference(data, file)
    frame = pl.DataFrame(parsed.rows, schema=_RAW, orient="row")
    return frame, parsed.malformed


def read_native(data: bytes, file: RawFile) -> pl.DataFrame | None:
    """The data rows as polars' CSV reader sees them, or ``None`` when the file fails the
    checks that guarantee this equals the reference reading (see ``rawcsv``)."""
    if not data:
        return pl.DataFrame(schema=_RAW)
    try:
        frame = pl.read_csv(
            data,
            has_header=False,
            schema=_RAW,
            quote_char='"',
            encoding="utf8",
            raise_if_empty=False,
        )
    except (pl.exceptions.PolarsError, ValueError):
        return None
    if frame.height == 0 or frame.row(0) != RAW_COLUMNS:
        return None
    body = frame.slice(1)
    ok = (
        (pl.col("date") == file.day.isoformat())
        & pl.col("collected_at").str.contains(rawcsv.COLLECTED_AT)
        & _collected_at(pl.col("collected_at"), strict=False).is_not_null()
        & ~pl.any_horizontal(
            pl.col(column).str.contains(rawcsv.REPLACEMENT_CHAR, literal=True).fill_null(False)
            for column in RAW_COLUMNS
        )
    )
    check = body.select(
        length=pl.sum_horizontal(_canonical_length(column) for column in RAW_COLUMNS).sum(),
        ok=ok.fill_null(False).all(),  # an empty date or collected_at is not ok
    )
    length, all_ok = check.row(0)
    if not all_ok or _HEADER_LENGTH + (length or 0) + body.height * len(RAW_COLUMNS) != len(data):
        return None
    return body


def _canonical_length(column: str) -> pl.Expr:
    """Bytes the field takes in a CSV written by Python (commas and line end not counted)."""
    value = pl.col(column)
    quoted = value.str.contains(rawcsv.QUOTE_TRIGGERS_CLASS)
    extra = pl.when(quoted).then(2 + value.str.count_matches('"', literal=True)).otherwise(0)
    return (value.str.len_bytes() + extra).fill_null(0).cast(pl.Int64)


def _collected_at(value: pl.Expr, *, strict: bool) -> pl.Expr:
    return (
        value.str.replace(r"(?:Z|\+00:00)$", "")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=strict)
        .dt.replace_time_zone("UTC")
    )


def apply_steps(value: pl.Expr, steps: tuple[rules.Step, ...]) -> pl.Expr:
    """The rule steps as one polars expression."""
    for step in steps:
        if isinstance(step, rules.Substitute):
            value = value.str.replace_many(list(step.mapping), list(step.mapping.values()))
        elif isinstance(step, rules.Replace):
            value = value.str.replace_all(step.pattern, step.replacement)
        else:
            value = value.str.strip_chars(step.chars)
    return value


def gated(frame: pl.DataFrame, column: str, step: rules.Step) -> pl.DataFrame:
    """Apply ``step`` to ``column``, only on the rows its trigger finds (when it has one).

    Splitting and concatenating frames copies string views, not strings, so the cost is
    one scan for the trigger plus the step on the rows it changes."""
    if step.trigger is None:
        return frame.with_columns(apply_steps(pl.col(column), (step,)))
    if isinstance(step, rules.Strip):  # cheaper than the trigger's regex
        value = pl.col(column)
        ends = (value.str.starts_with(char) | value.str.ends_with(char) for char in step.chars)
        hit = frame.select(pl.any_horizontal(ends)).to_series()
    else:
        hit = frame[column].str.contains(step.trigger)
    if not hit.any():
        return frame
    changed = frame.filter(hit).with_columns(apply_steps(pl.col(column), (step,)))
    return pl.concat([frame.filter(~hit), changed], rechunk=False)


def clean(frame: pl.DataFrame, settings: ProcessSettings) -> pl.DataFrame:
    """Add ``text`` (cleaned from ``_raw``) and ``_mixed`` to raw rows.

    Texts that hold only kept characters and single spaces skip the normalize and
    removal steps, which would leave them as they are."""
    impure = frame["_raw"].str.contains(rules.impure_pattern(settings))
    dirty = frame.filter(impure).with_columns(text=pl.col("_raw"))
    for step in rules.normalize_steps():
        dirty = gated(dirty, "text", step)
    dirty = dirty.with_columns(_mixed=pl.col("text").str.contains(rules.MIXED_SCRIPT))
    for step in rules.removal_steps(settings):
        dirty = gated(dirty, "text", step)
    pure = frame.filter(~impure).with_columns(
        text=pl.col("_raw"),
        _mixed=pl.col("_raw").str.contains(rules.MIXED_SCRIPT)
        if settings.keep_latin
        else pl.lit(False),
    )
    cleaned = pl.concat([dirty, pure], rechunk=False)
    for step in rules.finishing_steps():
        cleaned = gated(cleaned, "text", step)
    return cleaned


def classify(frame: pl.DataFrame, settings: ProcessSettings) -> pl.DataFrame:
    """Add ``text`` (cleaned) and ``_rule`` (the drop rule, null when kept) to raw rows."""
    frame = frame.with_columns(
        pl.col("category", "source", "url").fill_null(""),
        _raw=pl.col("text").fill_null(""),
    ).drop("text")
    cleaned = clean(frame, settings)
    sign = pl.col("sign")
    length = pl.col("text").str.len_chars()
    rule = (
        pl.when(sign.is_null() | (sign == ""))
        .then(pl.lit("missing_sign"))
        .when(~sign.is_in(rules.SIGNS))
        .then(pl.lit("unknown_sign"))
        .when(pl.col("text") == "")
        .then(pl.lit("empty_text"))
        .when(pl.col("_mixed"))
        .then(pl.lit("mixed_script"))
        .when(length < settings.min_length)
        .then(pl.lit("too_short"))
        .when(length > settings.max_length)
        .then(pl.lit("too_long"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return cleaned.with_columns(_rule=rule).drop("_raw", "_mixed")


def deduplicate(day: dt.date, parts: list[JudgedFile]) -> DayResult:
    """A day's result from its judged files: among candidates with the same cleaned text,
    the first by ``DEDUP_ORDER`` is kept and the others count as duplicates."""
    candidates = pl.concat([part.candidates for part in parts], rechunk=False) if parts else None
    dropped = dict.fromkeys(rules.DROP_RULES, 0)
    for part in parts:
        for rule, count in part.dropped.items():
            dropped[rule] += count
    malformed = [problem for part in parts for problem in part.malformed]
    dropped["malformed"] = len(malformed)
    kept = None
    if candidates is not None and candidates.height:
        # Only texts that occur more than once need the ordering that picks one.
        repeated = candidates["text"].is_duplicated()
        ordered = candidates.filter(repeated).sort(list(rules.DEDUP_ORDER))
        first = ordered["text"].is_first_distinct()
        dropped["duplicate"] = int((~first).sum())
        kept = pl.concat([candidates.filter(~repeated), ordered.filter(first)], rechunk=False)
        kept = kept.with_columns(text_hash=sha256_hex(kept["text"]))
    return DayResult(
        day=day,
        table=_to_arrow(kept),
        rows_in=sum(part.rows for part in parts) + len(malformed),
        dropped=dropped,
        malformed=sorted(malformed, key=lambda item: (item.file, item.line)),
        signs_in=sorted(set().union(*(part.signs for part in parts))),
    )


def sha256_hex(texts: pl.Series) -> pl.Series:
    """:func:`rules.text_hash` of every text, hashing the UTF-8 bytes where Arrow holds them
    (polars has no SHA-256 expression; this skips making a Python string per row)."""
    array = texts.to_arrow().cast(pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if len(array) == 0:
        return pl.Series(texts.name, [], dtype=pl.String)
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = memoryview(offsets_buffer).cast("q")  # large_string: int64 offsets
    bounds = offsets[array.offset : array.offset + len(array) + 1].tolist()
    data = memoryview(data_buffer) if data_buffer is not None else memoryview(b"")
    sha256 = hashlib.sha256
    digests = [sha256(data[start:end]).hexdigest() for start, end in itertools.pairwise(bounds)]
    return pl.Series(texts.name, digests, dtype=pl.String)


def _to_arrow(frame: pl.DataFrame | None) -> pa.Table:
    if frame is None or frame.height == 0:
        return PROCESSED_SCHEMA.empty_table()
    columns = frame.select(
        pl.col("day").alias("date"),
        "sign",
        "category",
        "source",
        "text",
        "url",
        "collected_at",
        "text_hash",
    )
    return columns.to_arrow().cast(PROCESSED_SCHEMA)
