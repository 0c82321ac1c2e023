"""Parity: polars and Spark on the same 10,000+ raw rows give the same rows and reports.

The rows are generated to hit every rule and edge case (Unicode spaces, emoji, Latin,
mixed scripts, digits, 299/300/500/501 characters after cleaning, duplicates across
sources, quotes/commas/line breaks in CSV fields, empty texts, unknown signs) and include
malformed records of every kind.
"""

from __future__ import annotations

import datetime as dt

import pytest
from processing_support import spark  # noqa: F401  (fixture)

from horogen.config import Settings, load_settings
from horogen.lake import Lake
from horogen.layout import processed_path
from horogen.process import rawcsv, run, synthetic
from horogen.process.run import read_processed, read_report

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

DAYS = [dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25)]


def process_days(settings: Settings, *args: object, **options: object) -> list[run.ProcessReport]:
    """The processing stage on the lake and ``[process]`` section of ``settings``."""
    return run.process_days(settings.open_lake(), settings.process, *args, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def raw_files() -> dict[str, bytes]:
    return synthetic.corrupt(synthetic.generate(DAYS, 3600, sources=8, seed=42))


def test_the_data_is_large_and_hits_every_rule(raw_files: dict[str, bytes]) -> None:
    rows = sum(
        rawcsv.parse_reference(data, rawcsv.RawFile(path, rawcsv.day_of(path), 0)).records
        for path, data in raw_files.items()
    )
    assert rows >= 10_000


@pytest.mark.parametrize(
    "process",
    [
        {},
        {"keep_latin": True, "min_length": 150, "max_length": 450},
        {"keep_digits": False},
    ],
    ids=["default", "latin-bounds", "original-no-digits"],
)
def test_polars_and_spark_write_the_same_rows_and_reports(
    spark,  # noqa: F811
    tmp_path,
    raw_files: dict[str, bytes],
    process: dict,
) -> None:
    lakes = {}
    reports = {}
    for engine in ("polars", "spark"):
        lake = Lake(str(tmp_path / engine))
        synthetic.write(lake, raw_files)
        settings = load_settings(lake=lake.uri, process=process or None)
        reports[engine] = process_days(settings, DAYS, engine)
        lakes[engine] = lake

    for polars_report, spark_report in zip(reports["polars"], reports["spark"], strict=True):
        assert polars_report.comparable() == spark_report.comparable()
        assert (polars_report.engine, spark_report.engine) == ("polars", "spark")
    for rule in polars_report.dropped:  # every rule dropped something
        assert sum(report.dropped[rule] for report in reports["polars"]) > 0, rule
    for day in DAYS:
        polars_rows = read_processed(lakes["polars"], day)
        spark_rows = read_processed(lakes["spark"], day)
        assert polars_rows.equals(spark_rows)
        assert polars_rows.num_rows == read_report(lakes["spark"], day).rows_out > 500
        # the files themselves are the same bytes: one writer, the same rows in the same order
        assert lakes["polars"].read_bytes(processed_path(day)) == lakes["spark"].read_bytes(
            processed_path(day)
        )
