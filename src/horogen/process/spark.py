"""The Spark engine: the rules of ``rules.py`` as Spark SQL expressions, on any cluster.

Raw CSVs are read by Spark's own reader with ``multiLine`` and ``"`` as both quote and
escape, so multi-line texts and doubled quotes survive; a file that fails the checks of
``rawcsv`` (a malformed record, or anything the reader might have misread) is read on the
driver by the reference reader instead, which reports each bad record with its line.

``process_days`` runs :func:`write_days`: each day's kept rows go to one executor, which
checks and writes the day with the same writer as the polars engine (so both write the
same files, each atomically) and sends back only the day's report. No row passes through
the driver, so the driver's memory does not bound the job, and the executors need horogen
(``horogen[spark]``) beside pyspark. :func:`process` collects the rows instead, for
comparing engines.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import pickle
import sys
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from horogen.errors import ConfigError
from horogen.lake import Lake
from horogen.layout import RAW_FILE
from horogen.process import rawcsv, rules
from horogen.process.engine import DayResult
from horogen.process.rawcsv import Malformed, RawFile
from horogen.process.settings import ProcessSettings
from horogen.schema import PROCESSED_SCHEMA, RAW_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

NAME = "spark"

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Output rows collected to the driver at a time (whole days per batch).
COLLECT_BATCH_ROWS = 200_000

_CORRUPT = "_corrupt_record"
_FILE_PATH = RAW_FILE
#: Hadoop's version when the installed pyspark does not say (pyspark 4.3 ships 3.5.0).
DEFAULT_HADOOP = "3.5.0"


def _spark() -> Any:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ConfigError(
            "the spark engine needs pyspark and Java 17: pip install 'horogen[spark]'"
        ) from None
    from pyspark.sql import functions

    return functions


def spark_url(lake: Lake, path: str) -> str:
    """How Spark addresses a lake path: ``file://`` locally, ``s3a://`` for S3."""
    url = lake.url(path)
    if lake.is_local:
        return "file://" + os.path.abspath(url)
    scheme, rest = url.split("://", 1)
    return f"s3a://{rest}" if scheme in ("s3", "s3a") else url


def hadoop_aws_package() -> str:
    """The Hadoop S3A connector for ``spark.jars.packages``: its version must match the
    Hadoop jars that pyspark ships (``pyspark/jars/hadoop-client-api-<version>.jar``)."""
    version = DEFAULT_HADOOP
    try:
        import pyspark

        jars = os.path.join(os.path.dirname(pyspark.__file__), "jars")
        for name in os.listdir(jars):
            if name.startswith("hadoop-client-api-") and name.endswith(".jar"):
                version = name.removeprefix("hadoop-client-api-").removesuffix(".jar")
    except (ImportError, OSError):
        pass
    return f"org.apache.hadoop:hadoop-aws:{version}"


def s3a_conf(storage_options: Mapping[str, Any]) -> dict[str, str]:
    """Spark settings that point Hadoop's S3A connector where an fsspec S3 lake points."""
    conf = {
        "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    }
    client = storage_options.get("client_kwargs") or {}
    endpoint = client.get("endpoint_url") or storage_options.get("endpoint_url")
    if endpoint:
        conf["spark.hadoop.fs.s3a.endpoint"] = endpoint
        conf["spark.hadoop.fs.s3a.path.style.access"] = "true"
        if endpoint.startswith("http://"):
            conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] = "false"
    region = client.get("region_name")
    if region:
        conf["spark.hadoop.fs.s3a.endpoint.region"] = region
    if storage_options.get("key") and storage_options.get("secret"):
        conf["spark.hadoop.fs.s3a.access.key"] = storage_options["key"]
        conf["spark.hadoop.fs.s3a.secret.key"] = storage_options["secret"]
        conf["spark.hadoop.fs.s3a.aws.credentials.provider"] = (
            "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
        )
    return conf


#: Settings of every horogen session: UTC timestamps; few shuffle partitions, since a day is
#: small (Spark's default of 200 makes a day's job two hundred tiny tasks).
JOB_CONF = {"spark.sql.session.timeZone": "UTC", "spark.sql.shuffle.partitions": "8"}

#: Spark's JVM log without its start-up notes, for sessions started here unless logging is
#: verbose (the session is set to errors only once it runs).
QUIET_LOG4J = Path(__file__).with_name("log4j2.properties")


