"""The stack's process bookkeeping: a record names one process (its id and start time),
stopping it stops its whole group and nothing else, and the manifest round-trips."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from horogen.config import load_settings
from horogen.stack import manifest
from horogen.stack.manifest import AirflowAccess, Resources, StackManifest
from horogen.stack.processes import (
    Launcher,
    ServiceFailed,
    group,
    running,
    spawn,
    stop,
    wait_until,
)

#: A service that starts a child of its own, as servers start workers.
PARENT_AND_CHILD = (
    "import subprocess, sys, time; "
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
    "print('started', flush=True); time.sleep(60)"
)


def test_stop_ends_the_service_and_its_children_but_nothing_else(tmp_path: Path) -> None:
    import os

    record = spawn(
        "svc", [sys.executable, "-c", PARENT_AND_CHILD], env=dict(os.environ), logs=tmp_path
    )
    outsider = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        wait_until(record, lambda: len(group(record)) == 2, timeout=30)
        members = group(record)
        assert stop([record], timeout=10) == ["svc"]
        assert not running(record)
        assert all(not member.is_running() or member.status() == "zombie" for member in members)
        assert outsider.poll() is None
        assert "started" in (tmp_path / "svc.log").read_text()
    finally:
        outsider.kill()


def test_a_record_does_not_name_a_process_that_reuses_its_id(tmp_path: Path) -> None:
    import os

    record = spawn(
        "svc",
        [sys.executable, "-c", "import time; time.sleep(30)"],
        env=dict(os.environ),
        logs=tmp_path,
    )
    try:
        impostor = record.model_copy(update={"started": record.started - 3600})
        assert running(record) and not running(impostor)
        assert group(impostor) == []
        assert stop([impostor], timeout=1) == [] and running(record)
    finally:
        stop([record], timeout=5)


def test_a_service_that_exits_fails_with_its_name_and_log(tmp_path: Path) -> None:
    import os

    launcher = Launcher(tmp_path)
    record = launcher.spawn(
        "broken",
        [sys.executable, "-c", "print('cannot bind the port'); raise SystemExit(3)"],
        env=dict(os.environ),
    )
    with pytest.raises(ServiceFailed, match=r"broken exited; its log: .*broken\.log") as failed:
        wait_until(record, lambda: False, timeout=30)
    assert failed.value.tail.splitlines()[-1] == "cannot bind the port"
    launcher.stop_all()
    with pytest.raises(ServiceFailed, match="the stack is stopping"):
        launcher.spawn("late", [sys.executable, "-c", "pass"], env=dict(os.environ))


def test_a_service_that_never_gets_healthy_fails_after_its_timeout(tmp_path: Path) -> None:
    import os

    record = spawn(
        "slow",
        [sys.executable, "-c", "import time; time.sleep(30)"],
        env=dict(os.environ),
        logs=tmp_path,
    )
    began = time.monotonic()
    try:
        with pytest.raises(ServiceFailed, match=r"slow was not healthy after 1 s"):
            wait_until(record, lambda: False, timeout=1)
        assert time.monotonic() - began < 10
    finally:
        stop([record], timeout=5)


def test_the_manifest_round_trips(tmp_path: Path) -> None:
    stack = StackManifest(
        state="up",
        dir=str(tmp_path),
        resources=Resources(
            id="abc",
            postgres="postgresql://postgres@127.0.0.1:5432",
            databases={"airflow": "a", "mlflow": "m", "serve": "s"},
            redis="redis://127.0.0.1:6379/15",
            bucket="b",
        ),
        airflow=AirflowAccess(url="http://127.0.0.1:1", username="admin", password="p", worker="w"),
        spark="spark://127.0.0.1:2",
        serve=["http://127.0.0.1:3", "http://127.0.0.1:4"],
    )
    manifest.write(tmp_path, stack)
    assert manifest.read(tmp_path) == stack
    assert stack.database_url("serve") == "postgresql+psycopg2://postgres@127.0.0.1:5432/s"
    assert manifest.read(tmp_path / "nowhere") is None


def test_the_stack_scenario_is_valid_and_runs_spark(monkeypatch) -> None:
    monkeypatch.setenv("HOROGEN_SCENARIO", "stack")
    settings = load_settings()
    assert settings.process.engine == "spark"
    assert settings.train.base == "fresh"
    assert settings.evaluate.scorers.acceptability.backend == "grammar"


def test_a_set_up_command_runs_to_its_end_and_leaves_no_record(tmp_path: Path) -> None:
    import os

    launcher = Launcher(tmp_path)
    launcher.run_once(
        "migrate", [sys.executable, "-c", "print('migrated')"], env=dict(os.environ), timeout=60
    )
    with pytest.raises(ServiceFailed, match="migrate-again exited with code 4") as failed:
        launcher.run_once(
            "migrate-again",
            [sys.executable, "-c", "print('no database'); raise SystemExit(4)"],
            env=dict(os.environ),
            timeout=60,
        )
    assert failed.value.tail.splitlines()[-1] == "no database"
    assert launcher.records == []
    assert "migrated" in (tmp_path / "migrate.log").read_text()
