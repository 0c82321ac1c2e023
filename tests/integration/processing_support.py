"""Shared by the processing tests: one Spark session for the whole run, and comparisons.

Import the ``spark`` fixture into a test module (``from processing_support import spark``);
every module gets the same session (``getOrCreate``), started once (about 5 s).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from horogen.process.engine import DayResult
from horogen.process.run import sort_output


def missing_spark() -> str | None:
    """Why Spark cannot run here (no pyspark, no Java), or ``None`` when it can."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Spark needs Java (a JDK 17 on PATH or JAVA_HOME)"
    return None


def skip_or_fail(reason: str) -> None:
    """Skip, except under CI (``CI=true``), where the production engine must be tested: a
    missing Spark fails the run rather than leaving it green and untested."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    reason = missing_spark()
    if reason is not None:
        skip_or_fail(reason)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("horogen-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def assert_same_results(got: dict, expected: dict) -> None:
    """Engine results equal day by day: rows (in output order) and every count."""
    assert sorted(got) == sorted(expected)
    for day in expected:
        left: DayResult = got[day]
        right: DayResult = expected[day]
        assert left.dropped == right.dropped, day
        assert left.rows_in == right.rows_in, day
        assert left.malformed == right.malformed, day
        assert left.signs_in == right.signs_in, day
        left_table, right_table = sort_output(left.table), sort_output(right.table)
        assert left_table.schema.equals(right_table.schema), day
        assert left_table.to_pylist() == right_table.to_pylist(), day
