"""Collection as it runs against the real sites: no ``mirror`` setting, so pages are asked
for without ``?date=`` and a site serves its own today only. The mirror poses as the seven
live sites (``base_urls`` points each source at it) with a today of its own."""

from __future__ import annotations

import datetime as dt

import pytest

from horogen import raw
from horogen.collect import run
from horogen.collect.run import CollectionResult, site_today
from horogen.collect.settings import CollectSettings
from horogen.config import Settings, load_settings
from horogen.lake import Lake
from horogen.layout import raw_path
from horogen.mirror.run import MirrorServer
from horogen.mirror.texts import horoscope_text
from horogen.schema import Category
from horogen.signs import Sign

SOURCES = ("74ru", "retrofm", "newsler", "astroscope", "rambler", "mailru", "ignio")
#: The sites' today, as the collector computes it: the mirror is started with the same day.
TODAY = site_today(CollectSettings())
TODAY_ONLY = ("74ru", "retrofm", "newsler", "astroscope")


def collect(settings: Settings, days: list[dt.date], **options: object) -> CollectionResult:
    """Fetch ``days`` again whatever an earlier run collected."""
    return run.collect(settings.open_lake(), settings.collect, days, refresh=True, **options)  # type: ignore[arg-type]


def texts(source: str, sign: Sign, category: Category, day: dt.date) -> str:
    """The mirror's texts without its occasional empty item."""
    return horoscope_text(source, sign, category, day) or f"Запасной текст для {sign.ru}."


@pytest.fixture(scope="module")
def live():
    with MirrorServer(today=TODAY, texts=texts) as server:
        yield server


@pytest.fixture
def mirror(live):
    live.faults.clear()
    live.log.clear()
    yield live
    live.faults.clear()


def settings_for(lake: Lake, mirror: MirrorServer, **base_urls: str) -> Settings:
    urls = {source: f"{mirror.url}/{source}" for source in SOURCES} | base_urls
    fast = {"retries": 1, "backoff_base": 0.01, "backoff_max": 0.05, "read_timeout": 5.0}
    return load_settings(lake=lake.uri, collect={"base_urls": urls, **fast})


def test_today_comes_from_every_site_at_its_base_url(lake, mirror):
    result = collect(settings_for(lake, mirror), [TODAY])

    assert {r.source: r.status for r in result.reports} == dict.fromkeys(SOURCES, "ok")
    assert result.outcome(0.5) == "ok"
    assert {entry.date for entry in mirror.log.entries} == {None}  # no ?date=: the site's day
    for source in SOURCES:
        records = raw.from_csv(lake.read_bytes(raw_path(TODAY, source)))
        assert {r.date for r in records} == {TODAY}
        assert all(r.url.startswith(f"{mirror.url}/{source}/") for r in records), source


def test_a_day_a_site_cannot_serve_is_skipped_with_the_reason(lake, mirror):
    yesterday = TODAY - dt.timedelta(days=1)
    result = collect(settings_for(lake, mirror), [yesterday])

    statuses = {r.source: r.status for r in result.reports}
    assert statuses == dict.fromkeys(TODAY_ONLY, "skipped") | dict.fromkeys(
        ("rambler", "mailru", "ignio"), "ok"
    )
    skipped = next(r for r in result.reports if r.source == "74ru")
    assert skipped.problems == [
        f"74ru serves today only on the real web; {yesterday} is not among them"
    ]
    assert mirror.log.count("74ru") == 0
    paths = {entry.path for entry in mirror.log.entries}
    assert "prediction/aries/yesterday/" in paths  # mail.ru's page for yesterday
    assert f"aries/{yesterday}/" in paths  # rambler's archive
    assert result.failed_share == 0 and result.outcome(0.5) == "ok"


def test_a_day_no_site_serves_counts_as_failed(lake, mirror):
    settings = settings_for(lake, mirror)
    long_ago = TODAY - dt.timedelta(days=5)
    alone = collect(settings, [long_ago], sources=["74ru", "mailru"])
    assert [r.status for r in alone.reports] == ["skipped", "skipped"]
    assert alone.unserved_days == [long_ago]
    assert alone.failed_share == 1.0 and alone.outcome(0.5) == "failed"

    # With today beside it: 2 of the 4 source-days count as failed.
    both = collect(settings, [long_ago, TODAY], sources=["74ru", "mailru"])
    assert both.failed_share == 0.5
    assert both.outcome(0.5) == "failed" and both.outcome(0.75) == "partial"
    assert lake.partitions("raw") == [TODAY]


def test_a_page_for_another_day_is_quarantined_with_the_reason(lake, mirror):
    stale = ["74ru", "mailru", "newsler", "astroscope"]  # each page states its date
    for source in stale:
        mirror.faults.set(source, lag=1)  # not updated: yesterday's pages
    result = collect(settings_for(lake, mirror), [TODAY], sources=stale)

    yesterday = TODAY - dt.timedelta(days=1)
    for report in result.reports:
        assert (report.status, report.records) == ("failed", 0), report.source
    quarantined = {report.source: report.quarantined for report in result.reports}
    assert quarantined == {"74ru": 1, "mailru": 12, "newsler": 8, "astroscope": 12}
    reason = f"page is for {yesterday}, asked for {TODAY}"
    assert lake.read_json(f"quarantine/date={TODAY}/74ru/daily.json")["reasons"] == [reason]
    saved = lake.read_json(f"quarantine/date={TODAY}/mailru/leo.json")
    assert saved["reasons"] == [reason] and saved["sign"] == Sign.LEO
    assert not lake.exists(raw_path(TODAY, "74ru"))


def test_redirects_are_followed_to_the_page_that_answers(lake, mirror):
    moved = f"{mirror.url}/_redirect/rambler"  # every page of this base URL answers 301
    settings = settings_for(lake, mirror, rambler=moved)
    report = collect(settings, [TODAY], sources=["rambler"]).reports[0]

    assert (report.status, report.records) == ("ok", 12)
    records = raw.from_csv(lake.read_bytes(raw_path(TODAY, "rambler")))
    assert {r.url for r in records} == {f"{mirror.url}/rambler/{sign.value}/" for sign in Sign}
