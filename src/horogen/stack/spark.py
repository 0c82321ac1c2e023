"""A Spark standalone cluster from the pyspark wheel: one master and two workers.

The wheel has no ``start-master.sh``; ``bin/spark-class`` runs the master and worker
classes in the foreground (what ``sbin/spark-daemon.sh`` runs in the background), so each
is one process of the stack with its own log. Each worker offers one core and 1 GiB, so an
application gets two executors in two JVMs, as on a real cluster.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from horogen.errors import ConfigError
from horogen.stack.processes import Launcher, ProcessRecord, free_port, wait_until

WORKERS = 2
WORKER_CORES = 1
WORKER_MEMORY = "1g"


def spark_home() -> Path:
    try:
        import pyspark
    except ImportError:
        raise ConfigError(
            "the stack's Spark cluster needs pyspark: pip install 'horogen[spark]'"
        ) from None
    return Path(pyspark.__file__).parent


def environment(env: Mapping[str, str]) -> dict[str, str]:
    """What every Spark process needs here: loopback only, this Python for Python workers."""
    return dict(env) | {
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": env.get("PYSPARK_PYTHON", sys.executable),
        "PYSPARK_DRIVER_PYTHON": env.get("PYSPARK_DRIVER_PYTHON", sys.executable),
    }


def start(
    launcher: Launcher, env: Mapping[str, str], work: Path, *, port: int, ui_port: int
) -> tuple[list[ProcessRecord], str, str]:
    """The master (on ``port``, its UI on ``ui_port``) and its workers; their records, the
    master's ``spark://`` URL and its UI's."""
    env = environment(env)
    spark_class = str(spark_home() / "bin" / "spark-class")
    master_url, ui = f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}"
    master = launcher.spawn(
        "spark-master",
        [
            spark_class,
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--webui-port",
            str(ui_port),
        ],
        env=env,
    )
    records = [master]
    wait_until(master, lambda: cluster(ui)["status"] == "ALIVE", timeout=120)
    for number in range(1, WORKERS + 1):
        folder = work / f"worker-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        records.append(
            launcher.spawn(
                f"spark-worker-{number}",
                [
                    spark_class,
                    "org.apache.spark.deploy.worker.Worker",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(free_port()),
                    "--webui-port",
                    str(free_port()),
                    "--cores",
                    str(WORKER_CORES),
                    "--memory",
                    WORKER_MEMORY,
                    "--work-dir",
                    str(folder),
                    master_url,
                ],
                env=env,
            )
        )
    for record in records[1:]:
        wait_until(record, lambda: cluster(ui)["aliveworkers"] >= WORKERS, timeout=180)
    return records, master_url, ui


def cluster(ui: str) -> dict[str, Any]:
    """The master's state as its UI serves it (``/json/``): workers, applications."""
    return httpx.get(f"{ui}/json/", timeout=5).json()


def healthy(ui: str) -> bool:
    state = cluster(ui)
    return state.get("status") == "ALIVE" and state.get("aliveworkers", 0) >= WORKERS
