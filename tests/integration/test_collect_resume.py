"""A year-long backfill killed at random moments: nothing already written is lost, and each
rerun fetches again at most the days that were in flight when it was killed."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import time
from collections import defaultdict

import pytest

from cli_support import executable
from horogen import raw
from horogen.collect.reparse import reparse
from horogen.layout import raw_path, report_path
from horogen.mirror.run import MirrorServer

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
SOURCES = ("74ru", "retrofm")
PARALLEL_DAYS = 4
MAX_KILLS = 4
pytestmark = pytest.mark.slow


def reported(lake, source: str) -> dict[dt.date, str]:
    """The status of each day of ``source`` with a saved report; an ok day's partition must
    be whole and parseable."""
    statuses = {}
    for day in lake.partitions("reports/collect"):
        path = report_path("collect", day, source)
        if lake.exists(path):
            statuses[day] = lake.read_json(path)["status"]
            if statuses[day] == "ok":
                assert raw.from_csv(lake.read_bytes(raw_path(day, source)))
    return statuses


def ok_days(lake, source: str) -> set[dt.date]:
    return {day for day, status in reported(lake, source).items() if status == "ok"}


def asked(mirror: MirrorServer) -> dict[str, set[dt.date]]:
    days: dict[str, set[dt.date]] = defaultdict(set)
    for entry in mirror.log.entries:
        days[entry.source].add(dt.date.fromisoformat(entry.date))
    return days


def backfill(mirror: MirrorServer, lake) -> subprocess.Popen:
    command = [
        executable(), "collect", "--from", str(START), "--to", str(END),
        *(arg for source in SOURCES for arg in ("-s", source)),
        "--mirror", mirror.url, "--lake", lake.uri,
    ]  # fmt: skip
    env_settings = {"HOROGEN_COLLECT__PARALLEL_DAYS": str(PARALLEL_DAYS)}
    return subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env_settings},
    )


def test_a_year_killed_at_random_moments_loses_nothing_and_refetches_only_days_in_flight(
    lake,
):
    chance = random.Random(18)
    with MirrorServer() as mirror:
        done: dict[str, set[dt.date]] = {source: set() for source in SOURCES}
        not_ok: dict[str, set[dt.date]] = {source: set() for source in SOURCES}
        ever_asked: dict[str, set[dt.date]] = {source: set() for source in SOURCES}
        in_flight: dict[str, set[dt.date]] = {source: set() for source in SOURCES}
        kills = 0
        while True:
            mirror.log.clear()
            process = backfill(mirror, lake)
            deadline = time.monotonic() + chance.uniform(2.0, 6.0)
            while process.poll() is None and (kills >= MAX_KILLS or time.monotonic() < deadline):
                time.sleep(0.05)
            finished = process.poll() is not None
            if not finished:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait()
            now_asked = asked(mirror)
            for source in SOURCES:
                # nothing written is lost: what was done stays done, and is not asked again
                assert done[source] <= ok_days(lake, source)
                assert not now_asked[source] & done[source]
                # a day asked before is asked again only if it was in flight when the run
                # before was killed, or that run ended it partial (an empty item): retried
                again = now_asked[source] & ever_asked[source]
                assert again <= in_flight[source] | not_ok[source], (source, sorted(again))
                statuses = reported(lake, source)
                done[source] = {day for day, status in statuses.items() if status == "ok"}
                not_ok[source] = set(statuses) - done[source]
                ever_asked[source] |= now_asked[source]
                in_flight[source] = ever_asked[source] - set(statuses)
                assert len(in_flight[source]) <= PARALLEL_DAYS, (source, in_flight[source])
            if finished:
                assert process.returncode in (0, 5)  # 5: a day partial (an empty item)
                break

    assert kills >= 2
    days = {START + dt.timedelta(days=n) for n in range((END - START).days + 1)}
    for source in SOURCES:
        assert set(reported(lake, source)) == days
    # what was written is what the archive replays to, byte for byte
    results = {report.result for report in reparse(lake, sorted(days), list(SOURCES))}
    assert results == {"unchanged"}
