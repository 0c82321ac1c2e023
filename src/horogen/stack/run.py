"""``up``, ``status`` and ``down``: the stack's services in order, then its manifest.

Every port is chosen before anything starts, so each service's settings are known at
once and independent services start side by side: S3 then MLflow then the replicas; the
Spark cluster; Airflow; the mirror. A service that does not come up stops ``up`` with its
name and the end of its log, and everything started so far is stopped again.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from horogen.errors import HorogenError
from horogen.stack import (
    DEFAULT_POSTGRES,
    DEFAULT_REDIS,
    airflow,
    databases,
    manifest,
    mirror,
    mlflow,
    replicas,
    s3,
    spark,
)
from horogen.stack.manifest import AirflowAccess, Resources, StackManifest
from horogen.stack.processes import Launcher, free_port, running, stop

#: The shipped settings file every horogen process of the stack reads (scenarios/stack.toml).
SCENARIO = "stack"


class StackError(HorogenError):
    """A stack cannot be brought up, read or brought down as asked."""


@dataclass(frozen=True)
class Ports:
    """Every port of a stack, chosen before anything starts."""

    s3: int
    mlflow: int
    spark: int
    spark_ui: int
    airflow: int
    mirror: int
    serve: tuple[int, ...]

    @classmethod
    def choose(cls) -> Ports:
        return cls(
            s3=free_port(),
            mlflow=free_port(),
            spark=free_port(),
            spark_ui=free_port(),
            airflow=free_port(),
            mirror=free_port(),
            serve=tuple(free_port() for _ in range(replicas.REPLICAS)),
        )


def up(
    folder: Path,
    *,
    postgres: str = DEFAULT_POSTGRES,
    redis: str = DEFAULT_REDIS,
    dags: Path | None = None,
) -> StackManifest:
    """Start every service of the stack in ``folder`` and wait until all are healthy; the
    manifest written to ``folder/stack.json``."""
    folder = folder.resolve()
    dags = (dags or airflow.default_dags()).resolve()
    if not (dags / "horogen_daily.py").is_file():
        raise StackError(f"{dags} has no horogen_daily.py: name the DAG folder with --dags")
    previous = manifest.read(folder)
    if previous is None and folder.is_dir() and any(folder.iterdir()):
        raise StackError(f"{folder} is not empty and holds no stack: choose another --dir")
    if previous is not None and any(running(record) for record in previous.processes):
        raise StackError(
            f"a stack is already up in {folder} (`horogen stack status --dir {folder}`); "
            f"`horogen stack down --dir {folder}` first"
        )
    resources = _resources(previous, postgres, redis)
    databases.create_databases(resources.postgres, resources.databases)
    starting = StackManifest(state="starting", dir=str(folder), resources=resources)
    manifest.write(folder, starting)

    ports = Ports.choose()
    stack = starting.model_copy(
        update={
            "mlflow": f"http://127.0.0.1:{ports.mlflow}",
            "spark": f"spark://127.0.0.1:{ports.spark}",
            "spark_ui": f"http://127.0.0.1:{ports.spark_ui}",
            "s3": f"http://127.0.0.1:{ports.s3}",
            "lake": str(folder / "lake"),
            "mirror": f"http://127.0.0.1:{ports.mirror}",
            "serve": [f"http://127.0.0.1:{port}" for port in ports.serve],
        }
    )
    stack = stack.model_copy(update={"env": horogen_environment(stack)})
    env = base_environment() | stack.env
    (folder / "lake").mkdir(parents=True, exist_ok=True)
    home = folder / "airflow"
    worker = f"horogen-stack-{resources.id}@127.0.0.1"
    airflow_env = airflow.environment(
        home=home,
        dags=dags,
        metadata_url=stack.database_url("airflow"),
        broker_url=resources.redis,
        api_port=ports.airflow,
        spark_master=stack.spark,
        inherited=env,
    )
    launcher = Launcher(folder / "logs")

    def tracking_and_serving() -> None:
        s3.start(launcher, env | s3.CREDENTIALS, ports.s3)
        s3.restore(stack.s3, resources.bucket, folder / "s3")
        mlflow.start(
            launcher,
            stack.database_url("mlflow"),
            f"s3://{resources.bucket}/mlflow",
            stack.s3,
            env | s3.CREDENTIALS,
            port=ports.mlflow,
        )
        replicas.start(launcher, env, list(ports.serve))

    answers: dict[str, Any] = {}

    def orchestration() -> None:
        answers["airflow"] = airflow.start(launcher, airflow_env, home=home, worker_name=worker)

    try:
        _all(
            launcher,
            tracking_and_serving,
            lambda: spark.start(
                launcher, env, folder / "spark", port=ports.spark, ui_port=ports.spark_ui
            ),
            orchestration,
            lambda: mirror.start(launcher, env, ports.mirror),
        )
    except BaseException:
        launcher.stop_all()
        raise
    _, url, password = answers["airflow"]
    ready = stack.model_copy(
        update={
            "state": "up",
            "airflow": AirflowAccess(
                url=url, username=airflow.USERNAME, password=password, worker=worker
            ),
            "processes": list(launcher.records),
        }
    )
    manifest.write(folder, ready)
    return ready


def _all(launcher: Launcher, *steps: Callable[[], object]) -> None:
    """Run ``steps`` side by side. At the first failure every process started is stopped
    (so the other steps fail fast too), and that failure is raised."""
    with ThreadPoolExecutor(max_workers=len(steps)) as pool:
        futures: list[Future[object]] = [pool.submit(step) for step in steps]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = [future for future in done if future.exception() is not None]
        if failed:
            launcher.stop_all()
            raise failed[0].exception()  # type: ignore[misc]


def _resources(previous: StackManifest | None, postgres: str, redis: str) -> Resources:
    """The previous stack's databases and bucket (its data), else new ones."""
    if previous is not None:
        kept = previous.resources
        if kept.postgres != postgres or kept.redis.rsplit("/", 1)[0] != redis.rstrip("/"):
            raise StackError(
                f"the stack in {previous.dir} keeps its data on {kept.postgres} and "
                f"{kept.redis.rsplit('/', 1)[0]}: give those, or remove it first with "
                f"`horogen stack down --purge --dir {previous.dir}`"
            )
        if not databases.redis_claimed_by(kept.redis, kept.id):  # emptied since: claim anew
            kept = kept.model_copy(update={"redis": databases.claim_redis_database(redis, kept.id)})
        return kept
    stack_id = uuid.uuid4().hex[:10]
    return Resources(
        id=stack_id,
        postgres=postgres,
        databases=databases.database_names(stack_id),
        redis=databases.claim_redis_database(redis, stack_id),
        bucket=f"horogen-stack-{stack_id}",
    )


