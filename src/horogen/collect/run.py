"""Collect a day (or days): fetch every source into the page archive, parse, quarantine,
write raw partitions.

Each source is collected on its own: a slow or dead site never holds up the others, and
each writes its own file ``raw/date=…/<source>.csv``, so sources can also be collected by
separate scheduler tasks. Every response is archived (``collect/archive.py``) and the
partition is what the archived runs of the day replay to (``collect/replay.py``): a clean
run replaces what the day had, a run with errors merges into it, a source that gave
nothing leaves the lake untouched; ``horogen reparse`` rebuilds the same bytes offline.

A source-day whose report says ``ok`` is not asked again unless ``refresh``, whoever runs
it (``horogen collect`` or the DAG's collect task): a backfill killed at any moment and
rerun fetches only the days it had not finished.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Literal
from zoneinfo import ZoneInfo

import httpx
from pydantic import BaseModel, Field, computed_field

from horogen.collect.archive import FetchRecord, PageArchive, RunRecord, page_of, stamp
from horogen.collect.base import Page, PageRequest, Source
from horogen.collect.fetch import Fetcher
from horogen.collect.replay import Status, Written, partition_bytes, public_url, replay
from horogen.collect.settings import CollectSettings
from horogen.collect.sites import SOURCES
from horogen.errors import ConfigError, FetchError, HorogenError, SiteGivenUp
from horogen.lake import Lake
from horogen.layout import legacy_raw_path, quarantine_path, raw_path, report_path
from horogen.schema import Category
from horogen.signs import Sign

log = logging.getLogger(__name__)

Extraction = Literal["selectors", "fallback", "mixed"]


class SourceReport(BaseModel):
    """How collecting one source for one day went: ``reports/collect/date=D/<source>.json``."""

    source: str
    date: dt.date
    status: Status = "ok"
    pages: int = 0
    records: int = 0
    quarantined: int = 0
    not_attempted: int = Field(0, description="Pages not asked for: the site's breaker was open.")
    not_modified: int = Field(
        0, description="Pages the site answered 304 to: the archived page was reused."
    )
    errors: list[str] = []
    problems: list[str] = []
    written: Written = "none"
    duration_s: float = 0.0
    extraction: Extraction = Field(
        "selectors",
        description="How the records were found: the adapter's selectors, its fallback (the "
        "largest text block: the layout changed), or both; `fallback` names the records it "
        "found.",
    )
    fallback: list[str] = []
    run: str | None = Field(None, description="The archived run: pages/date=D/<source>/runs/.")
    kept: bool = Field(
        False, description="Collected cleanly by an earlier run and kept: not fetched again."
    )


class QuarantineRecord(BaseModel):
    """Why a page was set aside: ``quarantine/date=D/<source>/<page>.json``, pointing to
    the page in the archive."""

    source: str
    date: dt.date
    url: str = Field(description="The real site's URL of the page.")
    fetched_url: str = Field(description="Where it was fetched from (a mirror, after redirects).")
    sign: Sign | None
    category: Category
    reasons: list[str]
    collected_at: dt.datetime
    page: str = Field(description="The archived body's path in the lake.")
    fetch: str | None = Field(None, description="The archived fetch record's path.")


def saved_report(lake: Lake, source: str, day: dt.date) -> SourceReport | None:
    """The report a run saved for the source-day, if there is a readable one."""
    path = report_path("collect", day, source)
    try:
        return SourceReport.model_validate(lake.read_json(path)) if lake.exists(path) else None
    except (HorogenError, ValueError):  # pydantic's ValidationError is a ValueError
        return None


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


def new_run_id(moment: dt.datetime) -> str:
    return f"{stamp(moment)}-{uuid.uuid4().hex[:8]}"


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
        self.archive = PageArchive(lake)

    async def collect(self, source: Source, day: dt.date) -> SourceReport:
        report = SourceReport(source=source.id, date=day)
        started = time.perf_counter()
        site_today = day if self.mirror else self.today
        try:
            if source.availability.serves(day, site_today):
                now = dt.datetime.now(dt.UTC)
                run = RunRecord(
                    source=source.id,
                    date=day,
                    run=new_run_id(now),
                    started_at=now,
                    base_url=source.base_url,
                    mirror=self.mirror,
                    fetches=[],
                    errors=[],
                )
                report.run = run.run
                given_up: set[str] = set()
                await self._gather(source, source.plan(day, site_today), run, report, given_up)
                if given_up:  # first: the one line that explains the rest
                    run.errors.insert(
                        0, f"{report.not_attempted} page(s) not attempted: {'; '.join(given_up)}"
                    )
                run.not_attempted = report.not_attempted
                self._keep_legacy(source.id, day)
                self.archive.finish(run)
                self._write(source, day, report)
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
        run: RunRecord,
        report: SourceReport,
        given_up: set[str],
    ) -> None:
        """Fetch (and archive) the pages, and the pages they link to; the run lists the
        fetches in the order they are parsed."""
        while requests:
            fetched = await asyncio.gather(
                *(self._fetch(source, r, run, report, given_up) for r in requests)
            )
            requests = []
            for item in fetched:
                if item is None:
                    continue
                fetch, page = item
                run.fetches.append(fetch.path)
                if fetch.usable:
                    requests.extend(_links(source, page))

    async def _fetch(
        self,
        source: Source,
        request: PageRequest,
        run: RunRecord,
        report: SourceReport,
        given_up: set[str],
    ) -> tuple[FetchRecord, Page] | None:
        """The archived response and its page, or ``None`` when there was no response (the
        reason in ``run``, or in ``given_up`` when the site's breaker kept it from being
        asked). A response that failed (a 4xx, a 5xx after retries) is archived too."""
        params = {"date": request.day.isoformat()} if self.mirror else None
        previous = self.archive.latest(request.day, source.id, request.url)
        validators = previous.validators() if previous else None
        try:
            response = await self.fetcher.get(
                request.url, site=source.id, params=params, validators=validators
            )
        except SiteGivenUp as error:
            report.not_attempted += 1
            given_up.add(str(error))
            return None
        except FetchError as error:
            run.errors.append(str(error))
            cause = error.__cause__
            if isinstance(cause, httpx.HTTPStatusError):
                self._store(source, request, run, cause.response, None)
            return None
        reused = previous if response.status_code == 304 else None
        return self._store(source, request, run, response, reused)

    def _store(
        self,
        source: Source,
        request: PageRequest,
        run: RunRecord,
        response: httpx.Response,
        reused: FetchRecord | None,
    ) -> tuple[FetchRecord, Page]:
        fetch, body = self.archive.store(
            run=run,
            request=request,
            response=response,
            fetched_at=dt.datetime.now(dt.UTC),
            suffix=source.page_suffix,
            reused=reused,
        )
        return fetch, page_of(fetch, body)

    def _keep_legacy(self, source_id: str, day: dt.date) -> None:
        """Before a source-day's first archived run: keep the partition collected before
        the archive existed, which replaying the archive starts from."""
        path = raw_path(day, source_id)
        if self.lake.exists(path) and not self.archive.runs(day, source_id):
            self.lake.write_bytes(legacy_raw_path(day, source_id), self.lake.read_bytes(path))

    def _write(self, source: Source, day: dt.date, report: SourceReport) -> None:
        """The partition the archived runs of the day replay to, the quarantine of this
        run's pages, and the report."""
        result = replay(self.lake, self.archive, source.id, day)
        outcome = result.last
        assert outcome is not None  # this run is archived
        report.pages = outcome.pages
        report.records = len(outcome.records)
        report.quarantined = len(outcome.quarantined)
        report.not_modified = outcome.not_modified
        report.errors = list(outcome.errors)
        report.problems = list(outcome.problems)
        report.fallback = list(outcome.fallback)
        if outcome.fallback:
            report.extraction = (
                "fallback" if len(outcome.fallback) == len(outcome.records) else "mixed"
            )
        report.status = result.partition.status
        report.written = result.partition.written
        data = partition_bytes(result.partition)
        if data is not None and report.status != "failed":
            self.lake.write_bytes(raw_path(day, source.id), data)
        write_quarantine(self.lake, source, outcome.quarantined, outcome.clean)


