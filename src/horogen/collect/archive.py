"""The page archive: every response collection fetched, kept in the lake, so that a day's
raw data can be rebuilt from it at any time with today's adapters (``horogen reparse``).

Under ``pages/date=D/<source>/`` (paths in ``lake.py``):

- ``bodies/<sha256>.<html|xml>.gz``: a body as received (after transfer decoding), gzip;
  named by its hash, so the same bytes are stored once;
- ``fetches/<when>-<page>.json``: a :class:`FetchRecord`: the URL asked, the final URL
  after redirects, status, the headers that matter (type, validators, caching), when, and
  which body (a 304 names the archived body it reuses);
- ``runs/<run>.json``: a :class:`RunRecord`: one collection run of the source-day, its
  fetches in the order the run parsed them and the errors that left no response.

Each file is written whole (``Lake.write_bytes``), on a local folder or S3 alike, and a
run's record only after its fetches: a run killed before its record is written never
counts, so what is archived always replays to what was written.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib

import httpx
from pydantic import BaseModel, ConfigDict

from horogen.collect.base import Page, PageRequest
from horogen.lake import Lake
from horogen.layout import (
    PAGES,
    fetch_record_path,
    fetch_records_prefix,
    page_body_path,
    run_record_path,
    run_records_prefix,
)
from horogen.schema import Category
from horogen.signs import Sign

#: The response headers kept with an archived page.
KEPT_HEADERS: tuple[str, ...] = (
    "content-type", "content-language", "etag", "last-modified", "date", "cache-control",
    "expires", "age", "location",
)  # fmt: skip
#: The validators a conditional request sends back.
VALIDATORS: tuple[str, ...] = ("etag", "last-modified")


def stamp(moment: dt.datetime) -> str:
    """A moment as a name that sorts in time order: ``20261125T070000.123456Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def decoded(body: bytes, content_type: str | None) -> str:
    """A body's text as collection reads it: the charset its type names, else UTF-8 (what
    httpx does, so a live page and its archived copy give the same text)."""
    headers = {"content-type": content_type} if content_type else {}
    return httpx.Response(200, headers=headers, content=body).text


