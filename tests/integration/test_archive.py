"""The page archive and `horogen reparse`, over real HTTP against the mirror on 127.0.0.1:
every response kept, bodies stored once, a 304 reusing the archived page, raw data rebuilt
byte for byte offline, and an adapter fix reaching past days."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path

import httpx
import pytest

from cli_support import horogen
from horogen import raw
from horogen.collect import run
from horogen.collect.archive import FetchRecord
from horogen.collect.reparse import reparse
from horogen.collect.run import CollectionResult
from horogen.collect.sites.rambler import Rambler
from horogen.config import Settings, load_settings
from horogen.lake import Lake
from horogen.layout import raw_path
from horogen.mirror.run import MirrorServer

DAY = dt.date(2026, 5, 20)
DAYS = [DAY + dt.timedelta(days=offset) for offset in range(3)]


def collect(settings: Settings, days: list[dt.date], **options: object) -> CollectionResult:
    """The collect stage on the lake and ``[collect]`` section of ``settings``."""
    return run.collect(settings.open_lake(), settings.collect, days, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def mirror():
    with MirrorServer() as server:
        yield server


@pytest.fixture(autouse=True)
def no_faults(mirror):
    mirror.faults.clear()
    mirror.log.clear()
    yield
    mirror.faults.clear()


def settings_for(lake: Lake, mirror: MirrorServer, **collect_settings: object) -> Settings:
    fast = {"retries": 0, "backoff_base": 0.01, "backoff_max": 0.05, "breaker_threshold": 0}
    return load_settings(lake=lake.uri, collect={"mirror": mirror.url, **fast, **collect_settings})


def raw_files(lake: Lake) -> dict[str, bytes]:
    return {path: lake.read_bytes(path) for path in lake.files("raw")}


def fetches(lake: Lake, day: dt.date, source: str) -> list[FetchRecord]:
    prefix = f"pages/date={day}/{source}/fetches/"
    return [FetchRecord.model_validate_json(lake.read_bytes(p)) for p in lake.files(prefix)]


def no_network(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("reparse must not use the network")

    monkeypatch.setattr(httpx.AsyncClient, "send", refuse)
    monkeypatch.setattr(httpx.Client, "send", refuse)


def test_every_fetched_response_is_archived_with_its_record(lake, mirror):
    collect(settings_for(lake, mirror), [DAY], sources=["astroscope", "ignio"])

    astroscope = fetches(lake, DAY, "astroscope")
    assert len(astroscope) == 13  # the index and the twelve sign pages it links to
    assert len(mirror.log.entries) >= 13 + 8
    index = next(record for record in astroscope if record.name == "index")
    assert index.url == f"{mirror.url}/astroscope/horoskop/ejednevniy_goroskop/?date={DAY}"
    assert index.final_url == index.url and index.status == 200
    assert index.headers["content-type"].startswith("text/html")
    assert "etag" in index.headers and index.fetched_at.tzinfo is not None
    body = gzip.decompress(lake.read_bytes(index.body))
    assert body.startswith(b"<!DOCTYPE html>") and len(body) == index.size
    feeds = fetches(lake, DAY, "ignio")
    assert len(feeds) == 8 and all(record.body.endswith(".xml.gz") for record in feeds)
    (run,) = lake.files(f"pages/date={DAY}/ignio/runs/")
    assert len(json.loads(lake.read_bytes(run))["fetches"]) == 8


def test_a_rerun_asks_conditionally_and_a_304_reuses_the_archived_page(lake, mirror):
    settings = settings_for(lake, mirror)
    collect(settings, [DAY], sources=["mailru"])
    before = lake.read_bytes(raw_path(DAY, "mailru"))
    bodies = lake.files(f"pages/date={DAY}/mailru/bodies/")

    report = collect(settings, [DAY], sources=["mailru"], refresh=True).reports[0]

    assert report.status == "ok" and report.not_modified == 12 and report.records == 12
    assert mirror.log.count("mailru", status=304) == 12
    assert lake.read_bytes(raw_path(DAY, "mailru")) == before  # collected_at included
    assert lake.files(f"pages/date={DAY}/mailru/bodies/") == bodies  # stored once
    records = fetches(lake, DAY, "mailru")
    assert sorted(record.status for record in records) == [200] * 12 + [304] * 12
    assert all(r.reused is not None for r in records if r.status == 304)


def test_the_same_bytes_are_not_stored_twice(lake, mirror):
    settings = settings_for(lake, mirror, conditional_requests=False)
    collect(settings, [DAY], sources=["newsler"])
    collect(settings, [DAY], sources=["newsler"], refresh=True)
    assert len(fetches(lake, DAY, "newsler")) == 16  # every response has its record
    assert len(lake.files(f"pages/date={DAY}/newsler/bodies/")) == 8  # the pages once


def test_a_failed_response_is_archived_too(lake, mirror):
    mirror.faults.set("74ru", status=500)
    report = collect(settings_for(lake, mirror), [DAY], sources=["74ru"]).reports[0]
    assert report.status == "failed"
    (record,) = fetches(lake, DAY, "74ru")
    assert record.status == 500 and not record.usable


def test_reparse_rebuilds_the_raw_data_byte_for_byte_offline(lake, mirror, monkeypatch):
    settings = settings_for(lake, mirror)
    collect(settings, DAYS)
    mirror.faults.set("newsler", status=500, times=2)  # a partial rerun, merged
    collect(settings, [DAYS[0]], sources=["newsler"], refresh=True)
    collect(settings, [DAYS[1]], sources=["rambler"], refresh=True)  # a clean rerun
    collected = raw_files(lake)
    assert len(collected) == 7 * len(DAYS)
    shutil.rmtree(Path(lake.root) / "raw")
    no_network(monkeypatch)

    reports = reparse(lake)

    assert raw_files(lake) == collected
    assert {report.result for report in reports if report.result != "no pages"} == {"new"}
    again = reparse(lake)  # nothing to change now
    assert {report.result for report in again if report.result != "no pages"} == {"unchanged"}
    assert raw_files(lake) == collected


def _fixed_rambler_parse(original):
    """An adapter fix: the redesigned rambler page keeps its text in a JSON state blob."""

    def parse(self, page):
        from selectolax.lexbor import LexborHTMLParser

        node = LexborHTMLParser(page.body).css_first("script#__NEXT_DATA__")
        if node is None:
            return original(self, page)
        state = json.loads(node.text())["props"]["pageProps"]["horoscope"]
        from horogen.collect.base import ParsedPage

        day = dt.date.fromisoformat(state["date"])
        return ParsedPage(records=[self.record(page, page.request.sign, state["text"], day=day)])

    return parse


def test_an_adapter_fix_reaches_the_days_collected_before_it(lake, mirror, monkeypatch):
    mirror.faults.set("rambler", layout="changed")
    report = collect(settings_for(lake, mirror), [DAY], sources=["rambler"]).reports[0]
    assert report.status == "failed" and report.quarantined == 12
    assert not lake.exists(raw_path(DAY, "rambler"))
    mirror.faults.clear()

    monkeypatch.setattr(Rambler, "parse", _fixed_rambler_parse(Rambler.parse))
    no_network(monkeypatch)
    (result,) = reparse(lake, [DAY], ["rambler"])

    assert result.result == "new" and result.records == 12 and len(result.added) == 12
    assert result.quarantined == 0
    assert lake.files(f"quarantine/date={DAY}/rambler") == []  # cleared by the fix
    records = raw.from_csv(lake.read_bytes(raw_path(DAY, "rambler")))
    assert len(records) == 12 and all(record.text for record in records)
    fetched = {record.name: record.fetched_at for record in fetches(lake, DAY, "rambler")}
    assert {record.collected_at for record in records} <= set(fetched.values())
    saved = lake.read_json(f"reports/reparse/date={DAY}/rambler.json")
    assert saved["result"] == "new" and len(saved["added"]) == 12


def test_an_s3_lake(mirror, s3_endpoint, s3_bucket):
    settings = load_settings(
        lake=f"s3://{s3_bucket}/archive",
        s3={"endpoint_url": s3_endpoint, "region": "us-east-1"},
        collect={"mirror": mirror.url},
    )
    lake = settings.open_lake()
    collect(settings, [DAY], sources=["ignio", "retrofm"])
    collected = {source: lake.read_bytes(raw_path(DAY, source)) for source in ("ignio", "retrofm")}
    assert len(lake.files(f"pages/date={DAY}/ignio/bodies/")) == 8
    for source in collected:
        lake.delete(raw_path(DAY, source))
    reparse(lake, [DAY], ["ignio", "retrofm"])
    assert {source: lake.read_bytes(raw_path(DAY, source)) for source in collected} == collected


def test_cli_reparse_prints_what_changed_per_source_and_day(lake, mirror):
    collect(settings_for(lake, mirror), [DAY], sources=["retrofm", "74ru"])
    done = horogen("reparse", "--date", str(DAY), "-s", "retrofm", "--lake", lake.uri)
    assert done.returncode == 0, done.stderr
    assert "retrofm" in done.stdout and "unchanged" in done.stdout and "74ru" not in done.stdout
    assert "1 source-days reparsed, 0 rewritten" in done.stdout

    empty = horogen("reparse", "--date", "2020-01-01", "--lake", lake.uri)
    assert empty.returncode == 4 and "no archived pages" in empty.stderr