def _links(source: Source, page: Page) -> list[PageRequest]:
    """The pages ``page`` asks to fetch next (an index's links); none when it does not
    parse (the replay reports why)."""
    try:
        return source.extract(page).follow
    except Exception:  # quarantined, with the reason, when the run is replayed
        return []


def write_quarantine(
    lake: Lake,
    source: Source,
    quarantined: Sequence[tuple[FetchRecord, list[str]]],
    clean: Sequence[FetchRecord],
) -> None:
    """A quarantine record for each page that could not be used, pointing to the archived
    page; a clean page's record of an earlier run is cleared."""
    for fetch, reasons in quarantined:
        page_url = page_of(fetch, b"").url
        record = QuarantineRecord(
            source=source.id,
            date=fetch.date,
            url=public_url(source, page_url, fetch.mirror),
            fetched_url=page_url,
            sign=fetch.sign,
            category=fetch.category,
            reasons=reasons,
            collected_at=fetch.fetched_at,
            page=fetch.body,
            fetch=fetch.path,
        )
        lake.write_json(
            quarantine_path(fetch.date, source.id, fetch.name, "json"),
            record.model_dump(mode="json"),
        )
    for fetch in clean:
        for suffix in (source.page_suffix, "json"):  # a page copied by older versions too
            lake.delete(quarantine_path(fetch.date, source.id, fetch.name, suffix))


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
    source-day whose saved report says ``ok`` is kept as it is (its report comes back with
    ``kept``) unless ``refresh``."""
    started = time.perf_counter()
    chosen = build_sources(settings, sources)
    slots = {source.id: asyncio.Semaphore(settings.parallel_days) for source in chosen}
    give_up = _GiveUp(settings.give_up_after)
    unfinished = dict.fromkeys(days, len(chosen))
    async with Fetcher(settings) as fetcher:
        collector = Collector(
            lake, fetcher, mirror=bool(settings.mirror), today=site_today(settings)
        )

        async def one(source: Source, day: dt.date) -> SourceReport:
            async with slots[source.id]:
                previous = None if refresh else saved_report(lake, source.id, day)
                if previous is not None and previous.status == "ok":
                    report = previous.model_copy(update={"kept": True})
                elif give_up.exhausted(source.id):
                    reason = f"not tried: the previous {give_up.limit} days of {source.id} failed"
                    report = collector.give_up(source, day, reason)
                else:
                    report = await collector.collect(source, day)
                    give_up.record(report)
            unfinished[day] -= 1
            if on_day_done and not unfinished[day]:
                on_day_done(day)
            return report

        reports = await asyncio.gather(*(one(source, day) for day in days for source in chosen))
    return CollectionResult(
        days=sorted(set(days)),
        reports=list(reports),
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
