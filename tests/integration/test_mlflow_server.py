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
