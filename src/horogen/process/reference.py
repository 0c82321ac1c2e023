"""A third engine in plain Python: slow, short and obviously the rules.

It reads every file with the reference reader and judges every row with
:func:`~horogen.process.rules.classify`; the tests hold the polars and Spark engines to
what it gives. Not for real volumes (about 20,000 rows a second).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pyarrow as pa

from horogen.lake import Lake
from horogen.process import rawcsv, rules
from horogen.process.engine import DayResult
from horogen.process.rawcsv import RawFile
from horogen.process.settings import ProcessSettings
from horogen.schema import PROCESSED_SCHEMA, RAW_COLUMNS

NAME = "reference"


def process(
    lake: Lake, files: Mapping[dt.date, list[RawFile]], settings: ProcessSettings
) -> dict[dt.date, DayResult]:
    results = {}
    for day in sorted(files):
        dropped = dict.fromkeys(rules.DROP_RULES, 0)
        candidates: list[dict] = []
        malformed = []
        signs: set[str] = set()
        rows_in = 0
        for file in files[day]:
            parsed = rawcsv.parse_reference(lake.read_bytes(file.path), file)
            malformed.extend(parsed.malformed)
            rows_in += parsed.records
            for fields in parsed.rows:
                row = dict(zip(RAW_COLUMNS, fields, strict=True))
                if row["sign"] in rules.SIGNS:
                    signs.add(row["sign"])
                rule, cleaned = rules.classify(row["sign"], row["text"], settings)
                if rule:
                    dropped[rule] += 1
                    continue
                row["text"] = cleaned
                row["collected_at"] = dt.datetime.fromisoformat(row["collected_at"])
                candidates.append(row)
        dropped["malformed"] = len(malformed)
        candidates.sort(key=lambda row: tuple(row[column] for column in rules.DEDUP_ORDER))
        kept: dict[str, dict] = {}
        for row in candidates:
            if row["text"] in kept:
                dropped["duplicate"] += 1
            else:
                kept[row["text"]] = row
        output = [
            {**row, "date": day, "text_hash": rules.text_hash(row["text"])} for row in kept.values()
        ]
        results[day] = DayResult(
            day=day,
            table=pa.Table.from_pylist(output, schema=PROCESSED_SCHEMA),
            rows_in=rows_in,
            dropped=dropped,
            malformed=sorted(malformed, key=lambda item: (item.file, item.line)),
            signs_in=sorted(signs),
        )
    return results