def session(settings: ProcessSettings | None = None, lake: Lake | None = None) -> SparkSession:
    """The active Spark session, or a new one: ``local[*]`` unless ``spark_master`` says
    otherwise, the settings' ``spark_conf`` and, for an S3 lake, the S3A settings."""
    _spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    settings = settings or ProcessSettings()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    master = settings.spark_master or "local[*]"
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    conf = JOB_CONF | {"spark.ui.showConsoleProgress": "false"}
    if not logging.getLogger("pyspark").isEnabledFor(logging.INFO):  # the JVM's start-up notes
        conf["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile={QUIET_LOG4J}"
    if lake is not None and not lake.is_local:
        conf |= s3a_conf(lake.storage_options) | {"spark.jars.packages": hadoop_aws_package()}
    conf |= settings.spark_conf
    builder = SparkSession.builder.appName("horogen-process").master(master)
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


#: A Spark job processes a whole range at once.
ALL_DAYS_AT_ONCE = True


@dataclass
class Judged:
    """The raw rows of some days judged by the rules: the kept rows as a DataFrame (the
    processed columns), and per day the counts, signs and malformed rows that the report
    needs (small: on the driver)."""

    frame: DataFrame  # every judged row, persisted until :meth:`release`
    counts: dict[dt.date, dict[str, int]]
    signs: dict[dt.date, set[str]]
    malformed: dict[dt.date, list[Malformed]]

    @property
    def kept(self) -> DataFrame:
        functions = _spark()
        return self.frame.filter(functions.col("_outcome") == "kept").select(
            functions.col("day").alias("date"),
            "sign",
            "category",
            "source",
            "text",
            "url",
            "collected_at",
            functions.sha2("text", 256).alias("text_hash"),
        )

    def kept_rows(self, day: dt.date) -> int:
        return self.counts[day].get("kept", 0)

    def result(self, day: dt.date, table: pa.Table) -> DayResult:
        """The day's result, with ``table`` as its output rows."""
        dropped = dict.fromkeys(rules.DROP_RULES, 0)
        dropped["malformed"] = len(self.malformed[day])
        for outcome, count in self.counts[day].items():
            if outcome != "kept":
                dropped[outcome] += count
        return DayResult(
            day=day,
            table=table,
            rows_in=sum(self.counts[day].values()) + len(self.malformed[day]),
            dropped=dropped,
            malformed=sorted(self.malformed[day], key=lambda item: (item.file, item.line)),
            signs_in=sorted(self.signs[day]),
        )

    def release(self) -> None:
        self.frame.unpersist()


def judge_days(
    spark: SparkSession,
    lake: Lake,
    files: Mapping[dt.date, list[RawFile]],
    settings: ProcessSettings,
) -> Judged:
    """Read and judge the raw files of each day in one Spark job (the caller releases it)."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    by_path = {file.path: file for day in sorted(files) for file in files[day]}
    raw, fallback, cached = read_raw(spark, lake, by_path)

    malformed: dict[dt.date, list[Malformed]] = {day: [] for day in files}
    fallback_rows: list[tuple] = []
    for file in fallback:
        parsed = rawcsv.parse_reference(lake.read_bytes(file.path), file)
        malformed[file.day].extend(parsed.malformed)
        fallback_rows.extend((file.day, *row) for row in parsed.rows)
    if fallback_rows:
        raw = raw.unionByName(spark.createDataFrame(fallback_rows, _raw_schema()))

    judged = judge(raw, settings).persist()
    tally = judged.groupBy("day", "_outcome", "sign").count().collect()
    cached.unpersist()  # judged holds what comes next
    counts: dict[dt.date, dict[str, int]] = {day: {} for day in files}
    signs: dict[dt.date, set[str]] = {day: set() for day in files}
    for row in tally:
        day_counts = counts.setdefault(row["day"], {})
        day_counts[row["_outcome"]] = day_counts.get(row["_outcome"], 0) + row["count"]
        if row["sign"] in rules.SIGNS:
            signs.setdefault(row["day"], set()).add(row["sign"])
    return Judged(judged, counts, signs, malformed)


def process(
    lake: Lake,
    files: Mapping[dt.date, list[RawFile]],
    settings: ProcessSettings,
    spark: SparkSession | None = None,
) -> dict[dt.date, DayResult]:
    """Process the raw files of each day in one Spark job; a result per day of ``files``,
    its rows collected to the driver (the engines' common interface, for inspecting and
    comparing them; :func:`write_days` is what ``process_days`` runs)."""
    spark = spark or session(settings, lake)
    judged = judge_days(spark, lake, files, settings)
    try:
        tables = _collect_kept(judged.kept, {day: judged.kept_rows(day) for day in files})
    finally:
        judged.release()
    return {
        day: judged.result(day, tables.get(day, PROCESSED_SCHEMA.empty_table())) for day in files
    }


def write_days(
    lake: Lake,
    files: Mapping[dt.date, list[RawFile]],
    settings: ProcessSettings,
    write: Callable[[DayResult], T],
    spark: SparkSession | None = None,
) -> dict[dt.date, T]:
    """Process the raw files of each day in one Spark job and hand each day's result to
    ``write`` on the executors: a day's kept rows go to one executor, which writes them
    (``write`` checks and stores the day, atomically), so no row passes through the driver.
    What ``write`` returns comes back per day (a day with nothing kept is written here).

    ``write`` and what it refers to are pickled to the executors, which need horogen."""
    spark = spark or session(settings, lake)
    judged = judge_days(spark, lake, files, settings)
    try:
        written = (
            judged.kept.groupBy("date")
            .applyInArrow(_day_writer(judged, write), "date date, writer string, outcome binary")
            .collect()
        )
    finally:
        judged.release()
    outcomes: dict[dt.date, T] = {}
    for row in written:
        outcomes[row["date"]] = pickle.loads(row["outcome"])
        log.info("%s written by %s", row["date"], row["writer"])
    for day in files:
        if day not in outcomes:  # nothing kept: no executor saw the day
            outcomes[day] = write(judged.result(day, PROCESSED_SCHEMA.empty_table()))
    return outcomes


def _day_writer(judged: Judged, write: Callable[[DayResult], T]) -> Callable[[pa.Table], pa.Table]:
    """The function an executor runs on one day's kept rows (the per-day counts travel
    with it; the DataFrame does not)."""
    parts = Judged(None, judged.counts, judged.signs, judged.malformed)  # type: ignore[arg-type]

    def write_day(table: pa.Table) -> pa.Table:
        day = table.column("date")[0].as_py()
        outcome = write(parts.result(day, table.cast(PROCESSED_SCHEMA)))
        return pa.table(
            {
                "date": pa.array([day], pa.date32()),
                "writer": [writer_name()],
                "outcome": pa.array([pickle.dumps(outcome)], pa.binary()),
            }
        )

    return write_day


def writer_name() -> str:
    """Which Spark process this is: an executor's id (from the log URL the worker gives
    its Python workers), else the driver's (local mode)."""
    url = os.environ.get("SPARK_LOG_URL_STDERR", "")
    executor = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("executorId")
    return f"executor {executor[0]}" if executor else "the driver"


