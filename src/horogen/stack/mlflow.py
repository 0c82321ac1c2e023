"""The MLflow tracking server: two workers, PostgreSQL as the backend store, S3 artifacts.

A database that already holds MLflow's tables (this stack's from an earlier ``up``, or one
an older MLflow release made) is migrated with ``mlflow db upgrade`` first, by one process,
before the server starts: the server refuses an old schema, and its workers must not race
to migrate it (MLflow issue #19299). An empty database the server sets up itself, once, in
its parent process before the workers start.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import httpx

from horogen.stack.processes import Launcher, ProcessRecord, wait_until

WORKERS = 2


def holds_tables(database_url: str) -> bool:
    """Whether the database already has MLflow's schema (its migration table)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(database_url)
    try:
        return sqlalchemy.inspect(engine).has_table("alembic_version")
    finally:
        engine.dispose()


def upgrade(launcher: Launcher, database_url: str, env: Mapping[str, str], name: str) -> None:
    command = [sys.executable, "-m", "mlflow", "db", "upgrade", database_url]
    launcher.run_once(f"{name}-upgrade", command, env=env, timeout=300)


def start(
    launcher: Launcher,
    database_url: str,
    artifacts: str,
    s3_endpoint: str,
    env: Mapping[str, str],
    *,
    port: int,
    name: str = "mlflow",
) -> tuple[ProcessRecord, str]:
    """Migrate the database if it needs it, then the server on ``port``; the record and
    its URL."""
    env = dict(env) | {"MLFLOW_S3_ENDPOINT_URL": s3_endpoint}
    if holds_tables(database_url):
        upgrade(launcher, database_url, env, name)
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(WORKERS)]
    command += ["--backend-store-uri", database_url, "--artifacts-destination", artifacts]
    record = launcher.spawn(name, command, env=env)
    url = f"http://127.0.0.1:{port}"
    wait_until(record, lambda: healthy(url), timeout=180)
    return record, url


def healthy(url: str) -> bool:
    """The server answers its health check and a registry query (so the store works)."""
    if not httpx.get(f"{url}/health", timeout=3).is_success:
        return False
    search = httpx.get(
        f"{url}/api/2.0/mlflow/registered-models/search", params={"max_results": 1}, timeout=5
    )
    return search.is_success
