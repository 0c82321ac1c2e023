"""Processing a lake with the polars engine: outputs, reports, idempotence, bad rows."""

from __future__ import annotations

import datetime as dt
import json
import os
import random

import pyarrow.parquet as pq
import pytest
from processing_support import assert_same_results
from typer.testing import CliRunner

import horogen.cli.process  # noqa: F401  (registers `horogen process`)
from horogen.cli.app import app
from horogen.config import Settings, load_settings
from horogen.errors import DataError
from horogen.lake import Lake
from horogen.layout import processed_path
from horogen.layout import processed_report_path as report_path
from horogen.process import local, rawcsv, reference, rules, run, synthetic
from horogen.process.run import read_processed, read_report
from horogen.schema import PROCESSED_SCHEMA, RAW_COLUMNS

DAYS = [dt.date(2026, 11, 24), dt.date(2026, 11, 25)]
HEADER = ",".join(RAW_COLUMNS) + "\n"


def process_days(settings: Settings, *args: object, **options: object) -> list[run.ProcessReport]:
    """The processing stage on the lake and ``[process]`` section of ``settings``."""
    return run.process_days(settings.open_lake(), settings.process, *args, **options)  # type: ignore[arg-type]


@pytest.fixture
def filled(lake: Lake) -> Lake:
    synthetic.write(lake, synthetic.corrupt(synthetic.generate(DAYS, 1500, seed=3)))
    return lake


def settings_for(lake: Lake, **process: object):  # type: ignore[no-untyped-def]
    return load_settings(lake=lake.uri, process=process or None)


def test_polars_agrees_with_the_plain_python_reference(filled: Lake) -> None:
    files = run.raw_files(filled, DAYS)
    for settings in (
        rules.ProcessSettings(),
        rules.ProcessSettings(keep_latin=True, min_length=100, max_length=600),
        rules.ProcessSettings(keep_digits=False),
    ):
        assert_same_results(
            local.process(filled, files, settings), reference.process(filled, files, settings)
        )


def test_process_days_writes_partitions_and_reports(filled: Lake) -> None:
    reports = process_days(settings_for(filled), DAYS, "polars")
    assert [report.date for report in reports] == DAYS
    for report in reports:
        table = read_processed(filled, report.date)
        assert table.schema.equals(PROCESSED_SCHEMA)
        assert table.num_rows == report.rows_out > 0
        assert table == run.sort_output(table)
        assert sum(report.dropped.values()) + report.rows_out == report.rows_in
        assert set(report.dropped) == set(rules.DROP_RULES)
        assert report.engine == "polars"
        assert report.expectations[0] == "schema"
        assert report.output == processed_path(report.date)
        assert read_report(filled, report.date) == report
        on_disk = json.loads(filled.read_bytes(report_path(report.date)))
        assert on_disk["dropped"] == report.dropped
        assert all(count > 0 for count in report.dropped.values())
    assert filled.files("processed") == sorted(
        [processed_path(day) for day in DAYS] + [report_path(day) for day in DAYS]
    )


def test_processing_twice_writes_the_same_rows(filled: Lake) -> None:
    settings = settings_for(filled)
    process_days(settings, DAYS, "polars")
    first = {day: filled.read_bytes(processed_path(day)) for day in DAYS}
    reports = process_days(settings, DAYS, "polars")
    assert {day: filled.read_bytes(processed_path(day)) for day in DAYS} == first
    assert [report.comparable() for report in reports] == [
        read_report(filled, day).comparable() for day in DAYS
    ]


def test_malformed_rows_are_reported_with_file_and_line(lake: Lake) -> None:
    day = DAYS[0]
    good = synthetic.generate([day], 60, sources=1, seed=9)
    path, data = next(iter(good.items()))
    text = data.decode()
    lines = text.split("\n")
    bad_rows = (
        f"{day},leo,general,site01,Текст,https://x,вчера\n"
        f"{day},leo,general\n"
        f'{day},leo,general,"site01"x,Текст,https://x,{day}T06:00:00Z\n'
    )
    lake.write_bytes(path, (lines[0] + "\n" + bad_rows + "\n".join(lines[1:])).encode())
    (report,) = process_days(settings_for(lake), [day], "polars")
    assert [(item.file, item.line) for item in report.malformed] == [
        (path, 2),
        (path, 3),
        (path, 4),
    ]
    assert "bad collected_at" in report.malformed[0].reason
    assert "3 fields" in report.malformed[1].reason
    assert "broken quoting" in report.malformed[2].reason
    assert report.dropped["malformed"] == 3
    readable = rawcsv.parse_reference(data, rawcsv.RawFile(path, day, len(data))).rows
    assert report.rows_in == len(readable) + 3  # every row accounted for