def _raw_schema() -> Any:
    from pyspark.sql.types import DateType, StringType, StructField, StructType

    return StructType(
        [StructField("day", DateType())]
        + [StructField(column, StringType()) for column in RAW_COLUMNS]
    )


def read_raw(
    spark: SparkSession, lake: Lake, files: Mapping[str, RawFile]
) -> tuple[DataFrame, list[RawFile], DataFrame]:
    """Rows (``day`` + raw columns) of the files that pass the checks, read by Spark's CSV
    reader, and the files that fail them (to be read by the reference reader); the third is
    the parsed files, cached (the caller unpersists it): the checks and the rules read the
    files once."""
    functions = _spark()
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField(column, StringType()) for column in (*RAW_COLUMNS, _CORRUPT)])
    urls = [spark_url(lake, path) for path in files]
    if not urls:
        empty = spark.createDataFrame([], _raw_schema())
        return empty, [], empty
    frame = (
        spark.read.schema(schema)
        .option("header", "false")
        .option("multiLine", "true")
        .option("quote", '"')
        .option("escape", '"')
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", _CORRUPT)
        .option("encoding", "UTF-8")
        .csv(urls)
        .withColumn("_file", functions.input_file_name())
        .withColumn("_id", functions.monotonically_increasing_id())
    )
    day = functions.regexp_extract("_file", RAW_FILE, 2)
    frame = frame.withColumn("_ok", _row_ok(day)).persist()
    is_header = functions.lit(True)
    for column in RAW_COLUMNS:
        is_header = is_header & functions.coalesce(functions.col(column) == column, _false())
    canonical = sum(
        (_canonical_length(column) for column in RAW_COLUMNS), functions.lit(len(RAW_COLUMNS))
    )
    stats = (
        frame.groupBy("_file")
        .agg(
            functions.min_by(is_header, "_id").alias("header_first"),
            functions.sum(canonical).alias("length"),
            functions.sum((~functions.col("_ok")).cast("long")).alias("bad"),
        )
        .collect()
    )
    good_urls: list[str] = []
    passed: set[str] = set()
    for row in stats:
        path = _lake_path(row["_file"])
        file = files.get(path) if path else None
        if file is None:
            continue
        if row["header_first"] and row["bad"] == 1 and row["length"] == file.size:
            good_urls.append(row["_file"])
            passed.add(path)
    fallback = [file for path, file in files.items() if path not in passed and file.size > 0]
    good = frame.filter(functions.col("_file").isin(good_urls) & functions.col("_ok"))
    good = good.select(functions.to_date("date").alias("day"), *RAW_COLUMNS)
    return good, fallback, frame


