"""Data tests: what every processed partition must satisfy, checked on every output.

In the spirit of Made With ML's data tests: assertions about the corpus itself, not about
code. :func:`process_days` runs :func:`validate` on each day before it writes anything;
a failed expectation is a :class:`~horogen.errors.DataError` and the day's partition is
left as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from horogen.errors import DataError
from horogen.process import rules
from horogen.process.settings import ProcessSettings
from horogen.schema import PROCESSED_SCHEMA

#: How many texts have their hash recomputed (spread over the partition).
HASH_SAMPLE = 1000


@dataclass(frozen=True)
class Context:
    day: dt.date
    settings: ProcessSettings
    signs_in: Sequence[str]


Check = Callable[[pl.DataFrame, Context], str | None]  # a message when it fails


def _schema(table: pa.Table) -> str | None:
    expected = PROCESSED_SCHEMA.remove_metadata()
    if not table.schema.remove_metadata().equals(expected):
        return f"schema is {table.schema}, expected {expected}"
    return None


def _no_nulls(frame: pl.DataFrame, context: Context) -> str | None:
    nulls = {name: count for name, count in frame.null_count().row(0, named=True).items() if count}
    return f"null values: {nulls}" if nulls else None


def _date_is_partition(frame: pl.DataFrame, context: Context) -> str | None:
    other = frame.filter(pl.col("date") != context.day)["date"].unique().to_list()
    return f"rows dated {other} in the partition of {context.day}" if other else None


def _length_bounds(frame: pl.DataFrame, context: Context) -> str | None:
    low, high = context.settings.min_length, context.settings.max_length
    length = pl.col("text").str.len_chars()
    outside = frame.filter((length < low) | (length > high)).height
    return f"{outside} texts outside {low}–{high} characters" if outside else None


def _alphabet(frame: pl.DataFrame, context: Context) -> str | None:
    allowed = rules.allowed_class(context.settings)
    text = pl.col("text")
    bad = frame.filter(
        text.str.contains(f"[^ {allowed}]")
        | text.str.contains("  ", literal=True)
        | text.str.starts_with(" ")
        | text.str.ends_with(" ")
    )
    if bad.height:
        sample = bad["text"][0]
        return f"{bad.height} texts with characters or spacing the rules remove, e.g. {sample!r}"
    return None


def _known_signs(frame: pl.DataFrame, context: Context) -> str | None:
    unknown = frame.filter(~pl.col("sign").is_in(rules.SIGNS))["sign"].unique().to_list()
    return f"unknown signs {unknown}" if unknown else None


def _unique_text(frame: pl.DataFrame, context: Context) -> str | None:
    duplicates = frame.height - frame["text_hash"].n_unique()
    return f"{duplicates} duplicate text hashes" if duplicates else None


def _hash_matches_text(frame: pl.DataFrame, context: Context) -> str | None:
    step = max(1, frame.height // HASH_SAMPLE)
    sample = frame.gather_every(step).select("text", "text_hash").rows()
    wrong = [text for text, digest in sample if rules.text_hash(text) != digest]
    return (
        f"{len(wrong)} of {len(sample)} sampled hashes do not match their text" if wrong else None
    )


def _every_sign(frame: pl.DataFrame, context: Context) -> str | None:
    if not context.settings.require_every_sign or set(context.signs_in) != set(rules.SIGNS):
        return None
    missing = sorted(set(rules.SIGNS) - set(frame["sign"].unique().to_list()))
    if missing:
        return f"the input had all 12 signs, the output lacks {', '.join(missing)}"
    return None


#: Every expectation, by name.
EXPECTATIONS: dict[str, Check] = {
    "no_nulls": _no_nulls,
    "date_is_partition": _date_is_partition,
    "length_bounds": _length_bounds,
    "alphabet": _alphabet,
    "known_signs": _known_signs,
    "unique_text": _unique_text,
    "hash_matches_text": _hash_matches_text,
    "every_sign": _every_sign,
}


def failures(
    table: pa.Table, day: dt.date, settings: ProcessSettings, signs_in: Sequence[str] = ()
) -> dict[str, str]:
    """The expectations ``table`` fails, by name, with what is wrong (empty: all pass)."""
    problem = _schema(table)
    if problem:
        return {"schema": problem}
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    context = Context(day, settings, signs_in)
    found = {}
    for name, check in EXPECTATIONS.items():
        message = check(frame, context)
        if message:
            found[name] = message
    return found


def validate(
    table: pa.Table, day: dt.date, settings: ProcessSettings, signs_in: Sequence[str] = ()
) -> list[str]:
    """Run every expectation; returns their names, or raises :class:`DataError`."""
    found = failures(table, day, settings, signs_in)
    if found:
        details = "; ".join(f"{name}: {message}" for name, message in found.items())
        raise DataError(
            f"processed data for {day} fails its expectations ({details}); nothing was "
            "written for that day — fix the rules or the raw data and process it again"
        )
    return ["schema", *EXPECTATIONS]
