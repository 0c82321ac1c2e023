"""The daily loop as steps: one function per Airflow task, which the DAG, ``horogen demo``
and the ``horogen`` commands call, so each behaves the same whoever runs it.

Every step takes plain arguments (days as ``YYYY-MM-DD`` or dates, version numbers) and
the :class:`~horogen.deployment.Deployment` it works on; without one, it assembles it from
the settings sources (``HOROGEN_SCENARIO``, ``HOROGEN_CONFIG``, ``HOROGEN_*`` variables:
what an Airflow worker has). It hands each stage only its part (the lake, the stage's
settings section, the model store) and returns the stage's record: a pydantic model,
whose JSON is what XCom carries (records from upstream tasks come back as that JSON, and
the steps take either). Run again for the same date, a step leaves the data as it was,
except ``train_window``, which registers another version (``retrain_due`` says when that
is due; a retry after a kill continues the unfinished run).

No step starts a mirror of the sites: collection goes where ``collect.mirror`` and
``collect.base_urls`` say, the real sites unless a person (the demo, a test) points it
elsewhere. Importing this module stays cheap (Airflow parses DAG files often): torch,
transformers, mlflow and pyspark load inside the steps that need them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, computed_field

from horogen.collect.reparse import ReparseReport
from horogen.collect.run import CollectionResult, collect
from horogen.collect.sites import SOURCES
from horogen.deployment import Deployment
from horogen.errors import HorogenError
from horogen.process.run import ProcessReport, process_days
from horogen.process.settings import EngineName

if TYPE_CHECKING:
    from horogen.evaluate.promote import Decision
    from horogen.evaluate.run import StrategyResult
    from horogen.evaluate.stage import ChampionCheck, EvaluationRecord
    from horogen.serve.delivery import DeliveryRecord
    from horogen.serve.precompute import PrecomputeRecord
    from horogen.train.schedule import RetrainDecision
    from horogen.train.trainer import TrainResult

Day = str | dt.date


class CollectionFailed(HorogenError):
    """At least ``collect.failure_threshold`` of a run's source-days failed."""


class CollectionCheck(BaseModel):
    """The outcome of a day's collection under ``collect.failure_threshold``."""

    outcome: Literal["ok", "partial"]
    failed_share: float
    failed: list[str]
    summary: str


class ReparseResult(BaseModel):
    """What reparsing did: a report per source-day with archived pages."""

    reports: list[ReparseReport]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rewritten(self) -> list[str]:
        """``source date`` of every partition reparsing rewrote."""
        return [f"{r.source} {r.date}" for r in self.reports if r.result in ("new", "changed")]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def days(self) -> list[dt.date]:
        """The days whose raw data changed: the ones to process again."""
        changed = {r.date for r in self.reports if r.result in ("new", "changed")}
        return sorted(changed)


class ProcessingResult(BaseModel):
    """What processing some days did: a report per day written."""

    days: list[dt.date]
    rows_in: int
    rows_out: int
    reports: list[ProcessReport]


def day_of(value: Day) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def last_days(count: int, *, until: dt.date) -> list[dt.date]:
    """The ``count`` days ending with ``until``, oldest first."""
    return [until - dt.timedelta(days=offset) for offset in range(count - 1, -1, -1)]


def source_names(deployment: Deployment | None = None) -> list[str]:
    """The sources to collect: ``collect.sources``, else every one horogen knows."""
    deployment = deployment or Deployment.load()
    return list(deployment.settings.collect.sources or SOURCES)


def collect_days(
    days: Sequence[Day],
    sources: Sequence[str] | None = None,
    *,
    refresh: bool = False,
    deployment: Deployment | None = None,
    on_day_done: Callable[[dt.date], None] | None = None,
) -> CollectionResult:
    """Collect ``days`` from ``sources`` (default: all); a source-day collected cleanly
    before is kept unless ``refresh``. Never raises because a site failed: the result (and
    each source-day's report in the lake) says what failed; :func:`check_collection`
    applies the threshold."""
    deployment = deployment or Deployment.load()
    return collect(
        deployment.lake,
        deployment.settings.collect,
        [day_of(day) for day in days],
        sources=sources,
        refresh=refresh,
        on_day_done=on_day_done,
    )


def reparse_days(
    days: Sequence[Day] | None = None,
    sources: Sequence[str] | None = None,
    *,
    deployment: Deployment | None = None,
) -> ReparseResult:
    """Rebuild the raw partitions of ``days`` (default: every archived day) of ``sources``
    from the page archive with the installed adapters, offline: what to run after an
    adapter fix (then :func:`process` for the days it rewrote)."""
    from horogen.collect.reparse import reparse

    deployment = deployment or Deployment.load()
    wanted = [day_of(day) for day in days] if days is not None else None
    reports = [
        report
        for report in reparse(deployment.lake, wanted, sources)
        if report.result != "no pages"
    ]
    return ReparseResult(reports=reports)


def check_collection(
    results: Sequence[CollectionResult | Mapping[str, Any]],
    *,
    deployment: Deployment | None = None,
) -> CollectionCheck:
    """Apply ``collect.failure_threshold`` to what ``results`` (of :func:`collect_days`,
    one per source in the DAG) collected: :class:`CollectionFailed` at or above it (a day
    no source serves counts as failed), else the outcome (``ok`` or ``partial``)."""
    deployment = deployment or Deployment.load()
    first, *others = [CollectionResult.model_validate(result) for result in results]
    result = first.merged(others)
    threshold = deployment.settings.collect.failure_threshold
    summary = result.summary(threshold)
    if not result.succeeded(threshold):
        raise CollectionFailed(
            f"collection failed: {summary}; failed: {', '.join(result.failed_or_unserved)}; "
            "see reports/collect/ in the lake"
        )
    return CollectionCheck(
        outcome="partial" if result.failed_share > 0 else "ok",
        failed_share=result.failed_share,
        failed=result.failed_or_unserved,
        summary=summary,
    )