def test_multi_line_texts_with_quotes_survive(lake: Lake) -> None:
    day = DAYS[0]
    body = synthetic.base_text(random.Random(1), 400)
    text = f'"{body[:100]}" — сказал,\n{body[100:]}'
    row = (
        f'{day},leo,general,site,"{text.replace(chr(34), chr(34) * 2)}",https://x,{day}T06:00:00Z\n'
    )
    lake.write_bytes(f"raw/date={day}/site.csv", (HEADER + row).encode())
    (report,) = process_days(settings_for(lake, require_every_sign=True), [day], "polars")
    assert report.malformed == []
    assert read_processed(lake, day).column("text").to_pylist() == [rules.clean_text(text)]


def test_a_missing_day_is_an_error_or_skipped(filled: Lake) -> None:
    settings = settings_for(filled)
    missing = dt.date(2026, 1, 1)
    with pytest.raises(DataError, match="no raw data for 2026-01-01"):
        process_days(settings, [missing], "polars")
    reports = process_days(settings, [missing, *DAYS], "polars", missing="skip")
    assert [report.date for report in reports] == DAYS
    with pytest.raises(DataError, match="none of the 1 day"):
        process_days(settings, [missing], "polars", missing="skip")


def test_no_days_means_every_raw_partition(filled: Lake, tmp_path) -> None:
    assert [report.date for report in process_days(settings_for(filled))] == DAYS
    empty = Lake(str(tmp_path / "empty"))
    with pytest.raises(DataError, match="no raw partitions"):
        process_days(settings_for(empty))


def test_a_failed_expectation_writes_nothing_for_that_day(filled: Lake) -> None:
    settings = settings_for(filled)
    process_days(settings, DAYS, "polars")
    before = filled.read_bytes(processed_path(DAYS[0]))
    # a bound that leaves one sign without texts: the day fails `every_sign`
    strict = settings_for(filled, min_length=1000, max_length=2000)
    with pytest.raises(DataError, match="every_sign"):
        process_days(strict, DAYS[:1], "polars")
    assert filled.read_bytes(processed_path(DAYS[0])) == before


def test_writes_are_atomic(filled: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(filled)
    process_days(settings, DAYS[:1], "polars")
    path = processed_path(DAYS[0])
    before = filled.read_bytes(path)

    def crash(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        process_days(settings_for(filled, min_length=100), DAYS[:1], "polars")
    monkeypatch.undo()
    assert filled.read_bytes(path) == before
    folder = os.path.join(filled.root, f"processed/date={DAYS[0]}")
    assert sorted(os.listdir(folder)) == ["_report.json", "part-0.parquet"]
    assert pq.read_table(os.path.join(folder, "part-0.parquet")).num_rows > 0


def test_s3_lake(s3_endpoint: str, s3_bucket: str) -> None:
    settings = load_settings(
        lake=f"s3://{s3_bucket}/horogen", s3={"endpoint_url": s3_endpoint, "region": "us-east-1"}
    )
    lake = settings.open_lake()
    synthetic.write(lake, synthetic.generate(DAYS[:1], 300, sources=3, seed=5))
    (report,) = process_days(settings, DAYS[:1], "polars")
    assert read_processed(lake, DAYS[0]).num_rows == report.rows_out > 0
    assert read_report(lake, DAYS[0]) == report


def test_cli_prints_the_report_and_malformed_rows(filled: Lake) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["process", "--lake", filled.uri, "--from", "2026-11-23", "--to", "2026-11-25"]
    )
    assert result.exit_code == 0, result.output
    assert "skipped 2026-11-23: no raw partition" in result.stderr
    assert "malformed raw/date=2026-11-24/site01.csv line 2: bad date" in result.stderr
    assert "more malformed rows for 2026-11-25" in result.stderr  # the bad-header file
    assert "2026-11-24" in result.stdout and "out" in result.stdout
    assert filled.exists(processed_path(DAYS[1]))

    result = runner.invoke(app, ["process", "--lake", filled.uri, "--date", "2026-11-23"])
    assert result.exit_code != 0
    assert isinstance(result.exception, DataError)
