"""The daily loop's step functions (horogen.pipeline): what the DAG's tasks and the demo
call. Collection against the mirror; retraining decided from a real MLflow registry."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from horogen import pipeline
from horogen.collect.run import CollectionResult
from horogen.config import Settings, load_settings
from horogen.deployment import Deployment
from horogen.lake import Lake
from horogen.mirror.run import MirrorServer
from horogen.model.store import ModelStore
from model_support import register_versions, save_tiny_model
from train_corpus import tiny_settings, tiny_train_settings, write_corpus

DAY = dt.date(2026, 11, 20)
FAST = {"retries": 1, "backoff_base": 0.01, "backoff_max": 0.05}


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("HOROGEN_CONFIG", "HOROGEN_SCENARIO", "HOROGEN_MIRROR", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def mirror():
    with MirrorServer() as server:
        yield server


def collecting(lake: Path, mirror: MirrorServer, **collect: object) -> Settings:
    return load_settings(lake=str(lake), collect={"mirror": mirror.url, **FAST, **collect})


def test_a_rerun_collects_only_what_is_missing(tmp_path, mirror) -> None:
    settings = collecting(tmp_path / "lake", mirror)
    mirror.faults.set("74ru", status=500)
    first = pipeline.collect_days([DAY], ["retrofm", "74ru"], deployment=Deployment(settings))
    assert (first.collected, first.kept, first.failed) == (2, 0, [f"74ru {DAY}"])
    assert first.records == 12

    mirror.faults.clear()
    mirror.log.clear()
    second = pipeline.collect_days([str(DAY)], ["retrofm", "74ru"], deployment=Deployment(settings))
    # retrofm was collected: kept, not fetched; 74ru failed before: fetched again.
    assert (second.collected, second.kept, second.failed) == (1, 1, [])
    assert mirror.log.count("retrofm") == 0 and mirror.log.count("74ru") > 0
    xcom = json.loads(json.dumps(second.model_dump(mode="json")))  # what XCom carries
    assert CollectionResult.model_validate(xcom) == second

    refreshed = pipeline.collect_days(
        [DAY], ["retrofm"], refresh=True, deployment=Deployment(settings)
    )
    assert (refreshed.collected, refreshed.kept) == (1, 0)
    assert mirror.log.count("retrofm") > 0


def test_check_collection_applies_the_threshold_to_all_sources(tmp_path, mirror) -> None:
    settings = collecting(tmp_path / "lake", mirror, failure_threshold=0.5)
    mirror.faults.set("74ru", status=500)
    try:
        records = [
            pipeline.collect_days([DAY], [source], deployment=Deployment(settings))
            for source in ("retrofm", "74ru", "mailru")
        ]
    finally:
        mirror.faults.clear()
    checked = pipeline.check_collection(records, deployment=Deployment(settings))
    assert checked.outcome == "partial" and checked.failed == [f"74ru {DAY}"]
    assert checked.failed_share == pytest.approx(1 / 3)

    strict = settings.model_copy(
        update={"collect": settings.collect.model_copy(update={"failure_threshold": 0.3})}
    )
    with pytest.raises(pipeline.CollectionFailed, match="74ru"):
        pipeline.check_collection(records, deployment=Deployment(strict))


def test_no_step_starts_a_mirror_collection_goes_where_the_settings_say(tmp_path) -> None:
    """Without a mirror setting collection goes to the sites' URLs (here a closed port),
    and nothing imports the mirror."""
    script = f"""
