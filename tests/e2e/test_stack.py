"""``horogen stack up`` for real, driven from outside through the services' own APIs.

The stack comes up as a person starts it (the command, in a folder of its own), with the
tiny model, a small evaluation and the execution API's tokens living 30 s. Then, as an
operator would: the DAG is triggered and unpaused over Airflow's REST API and polled
until it ends; the Celery result backend says which worker ran each task, the Spark
master which applications it ran; the same logical date is run again while one Spark
worker is killed mid-job; the two serving replicas are asked for the same texts, at
once, and follow the champion when it moves. ``horogen stack down`` stops it all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from horogen.stack.processes import group, running
from integration.processing_support import skip_or_fail
from stack_support import missing_stack
from train_corpus import TINY_ENV

#: The first test that uses `daily` waits for two whole runs of the DAG.
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.spark, pytest.mark.timeout(1500)]

DAG = "horogen_daily"
#: Short enough that training, even on a fast machine, outlives it by far; long enough
#: that a task queued behind the others starts before its token expires.
TOKEN_SECONDS = 30
#: Enough epochs of the tiny model that training outlives the execution API's token.
LONG_TRAINING = {"HOROGEN_TRAIN__EPOCHS": "14"}
SMALL_EVALUATION = {
    "HOROGEN_EVALUATE__GRID__PAIRS": "[[0.9, 0.9]]",
    "HOROGEN_EVALUATE__GRID__TOP_P": "[0.8]",
    "HOROGEN_EVALUATE__GRID__TEMPERATURE": "[0.7]",
    "HOROGEN_EVALUATE__SAMPLES": "2",
    "HOROGEN_EVALUATE__CATEGORIES": '["general"]',
    "HOROGEN_SERVE__CATEGORIES": '["general"]',
}


def horogen(*args: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "horogen", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[dict[str, Any]]:
    reason = missing_stack()
    if reason is not None:
        skip_or_fail(reason)
    folder = tmp_path_factory.mktemp("stack") / "horogen-stack"
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOROGEN_")}
    env |= TINY_ENV | LONG_TRAINING | SMALL_EVALUATION
    env["AIRFLOW__EXECUTION_API__JWT_EXPIRATION_TIME"] = str(TOKEN_SECONDS)
    began = time.monotonic()
    started = horogen("stack", "up", "--dir", str(folder), env=env, timeout=600)
    up_seconds = time.monotonic() - began
    try:
        assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
        manifest = json.loads((folder / "stack.json").read_text())
        yield {"dir": folder, "env": env, "manifest": manifest, "up_seconds": up_seconds}
    finally:
        stopped = horogen("stack", "down", "--dir", str(folder), "--purge", env=env, timeout=300)
        assert stopped.returncode == 0, stopped.stderr[-3000:]


class Airflow:
    """Airflow's REST API as the stack's manifest gives it."""

    def __init__(self, access: dict[str, str]) -> None:
        self.url = access["url"]
        token = httpx.post(
            f"{self.url}/auth/token",
            json={"username": access["username"], "password": access["password"]},
            timeout=30,
        )
        token.raise_for_status()
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

    def __call__(self, method: str, path: str, **options: Any) -> httpx.Response:
        return httpx.request(
            method, f"{self.url}/api/v2{path}", headers=self.headers, timeout=60, **options
        )

    def wait(self, run_id: str, timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run = self("GET", f"/dags/{DAG}/dagRuns/{run_id}").json()
            if run["state"] in ("success", "failed"):
                return run
            assert time.monotonic() < deadline, f"{run_id} still {run['state']}"
            time.sleep(3)

    def task_instances(self, run_id: str) -> list[dict[str, Any]]:
        found = self("GET", f"/dags/{DAG}/dagRuns/{run_id}/taskInstances", params={"limit": 100})
        return found.json()["task_instances"]


def latest_schedule(now: dt.datetime) -> dt.datetime:
    """The DAG's latest 07:00 in Moscow at or before ``now``: the run the scheduler makes
    itself once the DAG is unpaused, so triggering that logical date first leaves one run."""
    moscow = now.astimezone(ZoneInfo("Europe/Moscow"))
    fired = moscow.replace(hour=7, minute=0, second=0, microsecond=0)
    return fired if fired <= moscow else fired - dt.timedelta(days=1)


@pytest.fixture(scope="module")
def daily(stack) -> dict[str, Any]:
    """The day run once, then the same logical date again with a Spark worker killed while
    its executor works; what the APIs and the lake said after each."""
    manifest = stack["manifest"]
    airflow = Airflow(manifest["airflow"])
    logical = latest_schedule(dt.datetime.now(dt.UTC))
    began = time.monotonic()
    created = airflow("POST", f"/dags/{DAG}/dagRuns", json={"logical_date": logical.isoformat()})
    assert created.status_code == 200, created.text
    run_id = created.json()["dag_run_id"]
    unpaused = airflow("PATCH", f"/dags/{DAG}", json={"is_paused": False})
    assert unpaused.status_code == 200, unpaused.text
    first = airflow.wait(run_id)
    first_seconds = time.monotonic() - began
    instances = airflow.task_instances(run_id)
    day = logical.astimezone(ZoneInfo("Europe/Moscow")).date()
    after_first = lake_state(stack, day)
    # The run is done once the last task reports to the api-server; its Celery result is
    # stored when the worker's task returns, a moment later.
    ran = sum(ti["state"] == "success" for ti in instances)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        celery = celery_results(manifest)
        if sum(result["status"] == "SUCCESS" for result in celery) >= ran:
            break
        time.sleep(1)
    applications_first = spark_applications(manifest)
    spark_log = airflow(
        "GET", f"/dags/{DAG}/dagRuns/{run_id}/taskInstances/process_spark/logs/1"
    ).text

    duplicate = airflow("POST", f"/dags/{DAG}/dagRuns", json={"logical_date": logical.isoformat()})
    began = time.monotonic()
    cleared = airflow("POST", f"/dags/{DAG}/dagRuns/{run_id}/clear", json={"dry_run": False})
    assert cleared.status_code == 200, cleared.text
    killed = kill_a_worker_mid_job(stack)
    second = airflow.wait(run_id)
    second_seconds = time.monotonic() - began
    print(
        f"\nup {stack['up_seconds']:.0f} s, first run {first_seconds:.0f} s, the same date "
        f"again {second_seconds:.0f} s"
    )
    return {
        "airflow": airflow,
        "run_id": run_id,
        "day": day,
        "runs": (first, second),
        "seconds": (first_seconds, second_seconds),
        "instances": (instances, airflow.task_instances(run_id)),
        "after": (after_first, lake_state(stack, day)),
        "celery": celery,
        "applications": (applications_first, spark_applications(manifest)),
        "spark_log": spark_log,
        "duplicate": duplicate,
        "killed": killed,
    }


def celery_results(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Every task the Celery workers ran, from the result backend (Airflow's database)."""
    import psycopg2

    name = manifest["resources"]["databases"]["airflow"]
    with (
        psycopg2.connect(host="127.0.0.1", user="postgres", dbname=name) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT status, worker, args FROM celery_taskmeta")
        rows = cursor.fetchall()
    results = []
    for status, worker, args in rows:
        if args is None:  # not started yet
            continue
        (workload,) = json.loads(bytes(args))
        ti = json.loads(workload)["ti"]
        results.append({"status": status, "worker": worker, "ti": ti})
    return results


def spark_applications(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    state = httpx.get(f"{manifest['spark_ui']}/json/", timeout=10).json()
    return state["completedapps"] + state["activeapps"]


def kill_a_worker_mid_job(stack: dict[str, Any], timeout: float = 400) -> dict[str, Any]:
    """Once an application's executor runs on the second Spark worker, kill that worker
    and everything it started (as a machine dies): SIGKILL to its process group."""
    from horogen.stack.processes import ProcessRecord

    manifest = stack["manifest"]
    records = {item["name"]: ProcessRecord(**item) for item in manifest["processes"]}
    victim = records["spark-worker-2"]
    port = int(victim.command[victim.command.index("--port") + 1])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = httpx.get(f"{manifest['spark_ui']}/json/", timeout=10).json()
        worker = next((w for w in state["workers"] if w["port"] == port), None)
        if worker is not None and state["activeapps"]:
            executors = httpx.get(f"{worker['webuiaddress']}/json/", timeout=10).json()
            running_apps = [e["appid"] for e in executors.get("executors", [])]
            if running_apps:
                members = group(victim)
                for process in members:
                    os.kill(process.pid, signal.SIGKILL)
                return {"app": running_apps[0], "processes": len(members)}
        time.sleep(0.5)
    raise AssertionError("no application ran an executor on the second Spark worker")


def lake_state(stack: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """What a run leaves: raw files (hashes), the processed rows and report, the registry,
    the serving cache."""
    import psycopg2
    import pyarrow.parquet as pq

    manifest = stack["manifest"]
    lake = Path(manifest["lake"])
    processed = lake / f"processed/date={day}"
    report = json.loads((processed / "_report.json").read_text())
    report.pop("duration_s")
    versions = httpx.get(
        f"{manifest['mlflow']}/api/2.0/mlflow/model-versions/search",
        params={"filter": "name='horogen'"},
        timeout=30,
    ).json()
    name = manifest["resources"]["databases"]["serve"]
    with (
        psycopg2.connect(host="127.0.0.1", user="postgres", dbname=name) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT sign, category, version, text, created_at FROM horoscopes "
            "WHERE day = %s ORDER BY sign, category, version",
            (day,),
        )
        cache = cursor.fetchall()
    return {
        "raw": {
            path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted((lake / f"raw/date={day}").glob("*.csv"))
        },
        "processed": pq.read_table(processed / "part-0.parquet").to_pylist(),
        "parquet": hashlib.sha256((processed / "part-0.parquet").read_bytes()).hexdigest(),
        "report": report,
        "versions": sorted(int(v["version"]) for v in versions.get("model_versions", [])),
        "cache": cache,
    }


# --- the stack itself ----------------------------------------------------------------------


def test_up_writes_the_manifest_and_every_service_is_healthy(stack) -> None:
    manifest = stack["manifest"]
    assert manifest["state"] == "up"
    assert set(manifest["airflow"]) >= {"url", "username", "password"}
    assert manifest["spark"].startswith("spark://127.0.0.1:")
    for key in ("mlflow", "spark_ui", "s3", "mirror"):
        assert manifest[key].startswith("http://127.0.0.1:"), key
    assert len(manifest["serve"]) == 2 and len(set(manifest["serve"])) == 2
    assert Path(manifest["lake"]).is_dir()
    names = {record["name"] for record in manifest["processes"]}
    assert names >= {
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-celery-worker",
        "mlflow",
        "spark-master",
        "spark-worker-1",
        "spark-worker-2",
        "s3",
        "mirror",
        "serve-1",
        "serve-2",
    }
    assert all((stack["dir"] / "logs" / f"{name}.log").is_file() for name in names)

    status = horogen(
        "stack", "status", "--dir", str(stack["dir"]), "--json", env=stack["env"], timeout=120
    )
    assert status.returncode == 0, status.stdout[-3000:] + status.stderr[-3000:]
    health = json.loads(status.stdout)["health"]
    assert all(item["healthy"] for item in health.values()), health
    assert set(health) >= {"airflow", "mlflow", "spark", "s3", "mirror", "serve[1]", "serve[2]"}
    # The MLflow server started on an empty database, with its two workers.
    mlflow = next(r for r in manifest["processes"] if r["name"] == "mlflow")
    assert mlflow["command"][mlflow["command"].index("--workers") + 1] == "2"


# --- Airflow for real --------------------------------------------------------------------


def test_the_dag_runs_every_task_on_the_celery_worker(daily, stack) -> None:
    first, _ = daily["runs"]
    assert first["state"] == "success", first
    instances, _ = daily["instances"]
    ran = [ti for ti in instances if ti["state"] == "success"]
    assert {ti["task_id"] for ti in ran} >= {
        "day",
        "collect",
        "check_collection",
        "process_spark",
        "retrain_due",
        "train",
        "evaluate",
        "promote",
        "precompute",
    }
    worker = stack["manifest"]["airflow"]["worker"]
    done = {
        (r["ti"]["task_id"], r["ti"]["map_index"], r["ti"]["try_number"])
        for r in daily["celery"]
        if r["status"] == "SUCCESS"
        and r["worker"] == worker
        and r["ti"]["run_id"] == daily["run_id"]
    }
    for ti in ran:
        assert ti["hostname"], ti  # the worker that ran it said where it runs
        assert (ti["task_id"], ti["map_index"], ti["try_number"]) in done, ti


def test_processing_was_a_spark_application_on_the_standalone_master(daily, stack) -> None:
    applications, _ = daily["applications"]
    assert [app["name"] for app in applications] == ["horogen-process"]
    assert applications[0]["state"] == "FINISHED"
    after, _ = daily["after"]
    assert after["report"]["engine"] == "spark" and after["report"]["rows_out"] > 50
    # Each day was written by an executor, not by the driver.
    assert f"{daily['day']} written by executor " in daily["spark_log"]


def test_spark_writes_what_polars_writes_from_the_same_raw_files(daily, stack, tmp_path) -> None:
    from horogen.config import load_settings
    from horogen.process.run import process_days, read_processed

    after, _ = daily["after"]
    copy = tmp_path / "lake"
    shutil.copytree(Path(stack["manifest"]["lake"]) / "raw", copy / "raw")
    settings = load_settings(lake=str(copy), process={"engine": "polars"})
    (report,) = process_days(settings.open_lake(), settings.process, [daily["day"]])
    assert read_processed(settings.open_lake(), daily["day"]).to_pylist() == after["processed"]
    assert report.comparable() == {k: v for k, v in after["report"].items() if k != "engine"}


def test_tasks_outlive_the_execution_api_token(daily) -> None:
    """Tokens live 30 s; training (and the Spark job) run longer and still succeed."""
    instances, _ = daily["instances"]
    durations = {ti["task_id"]: ti["duration"] for ti in instances if ti["state"] == "success"}
    longest = max(durations, key=durations.get)
    assert durations[longest] > TOKEN_SECONDS, durations


def test_the_same_logical_date_again_changes_no_data_a_killed_worker_included(daily) -> None:
    # Airflow keeps one run per logical date: a second trigger is refused, and the run is
    # run again by clearing it.
    assert daily["duplicate"].status_code == 409
    _, second = daily["runs"]
    assert second["state"] == "success", second
    _, instances = daily["instances"]
    states = {ti["task_id"]: ti["state"] for ti in instances}
    assert states["process_spark"] == "success"
    assert (states["train"], states["evaluate"], states["promote"]) == ("skipped",) * 3
    # A worker died in the middle of the second Spark application; its executor's work was
    # done again on the other, and the partitions are the same bytes.
    _, applications = daily["applications"]
    assert daily["killed"]["app"] in {app["id"] for app in applications}
    first, again = daily["after"]
    assert again == first


# --- serving replicas ----------------------------------------------------------------------


def generation_calls(url: str) -> float:
    """How many generation calls a replica made (each: a group's candidates, best of k)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith("horogen_generation_seconds_count "):
            return float(line.split()[1])
    return 0.0


def test_both_replicas_serve_the_same_text_and_generate_it_once(daily, stack) -> None:
    replicas = stack["manifest"]["serve"]
    for url in replicas:  # each follows the champion the DAG promoted
        deadline = time.monotonic() + 60
        while httpx.get(f"{url}/readyz", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, url
            time.sleep(1)
    day = daily["day"].isoformat()
    before = {url: generation_calls(url) for url in replicas}
    answers: list[httpx.Response] = []

    def ask(url: str, sign: str) -> None:
        answers.append(
            httpx.get(
                f"{url}/v1/horoscopes/{sign}",
                params={"date": day, "category": "love"},  # not precomputed: generated now
                timeout=120,
            )
        )

    askers = [
        threading.Thread(target=ask, args=(url, sign))
        for sign in ("aries", "leo", "pisces")
        for url in replicas
    ]
    for thread in askers:
        thread.start()
    for thread in askers:
        thread.join()
    assert [answer.status_code for answer in answers] == [200] * len(askers)
    by_sign: dict[str, set[tuple[str, int]]] = {}
    for answer in answers:
        body = answer.json()
        by_sign.setdefault(body["sign"], set()).add((body["text"], body["version"]))
    assert all(len(texts) == 1 for texts in by_sign.values()), by_sign
    # The group (twelve signs) generated by one replica only: one call per round of best of
    # k (a round more for the signs none of whose candidates passed, up to the cap).
    calls = sorted(generation_calls(url) - before[url] for url in replicas)
    assert calls[0] == 0 and 1 <= calls[1] <= 3, calls


def test_both_replicas_follow_the_champion_with_no_failed_request(daily, stack) -> None:
    from mlflow import MlflowClient

    replicas = stack["manifest"]["serve"]
    server = stack["manifest"]["mlflow"]  # the registry too: not whatever this process set
    client = MlflowClient(tracking_uri=server, registry_uri=server)
    champion = client.get_model_version_by_alias("horogen", "champion")
    copy = client.create_model_version(  # the same logged model again, as a new version
        "horogen",
        champion.source,
        run_id=champion.run_id,
        tags=champion.tags,
        model_id=champion.model_id or champion.source.removeprefix("models:/"),
    )
    statuses: list[int] = []
    versions: dict[str, set[int]] = {url: set() for url in replicas}
    stop = threading.Event()

    def hammer(url: str) -> None:
        while not stop.is_set():
            answer = httpx.get(
                f"{url}/v1/horoscopes/virgo", params={"date": str(daily["day"])}, timeout=120
            )
            statuses.append(answer.status_code)
            if answer.status_code == 200:
                versions[url].add(answer.json()["version"])
            # Readers at some 50 requests a second each; a loop without a pause would take
            # both cores from the replicas' watchers, which is not what is being tested.
            stop.wait(0.02)

    threads = [threading.Thread(target=hammer, args=(url,)) for url in replicas]
    for thread in threads:
        thread.start()
    client.set_registered_model_alias("horogen", "champion", copy.version)
    deadline = time.monotonic() + 180
    try:
        while not all(int(copy.version) in seen for seen in versions.values()):
            assert time.monotonic() < deadline, versions
            time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert set(statuses) == {200}, sorted(set(statuses))
    assert all(seen == {int(champion.version), int(copy.version)} for seen in versions.values())


def test_down_stops_exactly_what_up_started(stack) -> None:
    from horogen.stack.processes import ProcessRecord

    records = [ProcessRecord(**item) for item in stack["manifest"]["processes"]]
    outsider = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        stopped = horogen(
            "stack", "down", "--dir", str(stack["dir"]), env=stack["env"], timeout=300
        )
        assert stopped.returncode == 0, stopped.stderr[-3000:]
        assert not any(running(record) for record in records)
        assert outsider.poll() is None  # not started by up: left alone
        manifest = json.loads((stack["dir"] / "stack.json").read_text())
        assert manifest["state"] == "down" and manifest["processes"] == []
        assert Path(manifest["lake"]).is_dir()  # no data removed without --purge
    finally:
        outsider.kill()


def test_a_service_that_does_not_come_up_fails_up_and_up_stops_the_rest(tmp_path) -> None:
    """Airflow pointed at a database server that is not there: ``up`` fails naming the
    service and showing its log's end, and stops what it had started."""
    import psutil

    reason = missing_stack()
    if reason is not None:
        skip_or_fail(reason)
    folder = tmp_path / "horogen-stack"
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOROGEN_")}
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = "postgresql+psycopg2://postgres@127.0.0.1:9/none"
    failed = horogen("stack", "up", "--dir", str(folder), env=env, timeout=600)
    try:
        assert failed.returncode == 1, failed.stdout[-2000:] + failed.stderr[-2000:]
        assert "error: airflow-migrate exited with code 1; its log:" in failed.stderr
        assert "127.0.0.1" in failed.stderr and "9" in failed.stderr  # the log's last lines
        lake = str(folder.resolve() / "lake")
        left = []
        for process in psutil.process_iter():
            try:
                if process.environ().get("HOROGEN_LAKE") == lake:
                    left.append(process.cmdline())
            except psutil.Error:
                continue
        assert left == []
        assert json.loads((folder / "stack.json").read_text())["state"] == "starting"
    finally:
        horogen("stack", "down", "--dir", str(folder), "--purge", env=env, timeout=300)
