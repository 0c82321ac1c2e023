"""Airflow 3 on Celery: api-server, scheduler, dag-processor and one Celery worker.

Every process gets the same environment: PostgreSQL metadata (``postgresql+psycopg2``; the
migration also needs ``asyncpg``), Redis as the broker, the Celery results in the metadata
database (``db+postgresql+psycopg2``: SQLAlchemy 2.1 would otherwise pick psycopg 3), one
JWT secret, the execution API's URL, and ports of their own for the scheduler's health
check and the log servers. Airflow's own settings the caller's environment sets
(``AIRFLOW__…``) are kept, so a test can shorten ``[execution_api] jwt_expiration_time``.

The worker runs horogen's tasks, so it has horogen's settings for the stack (the ``env``
the caller passes) and ``spark_default`` pointing at the stack's Spark master.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from horogen.errors import ConfigError
from horogen.stack.processes import Launcher, ProcessRecord, free_port, wait_until

USERNAME = "admin"
DAG_ID = "horogen_daily"
#: Task processes the Celery worker runs at once (two cores here; tasks import torch).
WORKER_CONCURRENCY = 2


def airflow_command() -> str:
    command = Path(sys.executable).with_name("airflow")
    if not command.exists():
        raise ConfigError("the stack's Airflow needs apache-airflow: pip install 'horogen[stack]'")
    return str(command)


def default_dags() -> Path:
    """The repository's ``dags/`` (beside ``src/`` in a checkout)."""
    import horogen

    return Path(horogen.__file__).resolve().parents[2] / "dags"


def environment(
    *,
    home: Path,
    dags: Path,
    metadata_url: str,
    broker_url: str,
    api_port: int,
    spark_master: str,
    inherited: Mapping[str, str],
) -> dict[str, str]:
    """The environment every Airflow process of the stack runs with."""
    host, port = spark_master.rsplit(":", 1)
    settings = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata_url,
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
        # The worker's name and each task's arguments in the result backend: which worker
        # ran what, readable from outside.
        "AIRFLOW__CELERY__EXTRA_CELERY_CONFIG": json.dumps({"result_extended": True}),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": _secret(home, "jwt_secret"),
        "AIRFLOW__API__SECRET_KEY": _secret(home, "secret_key"),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW_CONN_SPARK_DEFAULT": json.dumps(
            {"conn_type": "spark", "host": host, "port": int(port)}
        ),
    }
    # Airflow settings the caller gave win (a shorter token lifetime, more logging).
    given = {key: value for key, value in inherited.items() if key.startswith("AIRFLOW__")}
    return dict(inherited) | settings | given


def _secret(home: Path, name: str) -> str:
    """A secret every Airflow process shares, kept in the Airflow home across restarts."""
    file = home / f".{name}"
    if not file.exists():
        home.mkdir(parents=True, exist_ok=True)
        file.write_text(secrets.token_urlsafe(32))
        file.chmod(0o600)
    return file.read_text().strip()


def password(home: Path) -> str:
    """The admin's password, written before the api-server first reads it."""
    file = home / "passwords.json"
    if not file.exists():
        home.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps({USERNAME: secrets.token_urlsafe(12)}))
        file.chmod(0o600)
    return json.loads(file.read_text())[USERNAME]


def start(
    launcher: Launcher, env: Mapping[str, str], *, home: Path, worker_name: str
) -> tuple[list[ProcessRecord], str, str]:
    """Migrate the metadata database, then the four processes; their records, the API's URL
    and the admin's password. Healthy means the API says the scheduler and the
    dag-processor heartbeat, the worker answers Celery's ping, and the DAG is parsed."""
    airflow = airflow_command()
    secret = password(home)
    launcher.run_once("airflow-migrate", [airflow, "db", "migrate"], env=env, timeout=600)
    url = env["AIRFLOW__API__BASE_URL"]
    records = [
        launcher.spawn("airflow-api-server", [airflow, "api-server"], env=env),
        launcher.spawn("airflow-scheduler", [airflow, "scheduler"], env=env),
        launcher.spawn("airflow-dag-processor", [airflow, "dag-processor"], env=env),
        launcher.spawn(
            "airflow-celery-worker",
            [
                airflow,
                "celery",
                "worker",
                "--celery-hostname",
                worker_name,
                "--concurrency",
                str(WORKER_CONCURRENCY),
            ],
            env=env,
        ),
    ]
    api, scheduler, dag_processor, worker = records
    wait_until(api, lambda: httpx.get(f"{url}/api/v2/version", timeout=3).is_success, timeout=240)
    client = AirflowClient(url, USERNAME, secret)
    wait_until(scheduler, lambda: component_healthy(client.health(), "scheduler"), timeout=240)
    wait_until(
        dag_processor, lambda: component_healthy(client.health(), "dag_processor"), timeout=240
    )
    wait_until(
        dag_processor, lambda: client.dag_parsed(DAG_ID), timeout=240, what="parsing the DAG"
    )
    wait_until(
        worker, lambda: worker_answers(env["AIRFLOW__CELERY__BROKER_URL"], worker_name), timeout=240
    )
    return records, url, secret


def component_healthy(health: dict[str, Any], component: str) -> bool:
    return health.get(component, {}).get("status") == "healthy"


def worker_answers(broker_url: str, name: str) -> bool:
    """Whether the Celery worker ``name`` answers a ping over the broker."""
    from celery import Celery

    app = Celery(broker=broker_url)
    try:
        replies = app.control.ping(destination=[name], timeout=2)
    finally:
        app.close()
    return any(name in reply for reply in replies)


class AirflowClient:
    """The few calls of Airflow's REST API the stack makes (a token from ``/auth/token``)."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self.password = password
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            response = httpx.post(
                f"{self.url}/auth/token",
                json={"username": self.username, "password": self.password},
                timeout=10,
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token()}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30, **options)

    def health(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5).json()

    def dag_parsed(self, dag_id: str) -> bool:
        """The DAG is in the metadata database; an import error of its file fails at once."""
        response = self.request("GET", f"/api/v2/dags/{dag_id}")
        if response.is_success:
            return True
        errors = self.request("GET", "/api/v2/importErrors").json().get("import_errors", [])
        if errors:
            first = errors[0]
            raise ConfigError(
                f"Airflow cannot import {first.get('filename')}: "
                f"{first.get('stack_trace', '').strip().splitlines()[-1:]}"
            )
        return False