class FetchRecord(BaseModel):
    """One archived response of a page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    date: dt.date  # the day collected
    run: str
    name: str  # the page, as the request names it (unique in a source-day)
    category: Category
    sign: Sign | None = None
    planned_url: str  # the request's URL
    url: str  # as asked, with its query
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]
    fetched_at: dt.datetime
    body: str  # lake path of the gzip body
    sha256: str
    size: int
    base_url: str  # the source's base URL in that run (a mirror's, or the real site's)
    mirror: bool
    reused: str | None = None  # a 304: the fetch record whose body this reuses

    @property
    def request(self) -> PageRequest:
        return PageRequest(
            url=self.planned_url,
            day=self.date,
            name=self.name,
            category=self.category,
            sign=self.sign,
        )

    @property
    def usable(self) -> bool:
        """A page to parse: a 2xx, or a 304 that reuses an archived page."""
        return 200 <= self.status < 300 or (self.status == 304 and self.reused is not None)

    @property
    def path(self) -> str:
        """Where this record is in the lake."""
        return fetch_record_path(self.date, self.source, stamp(self.fetched_at), self.name)

    def validators(self) -> dict[str, str]:
        return {name: self.headers[name] for name in VALIDATORS if name in self.headers}


class RunRecord(BaseModel):
    """One collection run of a source-day."""

    model_config = ConfigDict(extra="forbid")

    source: str
    date: dt.date
    run: str
    started_at: dt.datetime
    base_url: str
    mirror: bool
    fetches: list[str]  # fetch record paths, in the order the run parsed the pages
    errors: list[str]  # failures that left no usable response
    not_attempted: int = 0


def page_of(record: FetchRecord, body: bytes) -> Page:
    """The page a fetch gave, as the adapters see it (a mirror's ``?date=`` left out)."""
    url = httpx.URL(record.final_url)
    if record.mirror:
        url = url.copy_remove_param("date")
    return Page(
        request=record.request,
        url=str(url),
        body=decoded(body, record.headers.get("content-type")),
        collected_at=record.fetched_at,
    )


class PageArchive:
    """The archive of a lake: store fetches and runs, read them back."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self._latest: dict[tuple[dt.date, str], dict[str, FetchRecord]] = {}

    def store(
        self,
        *,
        run: RunRecord,
        request: PageRequest,
        response: httpx.Response,
        fetched_at: dt.datetime,
        suffix: str,
        reused: FetchRecord | None = None,
    ) -> tuple[FetchRecord, bytes]:
        """Archive ``response`` to ``request`` (a 304: with the body of ``reused``); the
        record and the body. The body is written only if these bytes are not stored yet."""
        day, source = run.date, run.source
        if response.status_code == 304 and reused is not None:
            body = self.body(reused)
            path, digest = reused.body, reused.sha256
        else:
            body = response.content
            digest = hashlib.sha256(body).hexdigest()
            path = page_body_path(day, source, digest, suffix)
            if not self.lake.exists(path):
                self.lake.write_bytes(path, gzip.compress(body, mtime=0))
        headers = {
            name: response.headers[name] for name in KEPT_HEADERS if name in response.headers
        }
        if response.status_code == 304 and reused is not None:
            headers = reused.headers | headers
        record = FetchRecord(
            source=source,
            date=day,
            run=run.run,
            name=request.name,
            category=request.category,
            sign=request.sign,
            planned_url=request.url,
            url=str(response.request.url),
            final_url=str(response.url),
            status=response.status_code,
            headers=headers,
            fetched_at=fetched_at,
            body=path,
            sha256=digest,
            size=len(body),
            base_url=run.base_url,
            mirror=run.mirror,
            reused=reused.body if response.status_code == 304 and reused is not None else None,
        )
        self.lake.write_bytes(record.path, record.model_dump_json(indent=2).encode("utf-8"))
        if record.usable:
            self._latest.setdefault((day, source), {})[request.url] = record
        return record, body

    def finish(self, run: RunRecord) -> None:
        """Record a run once its fetches are archived: from now on it replays."""
        self.lake.write_bytes(
            run_record_path(run.date, run.source, run.run),
            run.model_dump_json(indent=2).encode("utf-8"),
        )

    def runs(self, day: dt.date, source: str) -> list[RunRecord]:
        """The recorded runs of a source-day, oldest first."""
        prefix = run_records_prefix(day, source)
        return [
            RunRecord.model_validate_json(self.lake.read_bytes(path))
            for path in self.lake.files(prefix)
        ]

    def fetch(self, path: str) -> FetchRecord:
        return FetchRecord.model_validate_json(self.lake.read_bytes(path))

    def body(self, record: FetchRecord) -> bytes:
        return gzip.decompress(self.lake.read_bytes(record.body))

    def page(self, record: FetchRecord) -> Page:
        return page_of(record, self.body(record))

    def latest(self, day: dt.date, source: str, url: str) -> FetchRecord | None:
        """The newest usable fetch of ``url`` for the source-day, else the day before (a
        page a site serves every day at one address), for a conditional request."""
        for candidate in (day, day - dt.timedelta(days=1)):
            found = self._index(candidate, source).get(url)
            if found is not None and found.validators():
                return found
        return None

    def days(self) -> list[dt.date]:
        return self.lake.partitions(PAGES)

    def _index(self, day: dt.date, source: str) -> dict[str, FetchRecord]:
        key = (day, source)
        if key not in self._latest:
            latest: dict[str, FetchRecord] = {}
            for path in self.lake.files(fetch_records_prefix(day, source)):
                record = self.fetch(path)
                if record.usable:
                    latest[record.planned_url] = record  # paths sort by time: newest wins
            self._latest[key] = latest
        return self._latest[key]