def base_environment() -> dict[str, str]:
    """The environment the stack's processes start from: this one, unbuffered output, and
    this interpreter for Spark's Python workers."""
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    return env | {
        "PYTHONUNBUFFERED": "1",
        "PYSPARK_PYTHON": env.get("PYSPARK_PYTHON", sys.executable),
        "PYSPARK_DRIVER_PYTHON": env.get("PYSPARK_DRIVER_PYTHON", sys.executable),
        "SPARK_LOCAL_IP": "127.0.0.1",
    }


def horogen_environment(stack: StackManifest) -> dict[str, str]:
    """horogen's settings for this stack: the shipped scenario plus where its services are.
    Every horogen process of the stack (the Airflow worker's tasks, the Spark job, the
    replicas) runs with them; so can a person's ``horogen`` commands."""
    return {
        "HOROGEN_SCENARIO": SCENARIO,
        "HOROGEN_LAKE": stack.lake,
        "HOROGEN_MLFLOW__TRACKING_URI": stack.mlflow,
        "HOROGEN_SERVE__CACHE_URL": stack.database_url("serve"),
        "HOROGEN_COLLECT__MIRROR": stack.mirror,
        "HOROGEN_PROCESS__SPARK_MASTER": stack.spark,
    }


# --- status --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    """One line of ``status``: a service, where it answers and whether it is healthy."""

    service: str
    address: str
    healthy: bool
    detail: str = ""


def require(folder: Path) -> StackManifest:
    stack = manifest.read(folder.resolve())
    if stack is None:
        raise StackError(
            f"there is no stack in {folder.resolve()}: `horogen stack up --dir {folder}`"
        )
    return stack


