import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest

from horogen.errors import LakeError
from horogen.lake import Lake
from horogen.layout import processed_path, quarantine_path, raw_path

DAY = dt.date(2026, 11, 25)


def test_paths_follow_the_documented_layout() -> None:
    assert raw_path(DAY, "74ru") == "raw/date=2026-11-25/74ru.csv"
    assert (
        quarantine_path(DAY, "ignio", "love", "xml") == "quarantine/date=2026-11-25/ignio/love.xml"
    )
    assert processed_path(DAY) == "processed/date=2026-11-25/part-0.parquet"


def test_write_replaces_whole_file_and_leaves_no_temporaries(lake: Lake) -> None:
    lake.write_bytes("raw/date=2026-11-25/a.csv", b"first version, longer than the second")
    lake.write_bytes("raw/date=2026-11-25/a.csv", b"second")
    assert lake.read_bytes("raw/date=2026-11-25/a.csv") == b"second"
    assert os.listdir(os.path.join(lake.root, "raw", "date=2026-11-25")) == ["a.csv"]


def test_partitions_and_files(lake: Lake) -> None:
    for day in ("2026-11-24", "2026-11-22"):
        lake.write_bytes(f"raw/date={day}/x.csv", b"x")
    lake.write_bytes("raw/notes.txt", b"not a partition")
    assert lake.partitions("raw") == [dt.date(2026, 11, 22), dt.date(2026, 11, 24)]
    assert lake.files("raw/date=2026-11-22") == ["raw/date=2026-11-22/x.csv"]
    assert lake.partitions("processed") == []


def test_reading_a_missing_file_names_it(lake: Lake) -> None:
    with pytest.raises(LakeError, match=r"raw/date=2026-11-25/none\.csv does not exist"):
        lake.read_bytes("raw/date=2026-11-25/none.csv")


def test_json_round_trip_keeps_cyrillic(lake: Lake) -> None:
    lake.write_json("reports/x.json", {"text": "Овен"})
    assert "Овен" in lake.read_bytes("reports/x.json").decode()
    assert lake.read_json("reports/x.json") == {"text": "Овен"}


_SLOW_WRITER = """
import sys
from horogen.lake import Lake
Lake(sys.argv[1]).write_bytes("raw/date=2026-11-25/a.csv", b"n" * 400_000_000)
"""


def test_a_killed_write_leaves_the_previous_file_intact(lake: Lake) -> None:
    path = "raw/date=2026-11-25/a.csv"
    lake.write_bytes(path, b"complete old version")
    folder = os.path.join(lake.root, "raw", "date=2026-11-25")
    writer = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, lake.uri])
    deadline = time.monotonic() + 30
    while not any(name.endswith(".tmp") for name in os.listdir(folder)):
        assert writer.poll() is None, "the writer finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert lake.read_bytes(path) == b"complete old version"
    assert lake.files("raw") == [path]  # the orphaned temporary is hidden from readers


def test_temporaries_orphaned_long_ago_are_removed_on_the_next_write(lake: Lake) -> None:
    path = "raw/date=2026-11-25/a.csv"
    lake.write_bytes(path, b"v1")
    folder = os.path.join(lake.root, "raw", "date=2026-11-25")
    old, recent = (os.path.join(folder, f".a.csv.{tag}.tmp") for tag in ("old", "recent"))
    for orphan in (old, recent):
        with open(orphan, "wb") as handle:
            handle.write(b"half")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    lake.write_bytes(path, b"v2")
    assert sorted(os.listdir(folder)) == [".a.csv.recent.tmp", "a.csv"]  # may be a live writer