import json, sys
from horogen import pipeline
from horogen.collect.run import site_today
from horogen.config import load_settings
from horogen.deployment import Deployment
settings = load_settings(
    lake={str(tmp_path / "lake")!r},
    collect={{"base_urls": {{"retrofm": "http://127.0.0.1:9"}}, "retries": 1,
              "backoff_base": 0.01, "backoff_max": 0.02}},
)
today = site_today(settings.collect)  # on the real web a site serves its today
record = pipeline.collect_days([today], ["retrofm"], deployment=Deployment(settings))
print(json.dumps({{"record": record.model_dump(mode="json"),
                  "mirror": [m for m in sys.modules if m.startswith("horogen.mirror")]}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    output = json.loads(done.stdout.strip().splitlines()[-1])
    assert output["mirror"] == []
    (report,) = output["record"]["reports"]
    assert report["status"] == "failed"
    assert "127.0.0.1:9" in json.dumps(report)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tiny"))


def with_champion(root: Path, tiny_model: Path, data_window: str | None) -> Settings:
    """Settings over a lake whose registry has version 1 as champion, trained on
    ``data_window`` (``start..end``; ``None``: untagged)."""
    store: ModelStore = register_versions(root, 1, tiny_model)
    store.connect()
    store.registry.set_alias("champion", 1)
    if data_window:
        store.registry.set_tags(1, {"data_window": data_window})
    return Settings(lake=str(root / "lake"), train={"retrain_min_new_rows": 40})


def test_retraining_is_due_without_a_champion(tmp_path) -> None:
    decision = pipeline.retrain_due(
        DAY, deployment=Deployment(Settings(lake=str(tmp_path / "lake")))
    )
    assert decision.due is True and "no champion" in decision.reason
    assert decision.window.model_dump(mode="json") == {"start": "2026-08-23", "end": "2026-11-20"}


def test_retraining_waits_for_a_week_or_enough_new_rows(tmp_path, tiny_model) -> None:
    settings = with_champion(tmp_path, tiny_model, "2026-10-01..2026-11-18")
    lake = Lake(settings.lake)
    write_corpus(lake, dt.date(2026, 11, 18), 2)  # the champion's last day, and one new day

    decision = pipeline.retrain_due(DAY, deployment=Deployment(settings))  # 2 days on, 24 new rows
    assert decision.due is False
    assert "2 of 7 days" in decision.reason and "24 of 40 new rows" in decision.reason

    write_corpus(lake, dt.date(2026, 11, 20), 1)  # 48 new rows: enough
    decision = pipeline.retrain_due(DAY, deployment=Deployment(settings))
    assert decision.due is True and "48 new processed rows" in decision.reason

    week_later = pipeline.retrain_due(dt.date(2026, 11, 25), deployment=Deployment(settings))
    assert week_later.due is True and "7 days before" in week_later.reason


def test_a_champion_without_a_data_window_is_retrained(tmp_path, tiny_model) -> None:
    settings = with_champion(tmp_path, tiny_model, None)
    decision = pipeline.retrain_due(DAY, deployment=Deployment(settings))
    assert decision.due is True and "names no data window" in decision.reason


def test_a_challenger_the_gate_turned_down_is_not_trained_again_on_the_same_data(
    tmp_path, tiny_model
) -> None:
    store = register_versions(tmp_path, 2, tiny_model)
    store.connect()
    store.registry.set_alias("champion", 1)
    store.registry.set_tags(1, {"data_window": "2026-08-01..2026-10-31"})
    store.registry.set_tags(2, {"data_window": "2026-08-20..2026-11-18"})  # rejected
    settings = Settings(lake=str(tmp_path / "lake"), train={"retrain_min_new_rows": 40})

    decision = pipeline.retrain_due(DAY, deployment=Deployment(settings))
    assert decision.due is False
    assert "version 2 has data up to 2026-11-18" in decision.reason
    week_later = pipeline.retrain_due(dt.date(2026, 11, 25), deployment=Deployment(settings))
    assert week_later.due is True and "version 2's" in week_later.reason


def test_a_retried_training_continues_the_unfinished_run_of_its_window(tmp_path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    write_corpus(lake, dt.date(2026, 11, 1), 4)
    settings = tiny_settings(lake.uri, train=tiny_train_settings(epochs=1))
    first = pipeline.train_window("2026-11-01", "2026-11-04", deployment=Deployment(settings))
    run_dir = first.run_dir
    # The worker was killed before the run was done: its record still says "training".
    record = json.loads((run_dir / "run.json").read_text())
    (run_dir / "run.json").write_text(json.dumps(record | {"status": "training"}))

    retried = pipeline.train_window("2026-11-01", "2026-11-04", deployment=Deployment(settings))
    # The same run went on, in the same MLflow run: still one version for it.
    assert retried.run_dir == first.run_dir
    assert retried.mlflow_run_id == first.mlflow_run_id and retried.version == 1
    assert [path.name for path in run_dir.parent.iterdir()] == [run_dir.name]
    other = pipeline.train_window("2026-11-02", "2026-11-04", deployment=Deployment(settings))
    assert other.run_dir != first.run_dir and other.version == 2
