"""horogen's daily loop as one Airflow DAG: collect → process → retrain? → train →
evaluate → promote → precompute → deliver, a chain that cannot run out of order.

Each task is a thin call into ``horogen.pipeline`` (through ``horogen.orchestration``,
which adds the settings Airflow's Variables and Connections give); nothing here decides
anything the library does not. Heavy imports happen inside the tasks, so the file parses
in well under a second once Airflow itself is loaded, and nothing is created at parse
time.

- collect: one mapped task per source, in parallel; a dead site fails only its own
  report, and ``check_collection`` fails the run only at ``collect.failure_threshold``.
- day: the run's logical date, or for a run triggered without one, the day it runs.
- process: polars on the worker, or ``SparkSubmitOperator`` (connection
  ``spark_default``) when ``process.engine`` is ``spark``.
- readers_check: every day, whether readers reject the champion (like it less than the
  one before it at ``evaluate.readers.confidence``; ``horogen promote --check``), rolled
  back when ``evaluate.readers.rollback_on_reject``; the day is precomputed after it.
- retrain: weekly by default, or when enough new rows arrived since the champion's data
  (``train.retrain_every_days``, ``train.retrain_min_new_rows``); when it is not due,
  the chain still precomputes the day with the current champion.
- deliver: the day's horoscope to the bot's subscribers, once each (a retry or a rerun
  sends only what did not go out).

Every task retries with exponential backoff and has a timeout. Settings: docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
from importlib.util import find_spec
from typing import Any

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from horogen.orchestration import HorogenSparkSubmitOperator

TIMEZONE = "Europe/Moscow"  # where the sites publish, and where the readers are
DEFAULT_ARGS = {
    "retries": 3,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=30),
    "execution_timeout": dt.timedelta(hours=1),
}
#: The processing step as a Spark application (the file ships inside the horogen package).
SPARK_JOB = find_spec("horogen.spark_job").origin
#: Runs after a branch left some of its upstream tasks skipped.
AFTER_BRANCH = "none_failed_min_one_success"


@dag(
    dag_id="horogen_daily",
    schedule=CronTriggerTimetable("0 7 * * *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2026, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["horogen"],
    doc_md=__doc__,
)
def horogen_daily() -> None:
    @task
    def day(logical_date: Any = None, dag_run: Any = None) -> str:
        from horogen.orchestration import run_day

        return run_day(logical_date, dag_run.run_after if dag_run else None)

    @task
    def sources() -> list[str]:
        from horogen import pipeline
        from horogen.orchestration import run_step

        return run_step(pipeline.source_names)

    @task(execution_timeout=dt.timedelta(minutes=30))
    def collect(source: str, day: str) -> dict:
        from horogen import pipeline
        from horogen.orchestration import run_step

        return run_step(pipeline.collect_days, [day], [source])

    @task
    def check_collection(records: list[dict]) -> dict:
        from horogen import pipeline
        from horogen.orchestration import run_step

        return run_step(pipeline.check_collection, list(records))

    @task.branch
    def processing_engine() -> str:
        from horogen import pipeline
        from horogen.orchestration import run_step

        return "process_spark" if run_step(pipeline.processing_engine) == "spark" else "process"

    @task
    def process(day: str) -> dict:
        from horogen import pipeline
        from horogen.orchestration import run_step

        return run_step(pipeline.process, [day])

    process_spark = HorogenSparkSubmitOperator(
        task_id="process_spark",
        application=SPARK_JOB,
        application_args=["--date", "{{ ti.xcom_pull(task_ids='day') }}"],
        conn_id="spark_default",
        execution_timeout=dt.timedelta(hours=2),
    )

    @task(trigger_rule=AFTER_BRANCH)
    def retrain_due(day: str) -> dict:
        from horogen import pipeline
        from horogen.orchestration import run_step

        return run_step(pipeline.retrain_due, day)

    @task.branch
    def retrain_or_precompute(decision: dict) -> str:
        return "train" if decision["due"] else "precompute"

    @task(execution_timeout=dt.timedelta(hours=8), retries=1)
    def train(decision: dict) -> dict:
        from horogen import pipeline
        from horogen.orchestration import run_step

        window = decision["window"]
        return run_step(pipeline.train_window, window["start"], window["end"])

    @task(execution_timeout=dt.timedelta(hours=3))
    def evaluate(trained: dict) -> dict:
        from horogen import pipeline
        from horogen.orchestration import run_step

        return run_step(pipeline.evaluate, trained["version"])

    @task
    def promote(evaluated: dict) -> dict:
        from horogen import pipeline
        from horogen.orchestration import run_step

        return run_step(pipeline.promote, evaluated["version"])

    @task
    def readers_check() -> dict:
        from horogen import pipeline
        from horogen.orchestration import run_step

        return run_step(pipeline.check_champion)

    @task(trigger_rule=AFTER_BRANCH)
    def precompute(day: str) -> dict:
        from horogen import pipeline
        from horogen.orchestration import run_step

        return run_step(pipeline.precompute, day)

    @task(execution_timeout=dt.timedelta(hours=2))
    def deliver(day: str) -> dict:
        from horogen import pipeline
        from horogen.orchestration import run_step

        return run_step(pipeline.deliver, day)

    run = day()
    checked = check_collection(collect.partial(day=run).expand(source=sources()))
    processed = process(run)
    decision = retrain_due(run)
    run >> process_spark
    checked >> processing_engine() >> [processed, process_spark] >> decision
    trained = train(decision)
    branch = retrain_or_precompute(decision)
    served = precompute(run)
    run >> readers_check() >> served
    branch >> [trained, served]
    promote(evaluate(trained)) >> served >> deliver(run)


horogen_daily()
