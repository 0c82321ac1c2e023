"""The processing stage as a Spark application, for ``spark-submit`` on a cluster.

    spark-submit --master yarn --packages org.apache.hadoop:hadoop-aws:3.5.0 \\
        src/horogen/spark_job.py --lake s3a://bucket/horogen \\
        --from 2026-11-01 --to 2026-11-25

or ``python -m horogen.spark_job …`` (then ``--master`` picks the cluster;
``local[*]`` when neither gives one). horogen must be installed where the driver runs
(``pip install 'horogen[spark]'`` or ``--py-files`` a wheel), and on the executors,
which write the days. Days without raw data in a range are skipped; with no dates, every
raw partition is processed. S3 settings (endpoint, keys) come from ``HOROGEN_S3__*`` like everywhere
else; see ``docs/processing.md`` for the Hadoop S3A settings.

Like the ``horogen`` command, it assembles the deployment from the settings sources and
runs the pipeline's processing step on it with the ``spark`` engine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from horogen.deployment import Deployment
from horogen.errors import HorogenError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="horogen.spark_job", description="Process raw partitions with Spark."
    )
    parser.add_argument("--lake", help="s3a://bucket/prefix, s3://…, or a folder")
    parser.add_argument("--date", type=_day, help="one day")
    parser.add_argument("--from", dest="start", type=_day, help="first day of a range")
    parser.add_argument("--to", dest="end", type=_day, help="last day of a range")
    parser.add_argument("--master", help="Spark master when not given by spark-submit")
    parser.add_argument(
        "--keep-digits",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="keep digits (default: process.keep_digits, true); --no-keep-digits drops "
        "them as the original system did",
    )
    args = parser.parse_args(argv)
    if args.date and (args.start or args.end):
        parser.error("give either --date or --from/--to, not both")
    return args


def fsspec_uri(lake: str) -> str:
    """The lake as fsspec names it (``s3a://`` is Hadoop's name for ``s3://``)."""
    return "s3://" + lake.removeprefix("s3a://") if lake.startswith("s3a://") else lake


def days_of(args: argparse.Namespace) -> list[dt.date] | None:
    if args.date:
        return [args.date]
    if not (args.start or args.end):
        return None
    first, last = args.start or args.end, args.end or args.start
    if first > last:
        raise HorogenError(f"--from {first} is after --to {last}")
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def process_overrides(args: argparse.Namespace) -> dict[str, object] | None:
    """The ``[process]`` settings the command line gives (``None``: none)."""
    given = {"spark_master": args.master, "keep_digits": args.keep_digits}
    return {key: value for key, value in given.items() if value is not None} or None


def launched_by_spark_submit() -> bool:
    """spark-submit starts the JVM first and tells the Python driver where it listens."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from horogen import pipeline

    try:
        deployment = Deployment.load(
            lake=fsspec_uri(args.lake) if args.lake else None, process=process_overrides(args)
        )
        session(deployment)
        days = days_of(args)
        reports = pipeline.process(
            days,
            engine="spark",
            missing="skip" if days and len(days) > 1 else "error",
            deployment=deployment,
        ).reports
    except HorogenError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code  # the horogen command's codes: 3 a setting, 4 the data, …
    for report in reports:
        for problem in report.malformed:
            print(f"{problem.file} line {problem.line}: {problem.reason}", file=sys.stderr)
        summary = report.model_dump(mode="json", exclude={"malformed", "rules"})
        print(json.dumps(summary, ensure_ascii=False))
    return 0


def _log_to_stderr() -> None:
    """horogen's progress (which executor wrote each day) in the job's log."""
    logger = logging.getLogger("horogen")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def session(deployment: Deployment) -> SparkSession:
    """The job's session: spark-submit's master and conf when it launched us, else the
    settings' ``spark_master`` (``local[*]`` when unset); S3A settings for an S3 lake."""
    from pyspark.sql import SparkSession

    from horogen.process import spark as engine

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    settings, lake = deployment.settings.process, deployment.lake
    if not launched_by_spark_submit():
        return engine.session(settings, lake)
    from pyspark import SparkConf

    builder = SparkSession.builder.appName("horogen-process")
    given = SparkConf()  # what spark-submit was given wins over horogen's defaults
    conf = {key: value for key, value in engine.JOB_CONF.items() if not given.contains(key)}
    if not lake.is_local:
        conf |= engine.s3a_conf(lake.storage_options)
    conf |= settings.spark_conf
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


if __name__ == "__main__":
    _log_to_stderr()
    sys.exit(main())
