"""The daily loop as steps: one function per Airflow task, which the DAG and
``horogen demo`` both call.

Every step takes plain arguments (days as ``YYYY-MM-DD``, version numbers), reads the
settings itself unless given them (``HOROGEN_SCENARIO``, ``HOROGEN_CONFIG``, ``HOROGEN_*``
variables: what an Airflow worker has) and returns a small JSON-safe record (what it did,
counts, the version it made): what XCom carries. Run again for the same date, a step
leaves the data as it was, except ``train_window``, which registers another version
(``retrain_due`` says when that is due; a retry after a kill continues the unfinished
run).

No step starts a mirror of the sites: collection goes where ``collect.mirror`` and
``collect.base_urls`` say, the real sites unless a person (the demo, a test) points it
elsewhere. Importing this module stays cheap (Airflow parses DAG files often): torch,
transformers, mlflow and pyspark load inside the steps that need them.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from typing import Any

from horogen.collect.run import CollectionResult, SourceReport, collect
from horogen.collect.sites import SOURCES
from horogen.config import Settings, load_settings
from horogen.errors import HorogenError
from horogen.lake import processed_path
from horogen.process.run import process_days

Record = dict[str, Any]


class CollectionFailed(HorogenError):
    """At least ``collect.failure_threshold`` of a run's source-days failed."""


