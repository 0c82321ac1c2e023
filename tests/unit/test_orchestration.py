"""What the DAG's tasks take from Airflow (Variables and Connections, here from Airflow's
environment-variable secrets backend), the day a run is for, and which failures skip the
retries."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator

import pytest
from airflow.sdk.exceptions import AirflowFailException

from horogen import orchestration, pipeline


@pytest.fixture(autouse=True)
def _clean(monkeypatch, tmp_path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("HOROGEN_", "AIRFLOW_VAR_", "AIRFLOW_CONN_")):
            monkeypatch.delenv(name)
    yield
    # use_airflow_settings writes to os.environ itself: take back what it added.
    for name in list(os.environ):
        if name.startswith("HOROGEN_"):
            del os.environ[name]


def test_variables_and_connections_become_horogen_settings(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_HOROGEN_SCENARIO", "production")
    monkeypatch.setenv("AIRFLOW_VAR_HOROGEN_MLFLOW_TRACKING_URI", "http://mlflow:5000")
    s3 = {
        "conn_type": "aws",
        "login": "AKIAEXAMPLE",
        "password": "secret-key-123",
        "extra": {"endpoint_url": "http://minio:9000", "region_name": "eu-central-1"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_HOROGEN_S3", json.dumps(s3))
    monkeypatch.setenv("AIRFLOW_CONN_HOROGEN_HUB", json.dumps({"password": "hf_token_abc"}))
    cache = {"conn_type": "postgres", "host": "db", "login": "horogen", "schema": "serving"}
    monkeypatch.setenv("AIRFLOW_CONN_HOROGEN_SERVE_CACHE", json.dumps(cache | {"port": 5432}))

    assert orchestration.airflow_environment() == {
        "HOROGEN_SCENARIO": "production",
        "HOROGEN_MLFLOW__TRACKING_URI": "http://mlflow:5000",
        "HOROGEN_S3__ACCESS_KEY_ID": "AKIAEXAMPLE",
        "HOROGEN_S3__SECRET_ACCESS_KEY": "secret-key-123",
        "HOROGEN_S3__ENDPOINT_URL": "http://minio:9000",
        "HOROGEN_S3__REGION": "eu-central-1",
        "HOROGEN_PUBLISH__TOKEN": "hf_token_abc",
        # Airflow writes postgres://, which SQLAlchemy 2 refuses.
        "HOROGEN_SERVE__CACHE_URL": "postgresql+psycopg2://horogen@db:5432/serving",
    }


def test_the_environment_of_a_worker_wins_over_airflow(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_HOROGEN_LAKE", "s3://from-airflow/horogen")
    monkeypatch.setenv("AIRFLOW_VAR_HOROGEN_SCENARIO", "demo")
    monkeypatch.setenv("HOROGEN_LAKE", "/from/worker")
    orchestration.use_airflow_settings()
    assert os.environ["HOROGEN_LAKE"] == "/from/worker"
    assert os.environ["HOROGEN_SCENARIO"] == "demo"
    assert orchestration.run_step(pipeline.processing_engine) == "polars"


def test_nothing_set_gives_nothing() -> None:
    assert orchestration.airflow_environment() == {}


def test_a_failure_a_retry_cannot_mend_fails_the_task_at_once(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_HOROGEN_SCENARIO", "staging")
    with pytest.raises(AirflowFailException, match="ConfigError: there is no scenario 'staging'"):
        orchestration.run_step(pipeline.processing_engine)


def test_a_run_is_for_its_logical_date_else_the_day_it_runs_in_moscow() -> None:
    scheduled = dt.datetime(2026, 11, 29, 4, 0, tzinfo=dt.UTC)  # 07:00 in Moscow
    late_evening_utc = dt.datetime(2026, 11, 29, 22, 30, tzinfo=dt.UTC)  # 01:30 in Moscow
    assert orchestration.run_day(scheduled, late_evening_utc) == "2026-11-29"
    assert orchestration.run_day(late_evening_utc) == "2026-11-30"  # not ds, the UTC day
    assert orchestration.run_day(None, late_evening_utc) == "2026-11-30"


def test_sqlalchemy_urls_are_left_alone() -> None:
    url = "postgresql+psycopg2://u@h/db"
    assert orchestration.sqlalchemy_url(url) == url
    assert orchestration.sqlalchemy_url("postgresql://u@h/db") == url
    assert orchestration.sqlalchemy_url("sqlite:////tmp/c.db") == "sqlite:////tmp/c.db"
