"""Shared by the processing tests: one Spark session for the whole run, and comparisons.

Import the ``spark`` fixture into a test module (``from processing_support import spark``);
every module gets the same session (``getOrCreate``), started once (about 5 s).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from horogen.process.engine import DayResult
from horogen.process.run import sort_output


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java")
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