def _false() -> Column:
    return _spark().lit(False)


def _lake_path(file_url: str) -> str | None:
    import re

    match = re.search(_FILE_PATH, urllib.parse.unquote(file_url))
    return match.group(1) if match else None


def _row_ok(day: Column) -> Column:
    """A data row that the reference reader would take as it is (the header row is not)."""
    functions = _spark()
    collected_at = functions.col("collected_at")
    ok = (
        functions.col(_CORRUPT).isNull()
        & functions.coalesce(functions.col("date") == day, _false())
        & functions.coalesce(collected_at.rlike(rawcsv.COLLECTED_AT), _false())
        & collected_at.try_cast("timestamp").isNotNull()
    )
    for column in RAW_COLUMNS:
        ok = ok & ~functions.coalesce(
            functions.contains(functions.col(column), functions.lit(rawcsv.REPLACEMENT_CHAR)),
            _false(),
        )
    return ok


def _canonical_length(column: str) -> Column:
    functions = _spark()
    value = functions.col(column)
    quotes = functions.length(value) - functions.length(
        functions.replace(value, functions.lit('"'))
    )
    triggers = functions.length(functions.translate(value, rawcsv.QUOTE_TRIGGERS, ""))
    extra = functions.when(triggers < functions.length(value), quotes + 2).otherwise(0)
    return functions.coalesce(functions.octet_length(value) + extra, functions.lit(0)).cast("long")


def apply_steps(value: Column, steps: tuple[rules.Step, ...]) -> Column:
    """The rule steps as one Spark expression."""
    functions = _spark()
    for step in steps:
        if isinstance(step, rules.Substitute):
            if step.single_chars:
                mapped = [(key, new) for key, new in step.mapping.items() if new]
                deleted = [key for key, new in step.mapping.items() if not new]
                matching = "".join(key for key, _ in mapped) + "".join(deleted)
                value = functions.translate(value, matching, "".join(new for _, new in mapped))
            else:
                for key, new in step.mapping.items():
                    value = functions.replace(value, functions.lit(key), functions.lit(new))
        elif isinstance(step, rules.Replace):
            value = functions.regexp_replace(value, step.pattern, step.replacement)
        else:
            value = functions.btrim(value, functions.lit(step.chars))
    return value


def class_chars(members: str) -> str:
    """Every character of the regex class ``[members]`` (ranges spelled out), for Spark's
    ``translate``, which maps characters in one pass where Java's regex is slow."""
    import re

    pattern = re.compile(f"[{members}]")
    return "".join(chr(code) for code in range(0x10000) if pattern.fullmatch(chr(code)))


def gated(value: Column, step: rules.Step) -> Column:
    """``step`` applied only where its trigger matches (as the polars engine does), when the
    trigger is cheaper than the step."""
    functions = _spark()
    changed = apply_steps(value, (step,))
    if step.trigger is None or (isinstance(step, rules.Replace) and step.trigger == step.pattern):
        return changed
    if isinstance(step, rules.Strip):
        ends = [value.startswith(char) | value.endswith(char) for char in step.chars]
        hit = ends[0]
        for end in ends[1:]:
            hit = hit | end
    else:
        hit = value.rlike(step.trigger)
    return functions.when(hit, changed).otherwise(value)