def day_of(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def last_days(count: int, *, until: dt.date) -> list[dt.date]:
    """The ``count`` days ending with ``until``, oldest first."""
    return [until - dt.timedelta(days=offset) for offset in range(count - 1, -1, -1)]


def source_names(settings: Settings | None = None) -> list[str]:
    """The sources to collect: ``collect.sources``, else every one horogen knows."""
    settings = settings or load_settings()
    return list(settings.collect.sources or SOURCES)


def collect_days(
    days: Sequence[str | dt.date],
    sources: Sequence[str] | None = None,
    *,
    refresh: bool = False,
    settings: Settings | None = None,
    on_day_done: Callable[[dt.date], None] | None = None,
) -> Record:
    """Collect ``days`` from ``sources`` (default: all). A source-day collected before
    (its report says ``ok``) is kept as it is unless ``refresh`` (the collect stage's
    rule, as for ``horogen collect``): a rerun fetches only what is missing. Never raises
    because a site failed: the record (and each source-day's report in the lake) says what
    failed; :func:`check_collection` applies the threshold."""
    settings = settings or load_settings()
    wanted = list(sources or source_names(settings))
    result = collect(
        settings,
        [day_of(day) for day in days],
        sources=wanted,
        refresh=refresh,
        on_day_done=on_day_done,
    )
    kept = [report.to_json() for report in result.reports if report.kept]
    collected = [report.to_json() for report in result.reports if not report.kept]
    return {
        "days": sorted({str(day_of(day)) for day in days}),
        "reports": collected + kept,
        "collected": len(collected),
        "kept": len(kept),
        "records": sum(int(report["records"]) for report in collected),
        "failed": sorted(
            f"{r['source']} {r['date']}" for r in collected if r["status"] == "failed"
        ),
        "seconds": round(result.seconds, 1),
    }


def reparse_days(
    days: Sequence[str | dt.date] | None = None,
    sources: Sequence[str] | None = None,
    *,
    settings: Settings | None = None,
) -> Record:
    """Rebuild the raw partitions of ``days`` (default: every archived day) of ``sources``
    from the page archive with the installed adapters, offline: what to run after an
    adapter fix (then :func:`process` for the days it rewrote). The record lists the
    source-days rewritten and what changed in each."""
    from horogen.collect.reparse import reparse

    settings = settings or load_settings()
    wanted = [day_of(day) for day in days] if days is not None else None
    reports = [
        report
        for report in reparse(settings.open_lake(), wanted, sources)
        if report.result != "no pages"
    ]
    rewritten = [report for report in reports if report.result in ("new", "changed")]
    return {
        "reparsed": len(reports),
        "rewritten": [f"{report.source} {report.date}" for report in rewritten],
        "days": sorted({str(report.date) for report in rewritten}),
        "reports": [report.to_json() for report in reports],
    }


def check_collection(records: Sequence[Record], *, settings: Settings | None = None) -> Record:
    """Apply ``collect.failure_threshold`` to what ``records`` (of :func:`collect_days`)
    collected: :class:`CollectionFailed` at or above it (a day no source serves counts as
    failed), else the outcome (``ok`` or ``partial``) and what failed."""
    settings = settings or load_settings()
    result = CollectionResult(
        [source_report(report) for record in records for report in record["reports"]]
    )
    threshold = settings.collect.failure_threshold
    unserved = set(result.unserved_days)
    failed = sorted(
        f"{r.source} {r.date}"
        for r in result.reports
        if r.status == "failed" or (r.status == "skipped" and r.date in unserved)
    )
    if not result.succeeded(threshold):
        raise CollectionFailed(
            f"{len(failed)} source-days failed ({', '.join(failed)}), a share of "
            f"{result.failed_share:.2f}, at or over collect.failure_threshold = {threshold}: "
            "see reports/collect/ in the lake"
        )
    return {
        "outcome": result.outcome(threshold),
        "failed_share": result.failed_share,
        "failed": failed,
    }


def processing_engine(settings: Settings | None = None) -> str:
    """``polars`` or ``spark``: which engine processing runs on (``process.engine``)."""
    return (settings or load_settings()).process.engine


def process(days: Sequence[str | dt.date], *, settings: Settings | None = None) -> Record:
    """Clean the raw partitions of ``days`` (days without raw data are skipped)."""
    settings = settings or load_settings()
    reports = process_days(settings, [day_of(day) for day in days], missing="skip")
    return {
        "days": [str(report.date) for report in reports],
        "rows_in": sum(report.rows_in for report in reports),
        "rows_out": sum(report.rows_out for report in reports),
        "reports": [report.model_dump(mode="json") for report in reports],
    }


def retrain_due(day: str | dt.date, *, settings: Settings | None = None) -> Record:
    """Whether to train a new version on ``day``: when there is no champion, or when the
    newest data any version was trained on (the champion's, or a newer version's that the
    gate turned down) ends ``train.retrain_every_days`` or more before ``day``, or when
    ``train.retrain_min_new_rows`` processed rows arrived after it. So a challenger the gate
    rejected is not trained again the next day on the same data. The record names the
    window to train on (``train.window_days`` up to ``day``)."""
    from horogen.model import registry
    from horogen.model.store import ModelStore

    settings = settings or load_settings()
    day = day_of(day)
    config = settings.train
    window = {"start": str(day - dt.timedelta(days=config.window_days - 1)), "end": str(day)}
    store = ModelStore.from_settings(settings)
    store.connect()
    champion = registry.champion(store.name)
    if champion is None:
        return {"due": True, "reason": "there is no champion yet", "window": window}
    latest = max(
        (version for version in (champion, registry.newest(store.name)) if version is not None),
        key=lambda version: _data_end(version.tags.get("data_window", "")) or dt.date.min,
    )
    data_end = _data_end(latest.tags.get("data_window", ""))
    if data_end is None:
        reason = f"the champion (version {champion.version}) names no data window"
        return {"due": True, "reason": reason, "window": window}
    trained = f"version {latest.version}" + (" (the champion)" if latest is champion else "")
    age = (day - data_end).days
    if age >= config.retrain_every_days:
        reason = f"the newest data, {trained}'s, ends {data_end}, {age} days before {day}"
        return {"due": True, "reason": reason, "window": window}
    new_rows = _processed_rows(settings, data_end + dt.timedelta(days=1), day)
    if new_rows >= config.retrain_min_new_rows:
        reason = f"{new_rows} new processed rows since {trained}'s data ({data_end})"
        return {"due": True, "reason": reason, "window": window}
    reason = (
        f"{trained} has data up to {data_end}: {age} of {config.retrain_every_days} days, "
        f"{new_rows} of {config.retrain_min_new_rows} new rows"
    )
    return {"due": False, "reason": reason, "window": window}


def train_window(
    start: str | dt.date,
    end: str | dt.date,
    *,
    settings: Settings | None = None,
    progress: bool = False,
) -> Record:
    """Train on the processed days ``start``..``end`` and register a new version (the
    challenger). A run on the same window left unfinished (its worker killed, or the task
    timed out) continues from its last checkpoint instead: what a retried task does."""
    from horogen.model.store import ModelStore
    from horogen.train.data import DataWindow
    from horogen.train.runs import runs_root, unfinished_run
    from horogen.train.trainer import train

    settings = settings or load_settings()
    lake = settings.open_lake()
    window = DataWindow(day_of(start), day_of(end))
    unfinished = unfinished_run(runs_root(settings.train.work_dir, lake), window)
    result = train(
        settings.train,
        lake=lake,
        models=ModelStore.from_settings(settings),
        strategy=settings.generation.strategy,
        window=None if unfinished else window,
        resume=unfinished is not None,
        run_name=unfinished.path.name if unfinished else None,
        progress=progress,
    )
    record = result.record
    return {
        "version": record.model_version,
        "model_uri": record.model_uri,
        "run_dir": str(result.run_dir),
        "mlflow_run_id": record.mlflow_run_id,
        "window": record.window,
        "rows": record.fingerprint.get("rows"),
        "metrics": record.metrics,
    }


def evaluate(
    version: int | None = None,
    *,
    settings: Settings | None = None,
    on_strategy: Callable[[Any], None] | None = None,
) -> Record:
    """Evaluate ``version`` (default: the challenger) on the strategy grid, with the
    readers' verdicts per version in the report; its best strategy goes onto the version."""
    from horogen.evaluate.stage import evaluate_version
    from horogen.model.store import ModelStore
    from horogen.serve.feedback import verdicts_if_available

    settings = settings or load_settings()
    store = ModelStore.from_settings(settings)
    record = evaluate_version(
        str(version) if version else None,
        store=store,
        settings=settings.evaluate,
        generation=settings.generation,
        on_strategy=on_strategy,
        readers=verdicts_if_available(settings.serve, store.lake, store.name),
    )
    return record.model_dump(mode="json")


def promote(version: int | None = None, *, settings: Settings | None = None) -> Record:
    """The promotion gate for ``version`` (default: the challenger)."""
    from horogen.evaluate.stage import promote_version
    from horogen.model.store import ModelStore

    settings = settings or load_settings()
    decision = promote_version(
        version,
        store=ModelStore.from_settings(settings),
        settings=settings.evaluate,
        generation=settings.generation,
        publish=settings.publish,
    )
    return decision.model_dump(mode="json")


def precompute(day: str | dt.date | None = None, *, settings: Settings | None = None) -> Record:
    """Generate and store the texts of ``day`` (default: today where the readers are) for
    every sign and category, with the model serving uses."""
    from horogen.model.store import ModelStore
    from horogen.serve.precompute import precompute_day

    settings = settings or load_settings()
    record = precompute_day(
        settings.serve,
        lake=settings.open_lake(),
        models=ModelStore.from_settings(settings),
        generation=settings.generation,
        day=day_of(day) if day else None,
    )
    return record.model_dump(mode="json")


def source_report(report: Record) -> SourceReport:
    """A report of :func:`collect_days`'s record as the collector made it."""
    return SourceReport.from_json(report)


def _data_end(window: str) -> dt.date | None:
    """The last day of a ``start..end`` data window tag."""
    try:
        return dt.date.fromisoformat(window.split("..")[1])
    except (IndexError, ValueError):
        return None


def _processed_rows(settings: Settings, start: dt.date, end: dt.date) -> int:
    """Rows in the processed partitions from ``start`` to ``end`` (from parquet footers)."""
    import pyarrow.parquet as pq

    lake = settings.open_lake()
    rows = 0
    for day in lake.partitions("processed"):
        if start <= day <= end and lake.exists(processed_path(day)):
            rows += pq.ParquetFile(
                io.BytesIO(lake.read_bytes(processed_path(day)))
            ).metadata.num_rows
    return rows
