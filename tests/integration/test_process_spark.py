"""The Spark engine (local[2]): CSV quirks, bad rows, writing through process_days, the job."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from processing_support import assert_same_results, spark  # noqa: F401  (fixture)

from horogen import spark_job
from horogen.config import Settings, load_settings
from horogen.errors import ExitCode
from horogen.lake import Lake
from horogen.layout import processed_path
from horogen.process import reference, rules, run, synthetic
from horogen.process import spark as spark_engine
from horogen.process.run import read_processed, read_report
from horogen.schema import RAW_COLUMNS

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

DAY = dt.date(2026, 11, 25)
HEADER = ",".join(RAW_COLUMNS) + "\n"


def process_days(settings: Settings, *args: object, **options: object) -> list[run.ProcessReport]:
    """The processing stage on the lake and ``[process]`` section of ``settings``."""
    return run.process_days(settings.open_lake(), settings.process, *args, **options)  # type: ignore[arg-type]


def row(text: str, sign: str = "leo", source: str = "site") -> str:
    quoted = '"' + text.replace('"', '""') + '"'
    return f"{DAY},{sign},general,{source},{quoted},https://x.example,{DAY}T06:00:00Z\n"


def test_multi_line_texts_and_doubled_quotes_survive(spark, lake: Lake) -> None:  # noqa: F811
    text = '"Цитата", — сказал он,\nи добавил:\n«ещё»' + " слово" * 60
    lake.write_bytes(f"raw/date={DAY}/site.csv", (HEADER + row(text) * 1 + row("Коротко")).encode())
    files = run.raw_files(lake, [DAY])
    result = spark_engine.process(lake, files, rules.ProcessSettings(), spark=spark)[DAY]
    assert result.malformed == []
    assert result.rows_in == 2
    assert result.table.column("text").to_pylist() == [rules.clean_text(text)]
    assert_same_results({DAY: result}, reference.process(lake, files, rules.ProcessSettings()))


def test_bad_rows_go_through_the_reference_reader(spark, lake: Lake) -> None:  # noqa: F811
    files = synthetic.corrupt(synthetic.generate([DAY], 900, sources=12, seed=2))
    synthetic.write(lake, files)
    raw = run.raw_files(lake, [DAY])
    by_path = {file.path: file for file in raw[DAY]}
    _, fallback, parsed = spark_engine.read_raw(spark, lake, by_path)
    parsed.unpersist()
    # the files corrupt() damaged (the first ten), and no other
    assert sorted(file.path for file in fallback) == sorted(files)[:10]
    settings = rules.ProcessSettings()
    assert_same_results(
        spark_engine.process(lake, raw, settings, spark=spark),
        reference.process(lake, raw, settings),
    )


def test_process_days_with_spark_and_the_spark_submit_entry_point(
    spark,  # noqa: F811
    lake: Lake,
    capsys: pytest.CaptureFixture[str],
) -> None:
    days = [DAY, DAY + dt.timedelta(days=1)]
    synthetic.write(lake, synthetic.generate(days, 400, sources=4, seed=8))
    settings = load_settings(lake=lake.uri)
    reports = process_days(settings, days, "spark")
    assert [report.engine for report in reports] == ["spark", "spark"]
    first = {day: lake.read_bytes(processed_path(day)) for day in days}

    code = spark_job.main(["--lake", lake.uri, "--from", str(days[0]), "--to", str(days[1])])
    assert code == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [item["date"] for item in printed] == [str(day) for day in days]
    # idempotent: the second run wrote the same bytes
    assert {day: lake.read_bytes(processed_path(day)) for day in days} == first
    assert read_processed(lake, DAY).num_rows == read_report(lake, DAY).rows_out

    assert spark_job.main(["--lake", lake.uri, "--date", "2020-01-01"]) == ExitCode.DATA
    assert "no raw data for 2020-01-01" in capsys.readouterr().err


def test_spark_urls_and_s3a_settings(tmp_path) -> None:
    local = Lake(str(tmp_path / "lake"))
    assert spark_engine.spark_url(local, "raw/x.csv") == f"file://{tmp_path}/lake/raw/x.csv"
    assert spark_job.fsspec_uri("s3a://bucket/prefix") == "s3://bucket/prefix"
    assert spark_job.fsspec_uri("/data/lake") == "/data/lake"
    conf = spark_engine.s3a_conf(
        {
            "key": "AK",
            "secret": "SK",
            "client_kwargs": {"endpoint_url": "http://127.0.0.1:9000", "region_name": "eu-1"},
        }
    )
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9000"
    assert conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "false"
    assert conf["spark.hadoop.fs.s3a.access.key"] == "AK"
    assert conf["spark.hadoop.fs.s3a.secret.key"] == "SK"
    assert conf["spark.hadoop.fs.s3a.endpoint.region"] == "eu-1"
    assert "spark.hadoop.fs.s3a.access.key" not in spark_engine.s3a_conf({})


def test_the_spark_job_keeps_digits_unless_told_not_to() -> None:
    def overrides(*argv: str) -> dict[str, object] | None:
        return spark_job.process_overrides(spark_job.parse_args(list(argv)))

    assert overrides() is None  # the settings decide: process.keep_digits, true by default
    assert overrides("--no-keep-digits") == {"keep_digits": False}
    assert overrides("--keep-digits", "--master", "local[2]") == {
        "spark_master": "local[2]",
        "keep_digits": True,
    }
