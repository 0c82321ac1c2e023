"""Collection over real HTTP against the mirror on 127.0.0.1, with faults injected."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from cli_support import horogen, one_error_line
from horogen import raw
from horogen.collect import run
from horogen.collect.run import CollectionResult
from horogen.collect.sites import SOURCES
from horogen.config import Settings, load_settings
from horogen.lake import Lake
from horogen.layout import raw_path
from horogen.mirror.run import MirrorServer
from horogen.mirror.texts import horoscope_text
from horogen.schema import Category
from horogen.signs import Sign

DAY = dt.date(2026, 3, 14)
EXPECTED_RECORDS = {
    "74ru": 12,
    "retrofm": 12,
    "newsler": 96,
    "astroscope": 12,
    "rambler": 12,
    "mailru": 12,
    "ignio": 96,
}
FIXTURES = Path(__file__).parents[1] / "fixtures" / "sites"
HELD_WRITE = Path(__file__).with_name("held_write.py")


def collect(settings: Settings, days: list[dt.date], **options: object) -> CollectionResult:
    """Fetch ``days`` again whatever an earlier run collected: these tests are about what
    fetching does (what a rerun keeps is the pipeline's test)."""
    return run.collect(settings.open_lake(), settings.collect, days, refresh=True, **options)  # type: ignore[arg-type]


class Texts:
    """The mirror's generator, with empty items only where a test asks for them, and a
    prefix a test may put before every text."""

    def __init__(self) -> None:
        self.empty: set[tuple[str, Sign]] = set()
        self.prefix = ""

    def __call__(self, source: str, sign: Sign, category: Category, day: dt.date) -> str:
        if (source, sign) in self.empty:
            return ""
        text = horoscope_text(source, sign, category, day) or f"Запасной текст для {sign.ru}."
        return self.prefix + text


TEXTS = Texts()


@pytest.fixture(scope="module")
def mirror():
    with MirrorServer(texts=TEXTS) as server:
        yield server


@pytest.fixture(autouse=True)
def no_faults(mirror):
    mirror.faults.clear()
    mirror.log.clear()
    TEXTS.empty.clear()
    TEXTS.prefix = ""
    yield
    mirror.faults.clear()


def settings_for(lake: Lake, mirror: MirrorServer, **collect: object) -> Settings:
    fast = {"retries": 2, "backoff_base": 0.01, "backoff_max": 0.05, "read_timeout": 2.0}
    return load_settings(lake=lake.uri, collect={"mirror": mirror.url, **fast, **collect})


def rows(lake: Lake, source: str, day: dt.date = DAY) -> list[dict[str, object]]:
    """The partition's rows without ``collected_at``, which differs between runs."""
    return [
        record.model_dump(exclude={"collected_at"})
        for record in raw.from_csv(lake.read_bytes(raw_path(day, source)))
    ]


def test_a_day_from_every_source(lake, mirror):
    result = collect(settings_for(lake, mirror), [DAY])

    assert {r.source: r.status for r in result.reports} == dict.fromkeys(EXPECTED_RECORDS, "ok")
    for source, count in EXPECTED_RECORDS.items():
        records = raw.from_csv(lake.read_bytes(raw_path(DAY, source)))
        assert len(records) == count, source
        assert {r.date for r in records} == {DAY}
        assert {r.source for r in records} == {source}
        assert len({r.sign for r in records}) == 12
        real_site = SOURCES[source].default_base_url
        assert all(r.url.startswith(f"{real_site}/") for r in records), records[0].url
        report = lake.read_json(f"reports/collect/date={DAY}/{source}.json")
        assert report["records"] == count and report["status"] == "ok"
    categories = Counter(r.category for r in raw.from_csv(lake.read_bytes(raw_path(DAY, "ignio"))))
    assert len(categories) == 8 and set(categories.values()) == {12}


def test_collecting_a_day_twice_gives_the_same_rows(lake, mirror):
    settings = settings_for(lake, mirror)
    collect(settings, [DAY])
    first = {source: rows(lake, source) for source in EXPECTED_RECORDS}
    collect(settings, [DAY])
    assert {source: rows(lake, source) for source in EXPECTED_RECORDS} == first
    assert lake.files(f"raw/date={DAY}") == sorted(
        raw_path(DAY, source) for source in EXPECTED_RECORDS
    )


def test_a_clean_rerun_clears_the_quarantine_of_an_earlier_run(lake, mirror):
    settings = settings_for(lake, mirror)
    mirror.faults.set("retrofm", layout="changed")
    assert collect(settings, [DAY], sources=["retrofm"]).reports[0].quarantined == 1
    assert lake.files(f"quarantine/date={DAY}/retrofm")

    mirror.faults.clear()
    assert collect(settings, [DAY], sources=["retrofm"]).reports[0].status == "ok"
    assert lake.files(f"quarantine/date={DAY}/retrofm") == []
    assert len(rows(lake, "retrofm")) == 12


def test_an_empty_text_is_quarantined_and_the_rest_kept(lake, mirror):
    TEXTS.empty.add(("74ru", Sign.LEO))
    TEXTS.empty.add(("rambler", Sign.LEO))
    result = collect(settings_for(lake, mirror), [DAY], sources=["74ru", "rambler"])

    for report in result.reports:
        assert report.status == "partial" and report.records == 11 and report.quarantined == 1
        assert Sign.LEO not in {row["sign"] for row in rows(lake, report.source)}
    reason = lake.read_json(f"quarantine/date={DAY}/74ru/daily.json")
    assert reason["reasons"] == ["leo/general: empty text"]
    assert lake.exists(f"quarantine/date={DAY}/rambler/leo.html")


def test_an_adapter_crash_is_quarantined_and_the_run_goes_on(lake, mirror, monkeypatch):
    def broken(self, page):
        raise KeyError("IGRa5")

    monkeypatch.setattr(SOURCES["74ru"], "parse", broken)
    result = collect(settings_for(lake, mirror), [DAY], sources=["74ru", "retrofm"])

    by_source = {r.source: r for r in result.reports}
    assert by_source["74ru"].status == "failed" and by_source["74ru"].quarantined == 1
    assert lake.read_json(f"quarantine/date={DAY}/74ru/daily.json")["reasons"] == [
        "KeyError: 'IGRa5'"
    ]
    assert by_source["retrofm"].status == "ok"
    assert lake.exists(f"reports/collect/date={DAY}/74ru.json")


def test_a_dead_site_fails_alone_and_keeps_what_the_lake_had(lake, mirror):
    settings = settings_for(lake, mirror)
    collect(settings, [DAY], sources=["74ru"])
    before = lake.read_bytes(raw_path(DAY, "74ru"))
    mirror.log.clear()

    mirror.faults.set("74ru", status=500)
    result = collect(settings, [DAY])

    by_source = {r.source: r for r in result.reports}
    assert by_source["74ru"].status == "failed"
    assert by_source["74ru"].written == "kept"
    assert "HTTP 500" in by_source["74ru"].errors[0]
    assert mirror.log.count("74ru") == 1 + settings.collect.retries
    assert all(r.status == "ok" for name, r in by_source.items() if name != "74ru")
    assert lake.read_bytes(raw_path(DAY, "74ru")) == before
    assert result.succeeded(settings.collect.failure_threshold)  # 1 of 7 failed


def test_transient_errors_are_retried(lake, mirror):
    mirror.faults.set("mailru", status=503, times=2)
    mirror.faults.set("retrofm", status=429, times=1, retry_after=0.05)
    result = collect(settings_for(lake, mirror), [DAY], sources=["mailru", "retrofm"])
    assert {r.source: r.status for r in result.reports} == {"mailru": "ok", "retrofm": "ok"}
    assert mirror.log.count("mailru", status=503) == 2
    assert mirror.log.count("retrofm", status=429) == 1
    assert len(rows(lake, "mailru")) == 12


def in_background(function, *args, **kwargs) -> Future:
    """Run ``function`` in a thread; the test waits on what it writes, not on the clock."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(function, *args, **kwargs)
    pool.shutdown(wait=False)
    return future


def wait_for(condition, future: Future) -> None:
    """Until ``condition()`` holds; fails if the work ends first (or after a minute)."""
    deadline = time.monotonic() + 60
    while not condition():
        assert not future.done(), future.result()
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def hanging(mirror: MirrorServer, source: str) -> int:
    """Requests to ``source`` the mirror holds unanswered right now."""
    return sum(1 for e in mirror.log.entries if e.source == source and e.status is None)


def test_a_hanging_site_does_not_hold_up_the_others(lake, mirror):
    mirror.faults.set("ignio", hang=True)
    settings = settings_for(lake, mirror, read_timeout=60, retries=0)
    future = in_background(collect, settings, [DAY], sources=["ignio", "74ru", "retrofm"])

    reports = [f"reports/collect/date={DAY}/{source}.json" for source in ("74ru", "retrofm")]
    wait_for(lambda: all(lake.exists(report) for report in reports), future)
    assert hanging(mirror, "ignio") > 0  # the others finished while ignio's pages hang
    assert not lake.exists(f"reports/collect/date={DAY}/ignio.json")

    mirror.faults.clear("ignio")  # the hanging requests are answered now
    by_source = {r.source: r for r in future.result(timeout=60).reports}
    assert {source: r.status for source, r in by_source.items()} == dict.fromkeys(
        ("ignio", "74ru", "retrofm"), "ok"
    )


def test_a_dead_site_does_not_slow_the_others_backfill(lake, mirror):
    mirror.faults.set("ignio", hang=True)
    settings = settings_for(lake, mirror, read_timeout=60, retries=0, give_up_after=0)
    days = [DAY + dt.timedelta(days=offset) for offset in range(6)]
    finished: list[dt.date] = []
    future = in_background(
        collect, settings, days, sources=["ignio", "74ru"], on_day_done=finished.append
    )

    wait_for(lambda: all(lake.exists(raw_path(day, "74ru")) for day in days), future)
    assert hanging(mirror, "ignio") > 0 and finished == []  # no day is done without ignio

    mirror.faults.clear("ignio")
    result = future.result(timeout=60)
    assert [r.status for r in result.reports if r.source == "74ru"] == ["ok"] * 6
    assert sorted(finished) == days  # every day reported done once both sources finished


def test_a_dead_site_costs_one_requests_retries_and_the_rest_is_not_attempted(lake, mirror):
    mirror.faults.set("ignio", hang=True)
    settings = settings_for(
        lake, mirror, read_timeout=0.3, retries=1, concurrency_per_site=1, breaker_threshold=1
    )
    days = [DAY + dt.timedelta(days=offset) for offset in range(3)]
    result = collect(settings, days, sources=["ignio", "74ru"])

    assert mirror.log.count("ignio") == 2  # one page: its first attempt and one retry
    ignio = [r for r in result.reports if r.source == "ignio"]
    assert [r.status for r in ignio] == ["failed"] * 3
    assert [r.not_attempted for r in ignio] == [7, 8, 8]  # eight feeds a day
    assert "timed out" in ignio[0].errors[0]
    assert ignio[1].errors == [
        "8 page(s) not attempted: ignio failed 1 request(s) in a row (last: timed out "
        f"(ReadTimeout) on {mirror.url}/ignio/r/export/utf/xml/daily/com.xml?date={DAY}); "
        "not asked again in this run"
    ]
    assert lake.read_json(f"reports/collect/date={days[2]}/ignio.json")["not_attempted"] == 8
    assert [r.status for r in result.reports if r.source == "74ru"] == ["ok"] * 3


def test_a_site_that_answers_again_is_not_given_up(lake, mirror):
    mirror.faults.set("mailru", status=500, times=2)  # two failed requests, then it answers
    settings = settings_for(lake, mirror, retries=0, concurrency_per_site=1, breaker_threshold=3)
    report = collect(settings, [DAY], sources=["mailru"]).reports[0]
    assert (report.status, report.records, report.not_attempted) == ("partial", 10, 0)
    assert mirror.log.count("mailru") == 12


def test_a_slow_site_is_waited_for(lake, mirror):
    mirror.faults.set("rambler", delay=0.3)
    result = collect(settings_for(lake, mirror), [DAY], sources=["rambler"])
    assert result.reports[0].status == "ok"
    assert result.reports[0].duration_s >= 0.3


def test_a_changed_layout_is_quarantined_with_the_reason(lake, mirror):
    mirror.faults.set("newsler", layout="changed")
    result = collect(settings_for(lake, mirror), [DAY], sources=["newsler"])

    report = result.reports[0]
    assert report.status == "failed" and report.quarantined == 8 and report.records == 0
    assert not lake.exists(raw_path(DAY, "newsler"))
    quarantined = lake.files(f"quarantine/date={DAY}/newsler")
    assert len(quarantined) == 16  # a page and its reason for each of the 8 categories
    reason = lake.read_json(f"quarantine/date={DAY}/newsler/love.json")
    assert reason["url"] == "https://www.newsler.ru/horoscope/love"
    assert reason["fetched_url"] == f"{mirror.url}/newsler/horoscope/love"
    assert reason["reasons"] and "selector" in reason["reasons"][0].lower()
    page = lake.read_bytes(f"quarantine/date={DAY}/newsler/love.html").decode()
    assert "<html" in page.lower()


def test_the_older_layouts_still_parse(lake, mirror):
    for source in ("rambler", "mailru"):
        mirror.faults.set(source, layout="legacy")
    result = collect(settings_for(lake, mirror), [DAY], sources=["rambler", "mailru"])
    assert [r.status for r in result.reports] == ["ok", "ok"]
    assert len(rows(lake, "rambler")) == len(rows(lake, "mailru")) == 12


def test_robots_txt_is_honoured(lake, mirror):
    mirror.faults.set("retrofm", disallow=True)
    result = collect(settings_for(lake, mirror), [DAY], sources=["retrofm"])
    assert result.reports[0].status == "failed"
    assert "robots.txt disallows" in result.reports[0].errors[0]
    assert mirror.log.count("retrofm") == 0


def test_a_partial_failure_is_merged_into_what_the_lake_had(lake, mirror):
    settings = settings_for(lake, mirror, retries=0, breaker_threshold=0)
    collect(settings, [DAY], sources=["newsler"])
    complete = rows(lake, "newsler")

    mirror.faults.set("newsler", status=500, times=3)  # three of the eight pages fail
    report = collect(settings, [DAY], sources=["newsler"]).reports[0]

    assert report.status == "partial" and report.written == "merged"
    assert report.records == 96 - 3 * 12 and len(report.errors) == 3
    assert rows(lake, "newsler") == complete


def test_a_rerun_of_a_partial_day_keeps_unchanged_records_and_takes_changed_ones(lake, mirror):
    settings = settings_for(lake, mirror, retries=0, breaker_threshold=0)
    mirror.faults.set("newsler", status=500, times=1)
    collect(settings, [DAY], sources=["newsler"])
    before = lake.read_bytes(raw_path(DAY, "newsler"))

    mirror.faults.set("newsler", status=500, times=1)  # partial again, same texts
    collect(settings, [DAY], sources=["newsler"])
    assert lake.read_bytes(raw_path(DAY, "newsler")) == before  # collected_at included

    mirror.faults.clear()  # complete this time: the missing page is added, the rest kept
    report = collect(settings, [DAY], sources=["newsler"]).reports[0]
    assert (report.status, report.written) == ("ok", "replaced")
    kept = set(raw.from_csv(before))
    now = raw.from_csv(lake.read_bytes(raw_path(DAY, "newsler")))
    assert len(now) == 96 and kept <= set(now)

    TEXTS.prefix = "Обновлено. "  # the site edited its texts
    mirror.faults.set("newsler", status=500, times=1)
    collect(settings, [DAY], sources=["newsler"])
    texts = [row["text"] for row in rows(lake, "newsler")]
    assert len(texts) == 96  # the page that failed keeps what the lake had
    assert sum(text.startswith("Обновлено. ") for text in texts) == 96 - 12


def test_a_range_collects_every_day(lake, mirror):
    days = [DAY + dt.timedelta(days=offset) for offset in range(3)]
    result = collect(settings_for(lake, mirror), days, sources=["astroscope"])
    assert [r.status for r in result.reports] == ["ok"] * 3
    assert lake.partitions("raw") == days
    texts = [frozenset(row["text"] for row in rows(lake, "astroscope", day)) for day in days]
    assert len(set(texts)) == 3


def test_an_s3_lake(mirror, s3_endpoint, s3_bucket):
    settings = load_settings(
        lake=f"s3://{s3_bucket}/lake",
        s3={"endpoint_url": s3_endpoint, "region": "us-east-1"},
        collect={"mirror": mirror.url},
    )
    result = collect(settings, [DAY], sources=["ignio"])
    assert result.reports[0].status == "ok"
    assert len(rows(settings.open_lake(), "ignio")) == 96


def test_a_collection_killed_while_writing_leaves_the_partition_as_it_was(lake, mirror):
    settings = settings_for(lake, mirror)
    collect(settings, [DAY], sources=["rambler"])
    before = lake.read_bytes(raw_path(DAY, "rambler"))
    folder = Path(lake.root) / "raw" / f"date={DAY}"
    TEXTS.prefix = "Новый выпуск. "  # what this run collects differs from what the lake has

    # --refresh: the day was collected cleanly, so a plain rerun would keep it unfetched.
    command = ["collect", "--date", str(DAY), "-s", "rambler", "--refresh", "--lake", lake.uri]
    process = subprocess.Popen(
        [sys.executable, str(HELD_WRITE), "rambler.csv", *command, "--mirror", mirror.url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(folder.glob(".rambler.csv.*.tmp")):  # the new partition is being written
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()

    assert lake.read_bytes(raw_path(DAY, "rambler")) == before
    assert lake.files(f"raw/date={DAY}") == [raw_path(DAY, "rambler")]  # no half file shows
    collect(settings, [DAY], sources=["rambler"])  # the same run, not killed, replaces it
    assert all(row["text"].startswith("Новый выпуск.") for row in rows(lake, "rambler"))


def test_cli_parse_reads_a_quarantined_page_from_the_lake_with_its_record(lake, mirror):
    TEXTS.empty.add(("newsler", Sign.LEO))
    collect(settings_for(lake, mirror), [DAY], sources=["newsler"])
    saved = lake.read_json(f"quarantine/date={DAY}/newsler/love.json")
    assert saved["url"] == "https://www.newsler.ru/horoscope/love"  # the real site's URL

    done = horogen(
        "parse", "newsler", f"quarantine/date={DAY}/newsler/love.html", "--lake", lake.uri
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 12
    assert {(r["date"], r["category"]) for r in records} == {(str(DAY), "love")}
    assert [r["text"] for r in records if r["sign"] == "leo"] == [""]


def test_cli_parse_of_a_path_that_is_nowhere_names_the_lake(lake):
    done = horogen(
        "parse", "newsler", "quarantine/date=2026-01-01/newsler/x.html", "--lake", lake.uri
    )
    assert done.returncode == 2
    assert "neither a file nor in the lake" in one_error_line(done)