def processing_engine(deployment: Deployment | None = None) -> EngineName:
    """Which engine processing runs on (``process.engine``)."""
    return (deployment or Deployment.load()).settings.process.engine


def process(
    days: Sequence[Day] | None,
    *,
    engine: EngineName | None = None,
    missing: Literal["error", "skip"] = "skip",
    deployment: Deployment | None = None,
) -> ProcessingResult:
    """Clean the raw partitions of ``days`` (every raw partition when ``None``); days
    without raw data are skipped, or with ``missing="error"`` an error."""
    deployment = deployment or Deployment.load()
    reports = process_days(
        deployment.lake,
        deployment.settings.process,
        None if days is None else [day_of(day) for day in days],
        engine,
        missing=missing,
    )
    return ProcessingResult(
        days=[report.date for report in reports],
        rows_in=sum(report.rows_in for report in reports),
        rows_out=sum(report.rows_out for report in reports),
        reports=reports,
    )


def retrain_due(day: Day, *, deployment: Deployment | None = None) -> RetrainDecision:
    """Whether to train a new version on ``day``, and on which window
    (:func:`horogen.train.schedule.retrain_due`)."""
    from horogen.train.schedule import retrain_due as decide

    deployment = deployment or Deployment.load()
    return decide(deployment.lake, deployment.settings.train, deployment.models, day_of(day))


def train_window(
    start: Day | None,
    end: Day | None,
    *,
    base: str | None = None,
    epochs: int | None = None,
    resume: bool = False,
    run_name: str | None = None,
    deployment: Deployment | None = None,
    progress: bool = False,
) -> TrainResult:
    """Train on the processed days ``start``..``end`` (open ends: the first or last day
    there is) and register a new version (the challenger). Asked for nothing but the
    window, a run on it left unfinished (its worker killed, or the task timed out)
    continues from its last checkpoint instead: what a retried task does."""
    from horogen.train.data import DataWindow
    from horogen.train.trainer import train

    deployment = deployment or Deployment.load()
    settings = deployment.settings
    window = DataWindow(day_of(start) if start else None, day_of(end) if end else None)
    return train(
        settings.train,
        lake=deployment.lake,
        models=deployment.models,
        strategy=settings.generation.strategy,
        window=window,
        base=base,
        epochs=epochs,
        resume=resume,
        run_name=run_name,
        progress=progress,
    )


def evaluate(
    version: int | str | None = None,
    *,
    deployment: Deployment | None = None,
    on_strategy: Callable[[StrategyResult], None] | None = None,
) -> EvaluationRecord:
    """Evaluate ``version`` (a number or any model reference; default: the challenger) on
    the strategy grid, with the readers' verdicts per version in the report; its best
    strategy goes onto the version."""
    from horogen.evaluate.stage import evaluate_version

    deployment = deployment or Deployment.load()
    settings = deployment.settings
    return evaluate_version(
        str(version) if version else None,
        store=deployment.models,
        settings=settings.evaluate,
        generation=settings.generation,
        on_strategy=on_strategy,
        verdicts=deployment.verdicts,
    )


def promote(
    version: int | None = None, *, force: bool = False, deployment: Deployment | None = None
) -> Decision:
    """The promotion gate for ``version`` (default: the challenger); ``force`` skips it."""
    from horogen.evaluate.stage import promote_version

    deployment = deployment or Deployment.load()
    settings = deployment.settings
    return promote_version(
        version,
        store=deployment.models,
        settings=settings.evaluate,
        generation=settings.generation,
        publish=settings.publish,
        force=force,
        verdicts=deployment.verdicts,
    )


def check_champion(
    *, rollback_on_reject: bool | None = None, deployment: Deployment | None = None
) -> ChampionCheck:
    """Whether readers reject the champion (like it less than the one before it, with
    confidence); with ``rollback_on_reject`` (default: ``evaluate.readers.rollback_on_reject``),
    roll it back."""
    from horogen.evaluate.stage import check_champion as check

    deployment = deployment or Deployment.load()
    settings = deployment.settings.evaluate
    if rollback_on_reject is None:
        rollback_on_reject = settings.readers.rollback_on_reject
    return check(
        deployment.models, settings, deployment.verdicts, rollback_on_reject=rollback_on_reject
    )


def precompute(day: Day | None = None, *, deployment: Deployment | None = None) -> PrecomputeRecord:
    """Generate and store the texts of ``day`` (default: today where the readers are) for
    every sign and category, with the model serving uses."""
    from horogen.serve.precompute import precompute_day

    deployment = deployment or Deployment.load()
    return precompute_day(
        deployment.settings.serve,
        lake=deployment.lake,
        models=deployment.models,
        generation=deployment.settings.generation,
        judge=deployment.judge,
        day=day_of(day) if day else None,
    )


def deliver(day: Day | None = None, *, deployment: Deployment | None = None) -> DeliveryRecord:
    """Send ``day``'s (default today's) horoscope to the bot's subscribers who have not had
    it; raises :class:`~horogen.serve.delivery.DeliveryIncomplete` when some could not be
    sent (a rerun sends those, and only those)."""
    from horogen.serve.delivery import deliver_day

    deployment = deployment or Deployment.load()
    return deliver_day(
        deployment.settings.serve,
        lake=deployment.lake,
        models=deployment.models,
        generation=deployment.settings.generation,
        judge=deployment.judge,
        day=day_of(day) if day else None,
    )
