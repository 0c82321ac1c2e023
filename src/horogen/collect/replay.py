"""Raw data from the page archive: what each run made of its pages, folded in run order into
a source-day's records. Collection writes what this gives after each run, and ``horogen
reparse`` rebuilds it from the archive alone, so the two agree byte for byte while the
adapters are unchanged.

The fold is the collector's rule for a source-day's partition: a clean run (no errors, no
quarantined page) replaces what the day had, a run with errors merges into it (new wins per
sign and category), a run that gave nothing leaves it; a text fetched again unchanged keeps
its record, ``collected_at`` included (which is the archived fetch time).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from horogen import raw
from horogen.collect.archive import FetchRecord, PageArchive, RunRecord
from horogen.collect.base import Page, Source
from horogen.collect.sites import SOURCES
from horogen.errors import LayoutChanged
from horogen.lake import Lake
from horogen.layout import legacy_raw_path
from horogen.schema import Record

log = logging.getLogger(__name__)

Status = Literal["ok", "partial", "failed", "skipped"]
Written = Literal["replaced", "merged", "kept", "none"]
Key = tuple[Any, ...]


@dataclass
class RunOutcome:
    """What one run made of its pages."""

    records: list[Record] = field(default_factory=list)
    quarantined: list[tuple[FetchRecord, list[str]]] = field(default_factory=list)
    clean: list[FetchRecord] = field(default_factory=list)  # pages with nothing to report
    problems: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pages: int = 0
    not_modified: int = 0
    fallback: list[str] = field(default_factory=list)  # "sign/category" of fallback records


@dataclass
class Partition:
    """A source-day's records after a fold step, and how that step went."""

    records: dict[Key, Record] = field(default_factory=dict)
    status: Status = "failed"
    written: Written = "none"


def source_for(run: RunRecord) -> Source:
    """The adapter as the run had it: today's code, the run's base URL."""
    return SOURCES[run.source](run.base_url)


def parse_run(
    source: Source, pages: Iterable[tuple[FetchRecord, Page]], run: RunRecord
) -> RunOutcome:
    """Parse a run's pages in order: usable records (the first of each key), quarantined
    pages with their reasons, problems; the run's errors are carried over."""
    outcome = RunOutcome(errors=list(run.errors))
    seen: dict[Key, Record] = {}
    for fetch, page in pages:
        outcome.pages += 1
        outcome.not_modified += fetch.status == 304
        reasons, records = _parse_page(source, page, run.mirror, outcome)
        for record in records:
            seen.setdefault(record.key, record)
        if reasons:
            outcome.quarantined.append((fetch, reasons))
            outcome.problems.extend(f"{fetch.name}: {reason}" for reason in reasons)
        else:
            outcome.clean.append(fetch)
    outcome.records = list(seen.values())
    return outcome


def _parse_page(
    source: Source, page: Page, mirror: bool, outcome: RunOutcome
) -> tuple[list[str], list[Record]]:
    """The reasons to quarantine ``page`` (none when it is clean) and its usable records."""
    try:
        parsed = source.extract(page)
    except LayoutChanged as error:
        return [str(error)], []
    except Exception as error:  # an adapter bug or a page it never imagined
        log.exception("%s could not parse %s", source.id, page.url)
        return [f"{type(error).__name__}: {error}"], []
    problems = list(parsed.problems)
    usable = []
    for record in parsed.records:
        if record.date != page.request.day:
            problems.append(f"page is for {record.date}, asked for {page.request.day}")
        elif not record.text:
            problems.append(f"{record.sign}/{record.category}: empty text")
        else:
            usable.append(public(source, record, mirror))
            if parsed.extraction == "fallback":
                outcome.fallback.append(f"{record.sign}/{record.category}")
    return sorted(set(problems)), usable


def public(source: Source, record: Record, mirror: bool) -> Record:
    """``record`` with the real site's URL in place of the mirror's."""
    return record.model_copy(update={"url": public_url(source, record.url, mirror)})


def public_url(source: Source, url: str, mirror: bool) -> str:
    if not mirror or not url.startswith(source.base_url):
        return url
    return source.default_base_url + url[len(source.base_url) :]


def fold(before: dict[Key, Record], outcome: RunOutcome) -> Partition:
    """The partition after a run (see the module's docstring)."""
    if not outcome.records:
        return Partition(before, "failed", "kept" if before else "none")
    clean = not outcome.errors and not outcome.quarantined
    fetched = {
        record.key: before[record.key]
        if record.key in before and before[record.key].text == record.text
        else record
        for record in outcome.records
    }
    if not clean and before:
        return Partition(before | fetched, "partial", "merged")
    return Partition(fetched, "ok" if clean else "partial", "replaced")


@dataclass
class Replay:
    """A source-day rebuilt from the archive: the partition and the last run's outcome."""

    partition: Partition
    last: RunOutcome | None  # None: no run is archived
    runs: int


def replay(lake: Lake, archive: PageArchive, source_id: str, day: dt.date) -> Replay:
    """Fold every archived run of the source-day, oldest first, from what the day held
    before its first archived run (``legacy_raw_path``, if the lake had a partition then)."""
    before: dict[Key, Record] = {}
    legacy = legacy_raw_path(day, source_id)
    if lake.exists(legacy):
        before = {record.key: record for record in raw.from_csv(lake.read_bytes(legacy))}
    partition = Partition(before, "failed", "kept" if before else "none")
    last = None
    runs = archive.runs(day, source_id)
    for run in runs:
        source = source_for(run)
        fetches = [archive.fetch(path) for path in run.fetches]
        pages = [(fetch, archive.page(fetch)) for fetch in fetches if fetch.usable]
        last = parse_run(source, pages, run)
        partition = fold(partition.records, last)
    return Replay(partition, last, len(runs))


def partition_bytes(partition: Partition) -> bytes | None:
    """The raw CSV of a partition (``None`` when it has no records)."""
    return raw.to_csv(partition.records.values()) if partition.records else None
