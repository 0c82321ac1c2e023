"""Collect a day (or days): fetch every source, parse, quarantine, write raw partitions.

Each source is collected on its own: a slow or dead site never holds up the others, and
each writes its own file ``raw/date=…/<source>.csv``, so sources can also be collected by
separate scheduler tasks. What a source gives replaces its file for the day only when the
source was collected cleanly; after errors the new records are merged into what the lake
already had, and a source that gave nothing leaves the lake untouched.

A source-day collected cleanly before (its report in the lake says ``ok``) is kept as it
is unless asked to ``refresh``: a rerun fetches only what is missing, whoever runs it (the
``horogen collect`` command or the DAG's collect task).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, computed_field

from horogen import raw
from horogen.collect.base import Page, PageRequest, Source
from horogen.collect.fetch import Fetcher
from horogen.collect.settings import CollectSettings
from horogen.collect.sites import SOURCES
from horogen.errors import ConfigError, FetchError, HorogenError, LayoutChanged, SiteGivenUp
from horogen.lake import Lake
from horogen.layout import quarantine_path, raw_path, report_path
from horogen.schema import Category, Record
from horogen.signs import Sign

log = logging.getLogger(__name__)

Status = Literal["ok", "partial", "failed", "skipped"]
Written = Literal["replaced", "merged", "kept", "none"]


class SourceReport(BaseModel):
    """How collecting one source for one day went: ``reports/collect/date=D/<source>.json``."""

    source: str
    date: dt.date
    status: Status = "ok"
    pages: int = 0
    records: int = 0
    quarantined: int = 0
    not_attempted: int = Field(0, description="Pages not asked for: the site's breaker was open.")
    errors: list[str] = []
    problems: list[str] = []
    written: Written = "none"
    duration_s: float = 0.0
    kept: bool = Field(
        False, description="Collected cleanly by an earlier run and kept: not fetched again."
    )


class QuarantineRecord(BaseModel):
    """Why a page was set aside: ``quarantine/date=D/<source>/<page>.json``, beside the page."""

    source: str
    date: dt.date
    url: str = Field(description="The real site's URL of the page.")
    fetched_url: str = Field(description="Where it was fetched from (a mirror, after redirects).")
    sign: Sign | None
    category: Category
    reasons: list[str]
    collected_at: dt.datetime
    page: str = Field(description="The page's path in the lake.")


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
    """Collects one source for one day into a lake.

    ``mirror=True`` asks every page for the day being collected (``?date=``), which the
    mirror serves for any day, and stores each record's URL as the real site's URL the
    mirrored page stands for.
    """

    def __init__(self, lake: Lake, fetcher: Fetcher, *, mirror: bool, today: dt.date) -> None:
        self.lake = lake
        self.fetcher = fetcher
        self.mirror = mirror
        self.today = today

    async def collect(self, source: Source, day: dt.date) -> SourceReport:
        report = SourceReport(source=source.id, date=day)
        started = time.perf_counter()
        site_today = day if self.mirror else self.today
        try:
            if source.availability.serves(day, site_today):
                given_up: set[str] = set()
                requests = source.plan(day, site_today)
                records = await self._gather(source, requests, report, given_up)
                if given_up:  # first: the one line that explains the rest
                    report.errors.insert(
                        0,
                        f"{report.not_attempted} page(s) not attempted: {'; '.join(given_up)}",
                    )
                self._write(source, day, records, report)
            else:
                report.status = "skipped"
                report.problems.append(
                    f"{source.id} serves {source.availability.describe()} on the real web; "
                    f"{day} is not among them"
                )
        except Exception as error:  # one source's failure must not stop the others
            log.exception("collecting %s for %s failed", source.id, day)
            report.status = "failed"
            report.errors.append(f"{type(error).__name__}: {error}")
        report.duration_s = round(time.perf_counter() - started, 3)
        self._save(report)
        return report

    def _save(self, report: SourceReport) -> None:
        self.lake.write_json(
            report_path("collect", report.date, report.source), report.model_dump(mode="json")
        )

    def give_up(self, source: Source, day: dt.date, reason: str) -> SourceReport:
        """Report ``source`` as failed for ``day`` without asking it."""
        report = SourceReport(source=source.id, date=day, status="failed", errors=[reason])
        report.written = "kept" if self.lake.exists(raw_path(day, source.id)) else "none"
        self._save(report)
        return report

    async def _gather(
        self,
        source: Source,
        requests: list[PageRequest],
        report: SourceReport,
        given_up: set[str],
    ) -> list[Record]:
        records: dict[tuple[object, ...], Record] = {}
        while requests:
            pages = await asyncio.gather(
                *(self._fetch(source, r, report, given_up) for r in requests)
            )
            requests = []
            for page in pages:
                if page is None:
                    continue
                report.pages += 1
                for record in self._parse(source, page, report, requests):
                    records.setdefault(record.key, record)
        return list(records.values())

    async def _fetch(
        self, source: Source, request: PageRequest, report: SourceReport, given_up: set[str]
    ) -> Page | None:
        """The page, or ``None`` with the reason in ``report`` (and in ``given_up`` when the
        site's breaker kept it from being asked)."""
        params = {"date": request.day.isoformat()} if self.mirror else None
        try:
            response = await self.fetcher.get(request.url, site=source.id, params=params)
        except SiteGivenUp as error:
            report.not_attempted += 1
            given_up.add(str(error))
            return None
        except FetchError as error:
            report.errors.append(str(error))
            return None
        url = response.url.copy_remove_param("date") if self.mirror else response.url
        return Page(
            request=request,
            url=str(url),
            body=response.text,
            collected_at=dt.datetime.now(dt.UTC),
        )

    def _parse(
        self, source: Source, page: Page, report: SourceReport, follow: list[PageRequest]
    ) -> list[Record]:
        """The usable records of ``page``; the page is quarantined when anything on it
        could not be used, and a quarantine left by an earlier run is cleared when the page
        is clean now."""
        try:
            parsed = source.parse(page)
        except LayoutChanged as error:
            self._quarantine(source, page, [str(error)], report)
            return []
        except Exception as error:  # an adapter bug or a page it never imagined
            log.exception("%s could not parse %s", source.id, page.url)
            self._quarantine(source, page, [f"{type(error).__name__}: {error}"], report)
            return []
        follow.extend(parsed.follow)
        problems = list(parsed.problems)
        usable = []
        for record in parsed.records:
            if record.date != page.request.day:
                problems.append(f"page is for {record.date}, asked for {page.request.day}")
            elif not record.text:
                problems.append(f"{record.sign}/{record.category}: empty text")
            else:
                usable.append(self._public(source, record))
        if problems:
            self._quarantine(source, page, sorted(set(problems)), report)
        else:
            self._clear_quarantine(source, page.request)
        return usable

    def _public(self, source: Source, record: Record) -> Record:
        """``record`` with the real site's URL in place of the mirror's."""
        return record.model_copy(update={"url": self._public_url(source, record.url)})

    def _public_url(self, source: Source, url: str) -> str:
        if not self.mirror or not url.startswith(source.base_url):
            return url
        return source.default_base_url + url[len(source.base_url) :]

    def _quarantine(
        self, source: Source, page: Page, reasons: list[str], report: SourceReport
    ) -> None:
        request = page.request
        report.quarantined += 1
        report.problems.extend(f"{request.name}: {reason}" for reason in reasons)
        body_path = quarantine_path(request.day, source.id, request.name, source.page_suffix)
        self.lake.write_bytes(body_path, page.body.encode("utf-8"))
        record = QuarantineRecord(
            source=source.id,
            date=request.day,
            url=self._public_url(source, page.url),
            fetched_url=page.url,
            sign=request.sign,
            category=request.category,
            reasons=reasons,
            collected_at=page.collected_at,
            page=body_path,
        )
        self.lake.write_json(
            quarantine_path(request.day, source.id, request.name, "json"),
            record.model_dump(mode="json"),
        )

    def _clear_quarantine(self, source: Source, request: PageRequest) -> None:
        for suffix in (source.page_suffix, "json"):
            self.lake.delete(quarantine_path(request.day, source.id, request.name, suffix))

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
        before = self._previous(path)
        # A text fetched again unchanged keeps its record (and collected_at): running a day
        # twice gives the same data. A partial fetch keeps what it could not fetch again.
        fetched = [
            before[record.key]
            if record.key in before and before[record.key].text == record.text
            else record
            for record in records
        ]
        if not clean and before:
            records = list((before | {record.key: record for record in fetched}).values())
            report.written = "merged"
        else:
            records = fetched
            report.written = "replaced"
        self.lake.write_bytes(path, raw.to_csv(records))

    def _previous(self, path: str) -> dict[tuple[Any, ...], Record]:
        """The records a partition held before this run, by key (none when it held none,
        or nothing readable: then this run's records replace it)."""
        if not self.lake.exists(path):
            return {}
        try:
            return {record.key: record for record in raw.from_csv(self.lake.read_bytes(path))}
        except (UnicodeDecodeError, ValueError) as error:  # pydantic's errors are ValueErrors
            log.warning("%s is unreadable and will be replaced: %s", path, error)
            return {}


Outcome = Literal["ok", "partial", "failed"]


class CollectionResult(BaseModel):
    """What collecting some days from some sources did: a report per source-day (those kept
    from an earlier run included). JSON-safe: what the DAG's collect task hands on."""

    days: list[dt.date]
    reports: list[SourceReport]
    seconds: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def collected(self) -> int:
        """Source-days fetched by this run."""
        return sum(not report.kept for report in self.reports)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kept(self) -> int:
        """Source-days kept from an earlier run."""
        return sum(report.kept for report in self.reports)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def records(self) -> int:
        """Records this run collected."""
        return sum(report.records for report in self.reports if not report.kept)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed(self) -> list[str]:
        """``source date`` of every source-day this run failed."""
        return sorted(
            f"{r.source} {r.date}" for r in self.reports if r.status == "failed" and not r.kept
        )

    @property
    def unserved_days(self) -> list[dt.date]:
        """Days that no source asked for could serve (every source-day ``skipped``)."""
        days: dict[dt.date, bool] = {}
        for report in self.reports:
            days[report.date] = days.get(report.date, True) and report.status == "skipped"
        return sorted(day for day, skipped in days.items() if skipped)

    @property
    def failed_share(self) -> float:
        """The share of source-days that failed, among those attempted and those of the
        days that no source could serve (which count as failed: nothing was collected for
        them); 1.0 when there are none."""
        unserved = set(self.unserved_days)
        counted = [r for r in self.reports if r.status != "skipped" or r.date in unserved]
        if not counted:
            return 1.0
        return sum(r.status in ("failed", "skipped") for r in counted) / len(counted)

    @property
    def failed_or_unserved(self) -> list[str]:
        """``source date`` of every source-day that counts as failed: it failed, or no
        source serves its day."""
        unserved = set(self.unserved_days)
        return sorted(
            f"{r.source} {r.date}"
            for r in self.reports
            if r.status == "failed" or (r.status == "skipped" and r.date in unserved)
        )

    def summary(self, threshold: float) -> str:
        """What failed, in one line: ``33% of source-days failed (collect.failure_threshold:
        50%)``, and the days no source serves."""
        text = (
            f"{self.failed_share:.0%} of source-days failed (collect.failure_threshold: "
            f"{threshold:.0%})"
        )
        if self.unserved_days:
            text += f"; no source serves {', '.join(map(str, self.unserved_days))}"
        return text

    def merged(self, others: Sequence[CollectionResult]) -> CollectionResult:
        """This result and ``others`` as one (the DAG collects each source in its own task)."""
        results = [self, *others]
        return CollectionResult(
            days=sorted({day for result in results for day in result.days}),
            reports=[report for result in results for report in result.reports],
            seconds=sum(result.seconds for result in results),
        )

    def succeeded(self, threshold: float) -> bool:
        """False when at least ``threshold`` of the counted source-days failed."""
        return self.failed_share < threshold

    def outcome(self, threshold: float) -> Outcome:
        """``failed`` at or over ``threshold``, ``partial`` when anything failed below it."""
        if not self.succeeded(threshold):
            return "failed"
        return "partial" if self.failed_share > 0 else "ok"


class _GiveUp:
    """Stops asking a source for more days once its last ``limit`` days all failed, so a
    dead site costs a backfill minutes, not hours of timeouts."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.failed_in_a_row: dict[str, int] = {}

    def exhausted(self, source: str) -> bool:
        return self.limit > 0 and self.failed_in_a_row.get(source, 0) >= self.limit

    def record(self, report: SourceReport) -> None:
        before = self.failed_in_a_row.get(report.source, 0)
        self.failed_in_a_row[report.source] = before + 1 if report.status == "failed" else 0


async def collect_async(
    lake: Lake,
    settings: CollectSettings,
    days: Sequence[dt.date],
    *,
    sources: Sequence[str] | None = None,
    refresh: bool = False,
    on_day_done: Callable[[dt.date], None] | None = None,
) -> CollectionResult:
    """Collect ``days`` from ``sources`` (default: ``settings.sources``, else all): every
    source on its own, each working on at most ``parallel_days`` days at a time. A
    source-day collected cleanly before is kept unless ``refresh``."""
    started = time.perf_counter()
    chosen = build_sources(settings, sources)
    kept = [] if refresh else _kept(lake, chosen, days)
    done = {(report.source, report.date) for report in kept}
    todo = [(s, d) for d in days for s in chosen if (s.id, d) not in done]
    slots = {source.id: asyncio.Semaphore(settings.parallel_days) for source in chosen}
    give_up = _GiveUp(settings.give_up_after)
    unfinished = dict.fromkeys(days, 0)
    for _, day in todo:
        unfinished[day] += 1
    async with Fetcher(settings) as fetcher:
        collector = Collector(
            lake, fetcher, mirror=bool(settings.mirror), today=site_today(settings)
        )

        async def one(source: Source, day: dt.date) -> SourceReport:
            async with slots[source.id]:
                if give_up.exhausted(source.id):
                    reason = f"not tried: the previous {give_up.limit} days of {source.id} failed"
                    report = collector.give_up(source, day, reason)
                else:
                    report = await collector.collect(source, day)
                    give_up.record(report)
            unfinished[day] -= 1
            if on_day_done and not unfinished[day]:
                on_day_done(day)
            return report

        if on_day_done:  # days with nothing to fetch are done already
            for day in [day for day, count in unfinished.items() if not count]:
                on_day_done(day)
        reports = await asyncio.gather(*(one(source, day) for source, day in todo))
    return CollectionResult(
        days=sorted(set(days)),
        reports=[*reports, *kept],
        seconds=round(time.perf_counter() - started, 3),
    )


def collect(
    lake: Lake,
    settings: CollectSettings,
    days: Sequence[dt.date],
    *,
    sources: Sequence[str] | None = None,
    refresh: bool = False,
    on_day_done: Callable[[dt.date], None] | None = None,
) -> CollectionResult:
    """Synchronous :func:`collect_async`: what the pipeline's collect step calls."""
    return asyncio.run(
        collect_async(
            lake, settings, days, sources=sources, refresh=refresh, on_day_done=on_day_done
        )
    )


def saved_report(lake: Lake, source: str, day: dt.date) -> SourceReport | None:
    """The report an earlier run saved for ``source`` on ``day``; ``None`` when there is
    none, or none readable."""
    path = report_path("collect", day, source)
    try:
        return SourceReport.model_validate(lake.read_json(path)) if lake.exists(path) else None
    except (HorogenError, ValueError):  # pydantic's ValidationError is a ValueError
        return None


def _kept(lake: Lake, sources: Sequence[Source], days: Sequence[dt.date]) -> list[SourceReport]:
    """The source-days an earlier run collected cleanly, as kept reports."""
    kept = []
    for source in sources:
        for day in sorted(set(days)):
            report = saved_report(lake, source.id, day)
            if report is not None and report.status == "ok":
                kept.append(report.model_copy(update={"kept": True}))
    return kept