def clean(frame: DataFrame, settings: ProcessSettings) -> DataFrame:
    """Rows with ``_raw`` get ``text`` (cleaned) and ``_mixed``, as the polars engine
    computes them.

    Most texts hold only kept characters and single spaces: those skip the normalize and
    removal steps (which would not change them), found with ``translate`` (one pass, no
    regex); only texts with Latin letters are searched for mixed words. Each step reads the
    column the step before wrote, so no step's expression is evaluated twice (a gated step
    names its input three times)."""
    functions = _spark()
    raw = functions.col("_raw")
    kept = class_chars(rules.allowed_class(settings)) + " "
    impure = (
        (functions.length(functions.translate(raw, kept, "")) > 0)
        | functions.contains(raw, functions.lit("  "))
        | raw.startswith(" ")
        | raw.endswith(" ")
    )
    latin = class_chars(rules.LATIN)

    def mixed(value: Column) -> Column:
        with_latin = functions.length(functions.translate(value, latin, "")) < functions.length(
            value
        )
        return functions.when(with_latin, value.rlike(rules.MIXED_SCRIPT)).otherwise(False)

    frame = frame.withColumn("_impure", impure).withColumn("text", raw)
    impure, text = functions.col("_impure"), functions.col("text")
    for step in rules.normalize_steps():
        frame = frame.withColumn("text", functions.when(impure, gated(text, step)).otherwise(text))
    frame = frame.withColumn(
        "_mixed",
        mixed(text)
        if settings.keep_latin
        else functions.when(impure, mixed(text)).otherwise(functions.lit(False)),
    )
    for step in (*rules.removal_steps(settings), *rules.finishing_steps()):
        gate = impure if step in rules.removal_steps(settings) else functions.lit(True)
        frame = frame.withColumn("text", functions.when(gate, gated(text, step)).otherwise(text))
    return frame.drop("_impure", "_raw")


def judge(raw: DataFrame, settings: ProcessSettings) -> DataFrame:
    """Raw rows with ``text`` cleaned and ``_outcome``: the drop rule, or ``kept``."""
    functions = _spark()
    from pyspark.sql import Window

    sign = functions.col("sign")
    text = functions.col("text")
    length = functions.char_length(text)
    frame = raw.select(
        "day",
        "sign",
        *(
            functions.coalesce(functions.col(column), functions.lit("")).alias(column)
            for column in ("category", "source", "url")
        ),
        functions.coalesce(text, functions.lit("")).alias("_raw"),
        functions.col("collected_at").try_cast("timestamp").alias("collected_at"),
    )
    frame = clean(frame, settings)
    rule = (
        functions.when(sign.isNull() | (sign == ""), "missing_sign")
        .when(~sign.isin(*rules.SIGNS), "unknown_sign")
        .when(text == "", "empty_text")
        .when(functions.col("_mixed"), "mixed_script")
        .when(length < settings.min_length, "too_short")
        .when(length > settings.max_length, "too_long")
    )
    frame = frame.withColumn("_rule", rule).drop("_mixed")
    window = Window.partitionBy("day", "_rule", "text").orderBy(*rules.DEDUP_ORDER)
    first = functions.row_number().over(window) == 1
    outcome = functions.coalesce(
        functions.col("_rule"), functions.when(first, "kept").otherwise("duplicate")
    )
    return frame.withColumn("_outcome", outcome).drop("_rule")


def _collect_kept(rows: DataFrame, kept: Mapping[dt.date, int]) -> dict[dt.date, pa.Table]:
    functions = _spark()
    batches: list[list[dt.date]] = [[]]
    size = 0
    for day in sorted(kept):
        if batches[-1] and size + kept[day] > COLLECT_BATCH_ROWS:
            batches.append([])
            size = 0
        batches[-1].append(day)
        size += kept[day]
    tables: dict[dt.date, pa.Table] = {}
    for batch in batches:
        if not any(kept[day] for day in batch):
            continue
        table = rows.filter(functions.col("date").isin(batch)).toArrow()
        table = table.cast(PROCESSED_SCHEMA)
        for day in batch:
            tables[day] = table.filter(pc.equal(table.column("date"), pa.scalar(day)))
    return tables