def status(folder: Path) -> tuple[StackManifest, list[Health]]:
    """The stack's services and their health, probed now."""
    stack = require(folder)
    if stack.state != "up":
        return stack, []
    processes = {record.name: record for record in stack.processes}

    def alive(*names: str) -> list[str]:
        return [name for name in names if name not in processes or not running(processes[name])]

    def check(service: str, address: str, names: tuple[str, ...], probe: Callable[[], str]):
        down = alive(*names)
        if down:
            return Health(service, address, False, f"not running: {', '.join(down)}")
        try:
            detail = probe()
        except (HorogenError, httpx.HTTPError, OSError, ValueError, KeyError) as error:
            return Health(service, address, False, f"{type(error).__name__}: {error}")
        return Health(service, address, not detail.startswith("!"), detail.lstrip("!"))

    assert stack.airflow is not None
    access = stack.airflow
    lines = [
        check(
            "airflow",
            access.url,
            (
                "airflow-api-server",
                "airflow-scheduler",
                "airflow-dag-processor",
                "airflow-celery-worker",
            ),
            lambda: _airflow_health(access, stack.resources.redis),
        ),
        check("mlflow", stack.mlflow, ("mlflow",), lambda: _ok(mlflow.healthy(stack.mlflow))),
        check(
            "spark",
            stack.spark,
            ("spark-master", *(f"spark-worker-{n}" for n in range(1, spark.WORKERS + 1))),
            lambda: _spark_health(stack.spark_ui),
        ),
        check("spark_ui", stack.spark_ui, ("spark-master",), lambda: _spark_health(stack.spark_ui)),
        check("s3", stack.s3, ("s3",), lambda: _ok(s3.client(stack.s3).list_buckets() is not None)),
        Health("lake", stack.lake, Path(stack.lake).is_dir(), "a folder every process shares"),
        check("mirror", stack.mirror, ("mirror",), lambda: _ok(mirror.healthy(stack.mirror))),
    ]
    for number, url in enumerate(stack.serve, start=1):
        lines.append(
            check(f"serve[{number}]", url, (f"serve-{number}",), lambda url=url: _replica(url))
        )
    return stack, lines


def _ok(healthy: bool) -> str:
    return "healthy" if healthy else "!not healthy"


def _airflow_health(access: AirflowAccess, broker: str) -> str:
    health = airflow.AirflowClient(access.url, access.username, access.password).health()
    parts = [
        f"{name} {health.get(name, {}).get('status', 'unknown')}"
        for name in ("metadatabase", "scheduler", "dag_processor")
    ]
    answers = airflow.worker_answers(broker, access.worker)
    parts.append(f"celery worker {'healthy' if answers else 'not answering'}")
    healthy = answers and all(part.endswith(" healthy") for part in parts)
    return ("" if healthy else "!") + ", ".join(parts)


def _spark_health(ui: str) -> str:
    state = spark.cluster(ui)
    detail = f"{state.get('status')}, {state.get('aliveworkers')} workers alive"
    return detail if spark.healthy(ui) else "!" + detail


def _replica(url: str) -> str:
    if not replicas.healthy(url):
        return "!not answering"
    if replicas.ready(url):
        return "healthy, serving the champion"
    return "healthy; not ready: no champion yet (run the DAG)"


# --- down ----------------------------------------------------------------------------------


def down(folder: Path, *, purge: bool = False) -> list[str]:
    """Stop every process ``up`` started (and nothing else); with ``purge`` also drop the
    databases, empty the Redis database and remove the folder. The services stopped."""
    folder = folder.resolve()
    stack = manifest.read(folder)
    if stack is None:
        raise StackError(f"there is no stack in {folder} (no {manifest.FILE})")
    s3_record = next((record for record in stack.processes if record.name == "s3"), None)
    if s3_record is not None and running(s3_record) and not purge:
        s3.save(stack.s3, stack.resources.bucket, folder / "s3")  # moto keeps objects in memory
    stopped = stop(stack.processes)
    if purge:
        databases.drop_databases(stack.resources.postgres, stack.resources.databases)
        databases.release_redis_database(stack.resources.redis, stack.resources.id)
        shutil.rmtree(folder)
    else:
        manifest.write(folder, stack.model_copy(update={"state": "down", "processes": []}))
    return stopped
