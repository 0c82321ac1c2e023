"""The polars engine: the rules of ``rules.py`` as polars expressions, on one machine.

Every step is a vectorized polars expression (no per-row Python) except the SHA-256 of the
texts that are kept, which polars has no expression for (:func:`sha256_hex` hashes the bytes
in place). Files are read in a thread pool; a step with a trigger runs only on the rows its
trigger finds, and texts that hold only kept characters skip the normalize and removal
steps — both are shortcuts that give the same text as running every step on every row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

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
#: Frames at least this long are cleaned in two halves, one thread each.
_PARALLEL_ROWS = 100_000


def process(
    lake: Lake, files: Mapping[dt.date, list[RawFile]], settings: ProcessSettings
) -> dict[dt.date, DayResult]:
    """Process the raw files of each day; returns a result per day of ``files``."""
    all_files = [file for day in sorted(files) for file in files[day]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        reads = list(pool.map(lambda file: read_file(lake, file), all_files))

    frames: list[pl.DataFrame] = []
    malformed: dict[dt.date, list[Malformed]] = {day: [] for day in files}
    for file, (frame, problems) in zip(all_files, reads, strict=True):
        frames.append(frame.with_columns(day=pl.lit(file.day, dtype=pl.Date)))
        malformed[file.day].extend(problems)
    raw = (
        pl.concat(frames, how="vertical")
        if frames
        else pl.DataFrame(schema=_RAW | {"day": pl.Date})
    )
    return run_rules(raw, settings, malformed)


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
    if frame.height >= _PARALLEL_ROWS:  # the string steps run on one core per frame
        half = frame.height // 2
        with ThreadPoolExecutor(max_workers=2) as pool:
            parts = list(pool.map(lambda part: clean(part, settings), (frame[:half], frame[half:])))
        cleaned = pl.concat(parts, rechunk=False)
    else:
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


def run_rules(
    raw: pl.DataFrame, settings: ProcessSettings, malformed: Mapping[dt.date, list[Malformed]]
) -> dict[dt.date, DayResult]:
    """Clean, judge and de-duplicate readable raw rows (with a ``day`` column)."""
    judged = classify(raw, settings)
    candidates = judged.filter(pl.col("_rule").is_null()).with_columns(
        collected_at=_collected_at(pl.col("collected_at"), strict=True)
    )
    # Only texts that occur more than once on a day need the ordering that picks one.
    repeated = candidates.select(pl.struct("day", "text").is_duplicated()).to_series()
    ordered = (
        candidates.filter(repeated)
        .sort(["day", *rules.DEDUP_ORDER])
        .with_columns(_first=pl.col("text").is_first_distinct().over("day"))
    )
    duplicates = ordered.filter(~pl.col("_first"))
    kept = pl.concat(
        [candidates.filter(~repeated), ordered.filter(pl.col("_first")).drop("_first")],
        rechunk=False,
    )
    kept = kept.with_columns(text_hash=sha256_hex(kept["text"]))

    counts = (
        pl.concat(
            [
                judged.group_by("day", "_rule").len(),
                duplicates.group_by("day").len().with_columns(_rule=pl.lit("duplicate")),
            ],
            how="diagonal",
        )
        .filter(pl.col("_rule").is_not_null())
        .select("day", "_rule", "len")
        .rows()
    )
    signs = judged.filter(pl.col("sign").is_in(rules.SIGNS)).select("day", "sign").unique().rows()
    rows_read = dict(judged.group_by("day").len().rows())

    results = {}
    by_day = kept.partition_by("day", as_dict=True, include_key=True)
    for day, problems in malformed.items():
        dropped = dict.fromkeys(rules.DROP_RULES, 0)
        dropped["malformed"] = len(problems)
        for counted_day, rule, count in counts:
            if counted_day == day:
                dropped[rule] += count
        table = by_day.get((day,))
        results[day] = DayResult(
            day=day,
            table=_to_arrow(table),
            rows_in=rows_read.get(day, 0) + len(problems),
            dropped=dropped,
            malformed=sorted(problems, key=lambda item: (item.file, item.line)),
            signs_in=sorted({sign for signs_day, sign in signs if signs_day == day}),
        )
    return results


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
