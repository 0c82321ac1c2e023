"""Reading raw partitions: which files a day has, and what counts as a readable row.

Raw CSVs are written by Python's ``csv`` module (``horogen.raw``), so Python's reader, in
strict mode, is the reference: :func:`parse_reference` reads a file with it, gives every
record's starting line and reports each record it cannot use (broken quoting, a wrong
number of fields, a header with unknown or missing columns, a date that is not the
partition's, a ``collected_at`` that is not ISO 8601 in UTC, bytes that are not UTF-8).

Python's reader is slow (about 80 MB/s), so the engines read with their own CSV readers
and fall back to the reference only for a file that fails a cheap, engine-independent
check (:func:`canonical_length` and the checks listed in ``docs/processing.md``):

- the engine's parse raised no error and flagged no corrupt record;
- its first record is exactly the header and every other record has the partition's date,
  a valid ``collected_at`` and no U+FFFD (what a reader puts for undecodable bytes);
- writing the parsed records back the way Python's ``csv`` writes them
  (``QUOTE_MINIMAL``, ``\\n`` line ends) takes exactly as many bytes as the file has.

A file that passes was parsed record for record as the reference would; any file with a
malformed row fails (its bad row breaks one of the checks), so malformed rows are always
reported by the reference, with line numbers, and both engines report the same rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from pydantic import BaseModel

from horogen.lake import Lake
from horogen.layout import RAW, RAW_FILE, partition
from horogen.schema import RAW_COLUMNS

#: What ``collected_at`` must look like: ISO 8601 in UTC with up to microseconds.
COLLECTED_AT = r"^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?(?:Z|\+00:00)$"
#: What a reader puts where bytes were not UTF-8.
REPLACEMENT_CHAR = "\ufffd"
#: A field holding any of these is quoted by Python's writer (QUOTE_MINIMAL).
QUOTE_TRIGGERS = ',"\r\n'
#: The same as a regex class, for the engines.
QUOTE_TRIGGERS_CLASS = '[,"\r\n]'

_COLLECTED_AT = re.compile(COLLECTED_AT)
_PARTITION_FILE = re.compile(f"^{RAW_FILE}")


class Malformed(BaseModel):
    """A raw record that could not be used, where it is and why."""

    file: str
    line: int
    reason: str


@dataclass(frozen=True)
class RawFile:
    """One raw CSV: its lake-relative path, the partition's day and its size in bytes."""

    path: str
    day: dt.date
    size: int


@dataclass
class Parsed:
    """What the reference reader made of one file."""

    rows: list[tuple[str, ...]] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)

    @property
    def records(self) -> int:
        """Records read, readable or not (the header not counted)."""
        return len(self.rows) + len(self.malformed)


def day_of(path: str) -> dt.date:
    """The partition day of a lake-relative raw path."""
    match = _PARTITION_FILE.match(path)
    if not match:
        raise ValueError(f"{path!r} is not a raw partition file (raw/date=YYYY-MM-DD/x.csv)")
    return dt.date.fromisoformat(match.group(2))


def raw_days(lake: Lake) -> list[dt.date]:
    """Days that have a raw partition, oldest first."""
    return lake.partitions(RAW)


def list_raw_files(lake: Lake, day: dt.date) -> list[RawFile]:
    """The CSV files of a day's raw partition, sorted by path (hidden files skipped)."""
    folder = partition(RAW, day)
    if not lake.exists(folder):
        return []
    found = []
    for entry in lake.fs.ls(lake.url(folder), detail=True):
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        if entry.get("type") == "file" and name.endswith(".csv") and not name.startswith("."):
            found.append(RawFile(f"{folder}/{name}", day, int(entry["size"])))
    return sorted(found, key=lambda file: file.path)


def canonical_length(fields: list[str | None]) -> int:
    """Bytes Python's csv writer takes for a record of ``fields`` (with its line end)."""
    total = len(fields)  # the commas between fields and the line end
    for value in fields:
        if not value:
            continue
        total += len(value.encode("utf-8"))
        if any(char in value for char in QUOTE_TRIGGERS):
            total += 2 + value.count('"')
    return total


def collected_at_ok(value: str) -> bool:
    if not _COLLECTED_AT.match(value):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def parse_reference(data: bytes, file: RawFile) -> Parsed:
    """Read one raw CSV with Python's csv module; every record becomes a row or a
    :class:`Malformed` with the line it starts on."""
    parsed = Parsed()
    text = data.decode("utf-8", errors="surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    day = file.day.isoformat()
    header_problem: str | None = None
    seen_header = False

    def bad(line: int, reason: str) -> None:
        parsed.malformed.append(Malformed(file=file.path, line=line, reason=reason))

    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            reason = _quoting_reason(str(error), reader.line_num)
            if not seen_header:
                seen_header = True
                header_problem = f"cannot be read: {reason}"
            else:
                bad(start, reason)
            continue
        if not fields:  # a blank line holds no record
            continue
        if not seen_header:
            seen_header = True
            header_problem = _header_problem(fields)
            continue
        if header_problem is not None:
            bad(start, f"the file's header (line 1) {header_problem}")
            continue
        problem = _row_problem(fields, day)
        if problem:
            bad(start, problem)
        else:
            parsed.rows.append(tuple(fields))
    return parsed


def _quoting_reason(message: str, line: int) -> str:
    if "unexpected end of data" in message:
        return f"broken quoting: a quoted field is never closed (runs to the end, line {line})"
    return f"broken quoting: {message}"


def _header_problem(fields: list[str]) -> str | None:
    if fields == list(RAW_COLUMNS):
        return None
    unknown = [name for name in fields if name not in RAW_COLUMNS]
    missing = [name for name in RAW_COLUMNS if name not in fields]
    parts = []
    if unknown:
        parts.append(f"has unknown column(s) {', '.join(map(repr, unknown))}")
    if missing:
        parts.append(f"lacks column(s) {', '.join(map(repr, missing))}")
    if not parts:
        parts.append(f"has the columns in another order: {','.join(fields)}")
    return " and ".join(parts) + f"; expected {','.join(RAW_COLUMNS)}"


def _short(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _row_problem(fields: list[str], day: str) -> str | None:
    if len(fields) != len(RAW_COLUMNS):
        return f"{len(fields)} fields, expected {len(RAW_COLUMNS)}"
    try:
        "".join(fields).encode("utf-8")
    except UnicodeEncodeError:
        return "bytes that are not UTF-8"
    date, collected_at = fields[0], fields[-1]
    if date != day:
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            return f"bad date {_short(date)} (expected {day})"
        return f"date {date} is not the partition's day {day}"
    if not collected_at_ok(collected_at):
        return (
            f"bad collected_at {_short(collected_at)} "
            "(expected ISO 8601 in UTC, like 2026-11-25T06:00:00Z)"
        )
    return None
