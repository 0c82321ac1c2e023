"""Raw partitions: ``raw/date=YYYY-MM-DD/<source>.csv``.

UTF-8 with a header (the columns of :class:`~horogen.schema.Record`, in order), RFC 4180
quoting: fields with commas, quotes or line breaks are quoted and inner quotes doubled, so
multi-line texts round-trip. Dates are ISO (``2026-11-25``), ``collected_at`` is ISO 8601
in UTC (``2026-11-25T06:00:00.123456+00:00``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from horogen.schema import RAW_COLUMNS, Record


def to_csv(records: Iterable[Record]) -> bytes:
    """Records as raw CSV, sorted by (date, sign, category) so reruns write the same bytes
    for the same content (apart from ``collected_at``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(RAW_COLUMNS)
    for record in sorted(records, key=_order):
        row = record.model_dump(mode="json")
        writer.writerow([row[column] for column in RAW_COLUMNS])
    return buffer.getvalue().encode("utf-8")


def from_csv(data: bytes) -> list[Record]:
    """Records from raw CSV written by :func:`to_csv`; raises ``ValueError`` on a bad row."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    if tuple(reader.fieldnames or ()) != RAW_COLUMNS:
        raise ValueError(f"raw CSV header is {reader.fieldnames}, expected {list(RAW_COLUMNS)}")
    return [Record.model_validate(row) for row in reader]


def _order(record: Record) -> tuple[str, ...]:
    return (record.date.isoformat(), record.sign.value, record.category.value, record.source)
