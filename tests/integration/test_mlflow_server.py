"""Production-shaped tracking: a real `mlflow server` with the machine's PostgreSQL as its
backend store and S3 (moto's server on 127.0.0.1) as its artifact store, proxied."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import mlflow
import psycopg2
import pytest

from horogen.lake import Lake
from horogen.model.settings import MlflowSettings
from train_corpus import tiny_settings, tiny_train_settings, train_with, write_corpus

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


@pytest.fixture
def database() -> Iterator[str]:
    """A throw-away database, dropped afterwards (with whatever still connects to it)."""
    name = f"horogen_mlflow_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(dbname="postgres", **POSTGRES)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield name
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


#: How uvicorn, which serves MLflow, reports the port it bound.
LISTENING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


@pytest.fixture
def mlflow_server(
    database: str, s3_endpoint: str, s3_bucket: str, tmp_path: Path, monkeypatch
) -> Iterator[str]:
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    # Port 0: the server binds a free port and says which in its log (uvicorn's line).
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", "0"]
    command += ["--workers", "1"]
    command += ["--backend-store-uri", f"postgresql+psycopg2://postgres@127.0.0.1:5432/{database}"]
    command += ["--artifacts-destination", f"s3://{s3_bucket}/mlflow"]
    log = tmp_path / "mlflow-server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, env=os.environ.copy(), stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path
        )
    try:
        deadline = time.monotonic() + 180
        url = None
        while True:
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            listening = LISTENING.search(log.read_text(errors="replace"))
            url = listening.group(1) if listening else None
            try:
                if url and httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_trains_registers_and_loads_back_through_the_server(
    mlflow_server: str, database: str, s3_endpoint: str, s3_bucket: str, tmp_path: Path
) -> None:
    lake = Lake(str(tmp_path / "lake"))
    write_corpus(lake, dt.date(2026, 11, 1), 3)
    settings = tiny_settings(
        lake.uri,
        train=tiny_train_settings(epochs=2),
        mlflow=MlflowSettings(tracking_uri=mlflow_server),
    )

    result = train_with(settings, progress=False)

    assert result.record.model_uri == "models:/horogen/1"
    model = mlflow.pyfunc.load_model("models:/horogen/1")
    (text,) = model.predict(["aries"], params={"seed": 1})
    assert re.search(r"[а-яё]", text, re.IGNORECASE)

    # The run is in PostgreSQL, the model files in S3.
    with psycopg2.connect(dbname=database, **POSTGRES) as connection, connection.cursor() as cur:
        cur.execute("SELECT status FROM runs WHERE run_uuid = %s", (result.record.mlflow_run_id,))
        assert cur.fetchone() == ("FINISHED",)
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=s3_bucket, Prefix="mlflow/")
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    assert any(key.endswith("model.safetensors") for key in keys), keys
    assert any(key.endswith("data/fingerprint.json") for key in keys), keys


#: A backend store as the MLflow release before the installed one made it.
PREVIOUS_RELEASE = Path(__file__).parents[1] / "fixtures" / "mlflow" / "mlflow-3.16.1.sql"


def test_the_stacks_two_worker_server_migrates_a_database_of_the_previous_release(
    database: str, s3_endpoint: str, s3_bucket: str, tmp_path: Path
) -> None:
    """``horogen stack``'s MLflow service on a database MLflow 3.16.1 made: migrated once
    (``mlflow db upgrade``) before the two workers start, then old and new data alike."""
    from mlflow import MlflowClient
    from mlflow.store.db.utils import _get_latest_schema_revision

    from horogen.stack import mlflow as service
    from horogen.stack.processes import Launcher, free_port, group

    with psycopg2.connect(dbname=database, **POSTGRES) as connection, connection.cursor() as cur:
        cur.execute(PREVIOUS_RELEASE.read_text())
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{database}"
    launcher = Launcher(tmp_path / "logs")
    try:
        record, server = service.start(
            launcher,
            url,
            f"s3://{s3_bucket}/mlflow",
            s3_endpoint,
            dict(os.environ),
            port=free_port(),
        )
        assert len(group(record)) >= 1 + service.WORKERS  # the server and its two workers
        client = MlflowClient(tracking_uri=server, registry_uri=server)
        champion = client.get_model_version_by_alias("horogen", "champion")
        assert (champion.version, champion.tags["data_window"]) == ("1", "2026-11-01..2026-11-30")
        old = client.get_run(champion.run_id)
        assert old.info.status == "FINISHED" and old.data.params == {"epochs": "2"}
        losses = client.get_metric_history(champion.run_id, "loss")
        assert [metric.value for metric in losses] == [2.5, 1.9, 1.4]
        # New writes on the migrated schema, across both workers.
        experiment = client.get_experiment_by_name("horogen-training").experiment_id
        run = client.create_run(experiment)
        for step in range(8):
            client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), step=step)
        client.set_terminated(run.info.run_id)
        version = client.create_model_version("horogen", "s3://elsewhere/model", run.info.run_id)
        client.set_registered_model_alias("horogen", "champion", version.version)
        assert client.get_model_version_by_alias("horogen", "champion").version == "2"
        assert len(client.get_metric_history(run.info.run_id, "loss")) == 8
    finally:
        launcher.stop_all()
    with psycopg2.connect(dbname=database, **POSTGRES) as connection, connection.cursor() as cur:
        cur.execute("SELECT version_num FROM alembic_version")
        assert cur.fetchone() == (_get_latest_schema_revision(),)
    assert "mlflow db upgrade" in (tmp_path / "logs" / "mlflow-upgrade.log").read_text()
