"""Processing days: raw partitions → ``processed/date=…/part-0.parquet`` + ``_report.json``.

:func:`process_days` is what the CLI, the demo and the DAGs call. It lists each day's raw
files and processes them: with polars one day at a time (memory stays that of one day
however many days a backfill has; a day is written while the next is processed), with
Spark all days in one job, each day written by the executor that holds its rows. Every
day's output is checked against the expectations and written atomically: the parquet
first, then the report beside it. Rows are sorted by
:data:`~horogen.process.rules.OUTPUT_ORDER`, so processing a day twice writes the same rows
in the same order.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from horogen.errors import ConfigError, DataError
from horogen.lake import Lake
from horogen.layout import RAW, partition, processed_path, processed_report_path
from horogen.process import expectations, rawcsv, rules
from horogen.process.engine import DayResult, load_engine
from horogen.process.rawcsv import Malformed, RawFile
from horogen.process.settings import ENGINES, EngineName, ProcessSettings

log = logging.getLogger(__name__)


class ProcessReport(BaseModel):
    """What processing a day did (``processed/date=…/_report.json``)."""

    date: dt.date
    engine: str
    files: list[str]
    rows_in: int
    dropped: dict[str, int]
    rows_out: int
    malformed: list[Malformed]
    signs_in: list[str]
    signs_out: list[str]
    rules: dict[str, Any]
    expectations: list[str]
    output: str
    #: Seconds the engine took for this day (polars), or from the start of the run that
    #: processed the whole range until the day was written (Spark).
    duration_s: float

    def comparable(self) -> dict[str, Any]:
        """The report without what differs between engines and runs."""
        return self.model_dump(mode="json", exclude={"engine", "duration_s"})


def raw_files(
    lake: Lake, days: Sequence[dt.date], missing: Literal["error", "skip"] = "error"
) -> dict[dt.date, list[RawFile]]:
    """Each day's raw files; a day without any is an error or, with ``skip``, left out."""
    found: dict[dt.date, list[RawFile]] = {}
    for day in sorted(set(days)):
        files = rawcsv.list_raw_files(lake, day)
        if files:
            found[day] = files
        elif missing == "error":
            raise DataError(
                f"no raw data for {day}: {lake.url(partition(RAW, day))} has no CSV "
                f"files; run `horogen collect --date {day}` first"
            )
        else:
            log.warning("skipping %s: no raw partition", day)
    return found


def process_days(
    lake: Lake,
    settings: ProcessSettings,
    days: Sequence[dt.date] | None = None,
    engine: EngineName | None = None,
    *,
    missing: Literal["error", "skip"] = "error",
) -> list[ProcessReport]:
    """Process ``days`` (every raw partition when ``None``) with ``engine`` (the settings'
    default when ``None``); returns one report per day written, oldest first.

    A day without raw files raises :class:`DataError` naming it, or is skipped (logged)
    with ``missing="skip"``. A day whose output fails an expectation is not written; after
    the other days are, :class:`DataError` lists what failed.
    """
    engine = engine or settings.engine
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; expected one of: {', '.join(ENGINES)}")
    if days is None:
        days = rawcsv.raw_days(lake)
        if not days:
            raise DataError(f"no raw partitions in {lake.url(RAW)}; run `horogen collect`")
    files = raw_files(lake, days, missing)
    if not files:
        raise DataError(f"none of the {len(days)} day(s) asked for has raw data in {lake.uri}")

    run = _in_one_run if load_engine(engine).ALL_DAYS_AT_ONCE else _by_day
    outcomes = run(lake, files, engine, settings)
    failed = [str(outcome) for outcome in outcomes if isinstance(outcome, DataError)]
    if failed:
        raise DataError("; ".join(failed))
    return [outcome for outcome in outcomes if isinstance(outcome, ProcessReport)]


Outcome = ProcessReport | DataError


def _by_day(
    lake: Lake, files: dict[dt.date, list[RawFile]], engine: EngineName, settings: ProcessSettings
) -> list[Outcome]:
    """One day at a time, each written (in a thread) while the next one is processed, so
    at most two days are in memory."""
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending: Future[Outcome] | None = None
        for day in sorted(files):
            started = time.perf_counter()
            result = load_engine(engine).process(lake, {day: files[day]}, settings)[day]
            duration = round(time.perf_counter() - started, 3)
            if pending is not None:
                outcomes.append(pending.result())
            pending = writer.submit(
                _checked_write, lake, result, files[day], engine, settings, duration
            )
        if pending is not None:
            outcomes.append(pending.result())
    return outcomes


def _in_one_run(
    lake: Lake, files: dict[dt.date, list[RawFile]], engine: EngineName, settings: ProcessSettings
) -> list[Outcome]:
    """Every day in one engine run (a Spark job), each day checked and written where its
    rows are (on the executors); each report's duration is from the job's start until the
    day was written."""
    started = time.time()  # wall clock: the executors measure from it

    def write(result: DayResult) -> Outcome:
        duration = round(time.time() - started, 3)
        return _checked_write(lake, result, files[result.day], engine, settings, duration)

    outcomes = load_engine(engine).write_days(lake, files, settings, write)
    return [outcomes[day] for day in sorted(outcomes)]


def _checked_write(
    lake: Lake,
    result: DayResult,
    files: list[RawFile],
    engine: EngineName,
    settings: ProcessSettings,
    duration: float,
) -> Outcome:
    """The day's report once written, or the :class:`DataError` that kept it from the lake."""
    try:
        return _write_day(lake, result, files, engine, settings, duration)
    except DataError as error:
        return error


def sort_output(table: pa.Table) -> pa.Table:
    """Rows in the order every processed partition keeps them."""
    return table.sort_by([(column, "ascending") for column in rules.OUTPUT_ORDER])


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def _write_day(
    lake: Lake,
    result: DayResult,
    files: list[RawFile],
    engine: EngineName,
    settings: ProcessSettings,
    duration: float,
) -> ProcessReport:
    table = sort_output(result.table)
    passed = expectations.validate(table, result.day, settings, result.signs_in)
    report = ProcessReport(
        date=result.day,
        engine=engine,
        files=[file.path for file in files],
        rows_in=result.rows_in,
        dropped=result.dropped,
        rows_out=table.num_rows,
        malformed=result.malformed,
        signs_in=result.signs_in,
        signs_out=sorted(set(table.column("sign").to_pylist())),
        rules=rules.describe(settings),
        expectations=passed,
        output=processed_path(result.day),
        duration_s=duration,
    )
    counted = sum(report.dropped.values()) + report.rows_out
    if counted != report.rows_in:  # every row in is either out or dropped by one rule
        raise DataError(f"{result.day}: {report.rows_in} rows in but {counted} accounted for")
    lake.write_bytes(processed_path(result.day), parquet_bytes(table))
    lake.write_json(processed_report_path(result.day), report.model_dump(mode="json"))
    if report.malformed:
        log.warning(
            "%s: %d malformed raw row(s), listed in %s",
            result.day,
            len(report.malformed),
            lake.url(processed_report_path(result.day)),
        )
    return report


def read_processed(lake: Lake, day: dt.date) -> pa.Table:
    """A day's processed rows."""
    return pq.read_table(io.BytesIO(lake.read_bytes(processed_path(day))))


def read_report(lake: Lake, day: dt.date) -> ProcessReport:
    return ProcessReport.model_validate(lake.read_json(processed_report_path(day)))
