"""Collect a day (or days): fetch every source, parse, quarantine, write raw partitions.

Each source is collected on its own: a slow or dead site never holds up the others, and
each writes its own file ``raw/date=…/<source>.csv``, so sources can also be collected by
separate scheduler tasks. What a source gives replaces its file for the day only when the
source was collected cleanly; after errors the new records are merged into what the lake
already had, and a source that gave nothing leaves the lake untouched.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

from horogen import raw
from horogen.collect.base import Page, PageRequest, Source
from horogen.collect.fetch import Fetcher
from horogen.collect.settings import CollectSettings
from horogen.collect.sites import SOURCES
from horogen.config import Settings
from horogen.errors import ConfigError, FetchError, LayoutChanged
from horogen.lake import Lake, quarantine_path, raw_path, report_path
from horogen.schema import Record

Status = Literal["ok", "partial", "failed", "skipped"]
Written = Literal["replaced", "merged", "kept", "none"]


@dataclass
class SourceReport:
    """How collecting one source for one day went; saved as JSON in the lake."""

    source: str
    date: dt.date
    status: Status = "ok"
    pages: int = 0
    records: int = 0
    quarantined: int = 0
    errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    written: Written = "none"
    duration_s: float = 0.0

    def to_json(self) -> dict[str, object]:
        return asdict(self) | {"date": self.date.isoformat()}


def site_today(settings: CollectSettings) -> dt.date:
    """Today where the sites publish (Moscow for the Russian sites)."""
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


def build_sources(settings: CollectSettings, only: Sequence[str] | None = None) -> list[Source]:
    """The configured sources, each pointed at its base URL (or at the mirror)."""
    wanted = list(only or settings.sources or SOURCES)
    unknown = [name for name in wanted if name not in SOURCES]
    if unknown:
        raise ConfigError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}")
    mirror = settings.mirror.rstrip("/") if settings.mirror else None
    return [
        SOURCES[name](f"{mirror}/{name}" if mirror else settings.base_urls.get(name))
        for name in wanted
    ]


class Collector:
    """Collects sources into a lake. ``mirror=True`` asks every page for the day being
    collected (``?date=``), which the mirror serves for any day."""

    def __init__(self, lake: Lake, fetcher: Fetcher, *, mirror: bool, today: dt.date) -> None:
        self.lake = lake
        self.fetcher = fetcher
        self.mirror = mirror
        self.today = today

    async def collect(self, source: Source, day: dt.date) -> SourceReport:
        report = SourceReport(source=source.id, date=day)
        started = time.perf_counter()
        site_today = day if self.mirror else self.today
        if not source.availability.serves(day, site_today):
            report.status = "skipped"
            report.problems.append(
                f"{source.id} serves {source.availability.describe()} on the real web; "
                f"{day} is not among them"
            )
        else:
            records = await self._gather(source, source.plan(day, site_today), report)
            self._write(source, day, records, report)
        report.duration_s = round(time.perf_counter() - started, 3)
        self.lake.write_json(report_path("collect", day, source.id), report.to_json())
        return report

    async def _gather(
        self, source: Source, requests: list[PageRequest], report: SourceReport
    ) -> list[Record]:
        records: dict[tuple[object, ...], Record] = {}
        while requests:
            pages = await asyncio.gather(*(self._fetch(source, r, report) for r in requests))
            requests = []
            for page in pages:
                if page is None:
                    continue
                report.pages += 1
                for record in self._parse(source, page, report, requests):
                    if record.key in records:
                        report.problems.append(f"duplicate {record.sign}/{record.category}")
                    else:
                        records[record.key] = record
        return list(records.values())

    async def _fetch(
        self, source: Source, request: PageRequest, report: SourceReport
    ) -> Page | None:
        params = {"date": request.day.isoformat()} if self.mirror else None
        try:
            response = await self.fetcher.get(request.url, site=source.id, params=params)
        except FetchError as error:
            report.errors.append(str(error))
            return None
        return Page(
            request=request,
            url=str(response.url.copy_remove_param("date")) if self.mirror else str(response.url),
            body=response.text,
            collected_at=dt.datetime.now(dt.UTC),
        )

    def _parse(
        self, source: Source, page: Page, report: SourceReport, follow: list[PageRequest]
    ) -> list[Record]:
        """The page's records for the requested day; quarantines what cannot be used."""
        try:
            parsed = source.parse(page)
        except LayoutChanged as error:
            self._quarantine(source, page, [str(error)], report)
            return []
        follow.extend(parsed.follow)
        problems = list(parsed.problems)
        wanted = [record for record in parsed.records if record.date == page.request.day]
        stale = {record.date for record in parsed.records} - {page.request.day}
        if stale:
            dates = ", ".join(sorted(str(day) for day in stale))
            problems.append(f"page is for {dates}, asked for {page.request.day}")
        if problems:
            self._quarantine(source, page, problems, report)
        return wanted

    def _quarantine(
        self, source: Source, page: Page, reasons: list[str], report: SourceReport
    ) -> None:
        request = page.request
        report.quarantined += 1
        report.problems.extend(f"{request.name}: {reason}" for reason in reasons)
        body_path = quarantine_path(request.day, source.id, request.name, source.page_suffix)
        self.lake.write_bytes(body_path, page.body.encode("utf-8"))
        self.lake.write_json(
            quarantine_path(request.day, source.id, request.name, "json"),
            {
                "source": source.id,
                "date": request.day.isoformat(),
                "url": page.url,
                "reasons": reasons,
                "collected_at": page.collected_at.isoformat(),
                "page": body_path,
            },
        )

    def _write(
        self, source: Source, day: dt.date, records: list[Record], report: SourceReport
    ) -> None:
        report.records = len(records)
        path = raw_path(day, source.id)
        clean = not report.errors and not report.quarantined
        if not records:
            report.status = "failed"
            report.written = "kept" if self.lake.exists(path) else "none"
            return
        report.status = "ok" if clean else "partial"
        if not clean and self.lake.exists(path):
            merged = {record.key: record for record in raw.from_csv(self.lake.read_bytes(path))}
            merged.update((record.key, record) for record in records)
            records = list(merged.values())
            report.written = "merged"
        else:
            report.written = "replaced"
        self.lake.write_bytes(path, raw.to_csv(records))


