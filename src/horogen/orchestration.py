"""What the Airflow DAG takes from Airflow itself, and how a task runs a pipeline step.

Settings reach a task as ``HOROGEN_*`` variables. On a worker they come from its
environment, or from Airflow: the Variables and Connections below fill the variables the
environment leaves unset, so secrets live in Airflow's store, never in a DAG file.

- Variable ``horogen_scenario``: ``HOROGEN_SCENARIO`` (``demo`` or ``production``);
- Variable ``horogen_config``: ``HOROGEN_CONFIG`` (a settings file on the workers);
- Variable ``horogen_lake``: ``HOROGEN_LAKE``;
- Variable ``horogen_mlflow_tracking_uri``: ``HOROGEN_MLFLOW__TRACKING_URI``;
- Connection ``horogen_s3`` (login, password; extra ``endpoint_url``, ``region_name``):
  ``HOROGEN_S3__ACCESS_KEY_ID``, ``…__SECRET_ACCESS_KEY``, ``…__ENDPOINT_URL``, ``…__REGION``;
- Connection ``horogen_hub`` (password: a hub write token): ``HOROGEN_PUBLISH__TOKEN``;
- Connection ``horogen_serve_cache`` (its URI; a ``postgres`` connection becomes
  ``postgresql+psycopg2://``, the scheme SQLAlchemy 2 accepts): ``HOROGEN_SERVE__CACHE_URL``.

A step that fails in a way a retry cannot mend (a setting is invalid, collection failed
at its threshold) fails its task at once instead of waiting out the retries.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from pydantic import BaseModel

from horogen.errors import ConfigError

VARIABLES = {
    "horogen_scenario": "HOROGEN_SCENARIO",
    "horogen_config": "HOROGEN_CONFIG",
    "horogen_lake": "HOROGEN_LAKE",
    "horogen_mlflow_tracking_uri": "HOROGEN_MLFLOW__TRACKING_URI",
}


def airflow_environment() -> dict[str, str]:
    """The ``HOROGEN_*`` variables that Airflow's Variables and Connections give."""
    from airflow.sdk import Connection, Variable

    found: dict[str, str] = {}
    for name, variable in VARIABLES.items():
        value = Variable.get(name, default=None)
        if value:
            found[variable] = str(value)
    s3 = _connection(Connection, "horogen_s3")
    if s3 is not None:
        extra = s3.extra_dejson
        for variable, value in (
            ("HOROGEN_S3__ACCESS_KEY_ID", s3.login),
            ("HOROGEN_S3__SECRET_ACCESS_KEY", s3.password),
            ("HOROGEN_S3__ENDPOINT_URL", extra.get("endpoint_url")),
            ("HOROGEN_S3__REGION", extra.get("region_name")),
        ):
            if value:
                found[variable] = str(value)
    hub = _connection(Connection, "horogen_hub")
    if hub is not None and hub.password:
        found["HOROGEN_PUBLISH__TOKEN"] = hub.password
    cache = _connection(Connection, "horogen_serve_cache")
    if cache is not None:
        found["HOROGEN_SERVE__CACHE_URL"] = sqlalchemy_url(cache.get_uri())
    return found


def use_airflow_settings() -> None:
    """Add what :func:`airflow_environment` gives to this process's environment, where
    the environment leaves a variable unset (so a child process, spark-submit, has it too)."""
    for variable, value in airflow_environment().items():
        os.environ.setdefault(variable, value)


def run_step(step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``step`` (a function of :mod:`horogen.pipeline`) with the settings Airflow
    gives, and return its record as JSON (what XCom carries): what every task of the DAG
    does."""
    from airflow.sdk.exceptions import AirflowFailException

    from horogen.pipeline import CollectionFailed

    use_airflow_settings()
    try:
        result = step(*args, **kwargs)
    except (ConfigError, CollectionFailed) as error:
        raise AirflowFailException(f"{type(error).__name__}: {error}") from error
    return result.model_dump(mode="json") if isinstance(result, BaseModel) else result


def run_day(logical_date: dt.datetime | None, run_after: dt.datetime | None = None) -> str:
    """The day a run is for (``YYYY-MM-DD``) where the sites publish (``collect.timezone``):
    that of its logical date, or, for a run triggered without one (Airflow 3 allows that),
    of the time it runs. (Airflow's ``ds`` is the logical date's day in UTC: a run at
    01:00 in Moscow would get yesterday.)"""
    use_airflow_settings()
    from horogen.deployment import Deployment

    zone = ZoneInfo(Deployment.load().settings.collect.timezone)
    moment = logical_date or run_after or dt.datetime.now(dt.UTC)
    return moment.astimezone(zone).date().isoformat()


class HorogenSparkSubmitOperator(SparkSubmitOperator):
    """``SparkSubmitOperator`` whose spark-submit (a child process that reads its settings
    from the environment) also gets the settings Airflow's Variables and Connections give."""

    def execute(self, context: Any) -> None:
        use_airflow_settings()
        super().execute(context)


def sqlalchemy_url(uri: str) -> str:
    """A connection URI as SQLAlchemy 2 takes it: Airflow writes ``postgres://``."""
    for scheme in ("postgres://", "postgresql://"):
        if uri.startswith(scheme):
            return "postgresql+psycopg2://" + uri.removeprefix(scheme)
    return uri


def _connection(connection: Any, conn_id: str) -> Any:
    """The connection ``conn_id``, or ``None`` when Airflow has none by that id."""
    from airflow.sdk.exceptions import AirflowNotFoundException, AirflowRuntimeError

    try:
        return connection.get(conn_id)
    except (AirflowNotFoundException, AirflowRuntimeError):  # the latter: CONNECTION_NOT_FOUND
        return None
