"""Rebuild raw partitions from the page archive with today's adapters, offline.

For each source-day with archived runs, the runs are replayed (``collect/replay.py``) and
the partition is rewritten when the bytes differ: while the adapters are unchanged it is
byte for byte the partition collection wrote (``collected_at`` is the archived fetch time),
so nothing is written; after an adapter fix, the report says what changed per source and
day. The quarantine of the day's last run is brought up to date as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from horogen import raw
from horogen.collect.archive import PageArchive
from horogen.collect.replay import partition_bytes, replay, source_for
from horogen.collect.run import write_quarantine
from horogen.collect.sites import SOURCES
from horogen.lake import Lake
from horogen.layout import raw_path, report_path, run_records_prefix

Change = Literal["unchanged", "changed", "new", "nothing usable", "no pages"]


class ReparseReport(BaseModel):
    """What reparsing one source-day changed: ``reports/reparse/date=D/<source>.json``."""

    source: str
    date: dt.date
    result: Change
    runs: int = 0
    records: int = Field(0, description="In the rebuilt partition.")
    added: list[str] = Field([], description="sign/category not in the old partition.")
    removed: list[str] = Field([], description="In the old partition, not rebuilt.")
    changed: list[str] = Field([], description="A different text.")
    quarantined: int = Field(0, description="Pages of the last run still not usable.")
    fallback: list[str] = Field([], description="Records found by the fallback.")


def archived_days(lake: Lake) -> list[dt.date]:
    return PageArchive(lake).days()


def reparse(
    lake: Lake,
    days: Sequence[dt.date] | None = None,
    sources: Sequence[str] | None = None,
) -> list[ReparseReport]:
    """Reparse ``days`` (default: every archived day) of ``sources`` (default: all)."""
    archive = PageArchive(lake)
    reports = []
    for day in days if days is not None else archive.days():
        for source in sources or SOURCES:
            if not lake.files(run_records_prefix(day, source)):
                reports.append(ReparseReport(source=source, date=day, result="no pages"))
                continue
            report = _reparse_one(lake, archive, source, day)
            lake.write_json(report_path("reparse", day, source), report.model_dump(mode="json"))
            reports.append(report)
    return reports


def _reparse_one(lake: Lake, archive: PageArchive, source: str, day: dt.date) -> ReparseReport:
    result = replay(lake, archive, source, day)
    outcome = result.last
    assert outcome is not None
    path = raw_path(day, source)
    old = lake.read_bytes(path) if lake.exists(path) else None
    new = partition_bytes(result.partition)
    report = ReparseReport(
        source=source,
        date=day,
        result="unchanged",
        runs=result.runs,
        records=len(result.partition.records),
        quarantined=len(outcome.quarantined),
        fallback=list(outcome.fallback),
    )
    last_run = archive.runs(day, source)[-1]
    write_quarantine(lake, source_for(last_run), outcome.quarantined, outcome.clean)
    if new is None:
        report.result = "nothing usable"
        return report
    if new == old:
        return report
    before = {r.key: r for r in raw.from_csv(old)} if old is not None else {}
    after = result.partition.records
    name = _name
    report.added = sorted(name(key) for key in after.keys() - before.keys())
    report.removed = sorted(name(key) for key in before.keys() - after.keys())
    report.changed = sorted(
        name(key) for key in after.keys() & before.keys() if after[key].text != before[key].text
    )
    report.result = "new" if old is None else "changed"
    lake.write_bytes(path, new)
    return report


def _name(key: tuple[object, ...]) -> str:
    _, sign, category, _ = key
    return f"{sign}/{category}"