@dataclass
class CollectionResult:
    reports: list[SourceReport]

    @property
    def failed_share(self) -> float:
        attempted = [r for r in self.reports if r.status != "skipped"]
        if not attempted:
            return 0.0
        return sum(r.status == "failed" for r in attempted) / len(attempted)

    def succeeded(self, threshold: float) -> bool:
        """False when at least ``threshold`` of the attempted collections failed."""
        return self.failed_share < threshold

    def to_json(self) -> str:
        return json.dumps([r.to_json() for r in self.reports], ensure_ascii=False, indent=2)


async def collect_async(
    settings: Settings,
    days: Sequence[dt.date],
    *,
    sources: Sequence[str] | None = None,
    on_day_done: Callable[[dt.date], None] | None = None,
) -> CollectionResult:
    """Collect ``days`` from ``sources``; days run a few at a time, sources in parallel."""
    lake = settings.open_lake()
    chosen = build_sources(settings.collect, sources)
    day_slots = asyncio.Semaphore(settings.collect.parallel_days)
    async with Fetcher(settings.collect) as fetcher:
        collector = Collector(
            lake, fetcher, mirror=bool(settings.collect.mirror), today=site_today(settings.collect)
        )

        async def one_day(day: dt.date) -> list[SourceReport]:
            async with day_slots:
                reports = await asyncio.gather(*(collector.collect(s, day) for s in chosen))
            if on_day_done:
                on_day_done(day)
            return list(reports)

        per_day = await asyncio.gather(*(one_day(day) for day in days))
    return CollectionResult([report for reports in per_day for report in reports])


def collect(
    settings: Settings,
    days: Sequence[dt.date],
    *,
    sources: Sequence[str] | None = None,
    on_day_done: Callable[[dt.date], None] | None = None,
) -> CollectionResult:
    """Synchronous entry point for the CLI, the pipeline and Airflow tasks."""
    return asyncio.run(collect_async(settings, days, sources=sources, on_day_done=on_day_done))
