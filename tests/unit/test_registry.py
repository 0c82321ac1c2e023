"""Where MLflow runs, run directories, replaying missed metrics, and `horogen models` on an
empty store."""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

import horogen.cli.model  # noqa: F401  (registers the commands)
from horogen.cli.app import app
from horogen.config import load_settings
from horogen.errors import ConfigError, TrackingError
from horogen.lake import Lake
from horogen.model import registry
from horogen.model.settings import MlflowSettings
from horogen.model.tracking import Tracking, check_reachable, connect, tracking
from horogen.train.runs import RunDir, RunRecord, find_run
from horogen.train.settings import TrainSettings
from horogen.train.tracking import replay_history


@pytest.fixture(autouse=True)
def _no_tracking_env(monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def test_default_store_is_sqlite_beside_a_local_lake(tmp_path: Path) -> None:
    target = tracking(MlflowSettings(), Lake(str(tmp_path / "lake")))
    lake = (tmp_path / "lake").resolve()
    assert target.uri == f"sqlite:///{lake}/mlflow.db"
    assert target.artifact_root == (lake / "mlartifacts").as_uri()


def test_setting_then_environment_override_the_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    lake = Lake(str(tmp_path / "lake"))
    assert tracking(MlflowSettings(), lake) == Tracking("http://127.0.0.1:5000", None)
    chosen = MlflowSettings(tracking_uri="http://mlflow:5000")
    assert tracking(chosen, lake).uri == "http://mlflow:5000"


def test_an_s3_lake_needs_a_tracking_server() -> None:
    with pytest.raises(ConfigError, match="HOROGEN_MLFLOW__TRACKING_URI"):
        tracking(MlflowSettings(), Lake("s3://bucket/horogen"))


def test_settings_that_moved_out_of_train_say_where_they_went() -> None:
    with pytest.raises(ConfigError, match=r"train\.tracking_uri is now mlflow\.tracking_uri"):
        load_settings(train={"tracking_uri": "http://mlflow:5000"})
    with pytest.raises(ConfigError, match=r"train\.generation is now generation\.strategy"):
        load_settings(train={"generation": {"top_p": 0.5}})


def test_an_unreachable_server_is_reported_at_once() -> None:
    with pytest.raises(TrackingError, match="does not answer"):
        check_reachable("http://127.0.0.1:9", timeout=2)


@pytest.fixture
def guarded_server() -> Iterator[str]:
    """An HTTP server that answers every request 401, like an auth proxy."""

    class Guarded(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(401)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Guarded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_any_http_answer_means_reachable(guarded_server: str) -> None:
    check_reachable(guarded_server, timeout=2)  # 401 from a proxy: it is up


def test_last_checkpoint_skips_one_a_kill_cut_short(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    assert run.last_checkpoint() is None
    for step, state in ((10, "{}"), (20, '{"log_hist'), (30, None)):
        checkpoint = run.checkpoints / f"checkpoint-{step}"
        checkpoint.mkdir(parents=True)
        if state is not None:
            (checkpoint / "trainer_state.json").write_text(state)
    assert run.last_checkpoint() == run.checkpoints / "checkpoint-10"


def test_models_on_an_empty_store(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["models", "--json", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.stdout)
    assert listing["versions"] == []
    assert listing["tracking_uri"].endswith("mlflow.db")
    table = runner.invoke(app, ["models", "--lake", str(tmp_path / "lake")])
    assert "no versions of 'horogen' yet" in table.stdout


FINGERPRINT = {
    "rows": 24,
    "train_rows": 20,
    "validation_rows": 4,
    "days": 4,
    "first_date": "2026-11-01",
    "last_date": "2026-11-04",
    "content_hash": "0" * 64,
    "rows_per_sign": {},
    "rows_per_source": {},
    "rows_per_category": {},
}


def record(name: str, created_at: str, status: str, **changes: object) -> RunRecord:
    values: dict[str, object] = {
        "name": name,
        "created_at": created_at,
        "base": "fresh",
        "base_model": "fresh",
        "window": {"start": "2026-11-01", "end": "2026-11-04"},
        "fingerprint": FINGERPRINT,
        "settings": TrainSettings(base="fresh").model_dump(mode="json"),
        "data_source": "lake/processed",
        "status": status,
    }
    return RunRecord.model_validate(values | changes)


def test_resume_finds_the_newest_unfinished_run(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no training run under"):
        find_run(tmp_path)
    RunDir(tmp_path / "old").write(record("old", "2026-11-01T10:00:00", "registered"))
    RunDir(tmp_path / "new").write(record("new", "2026-11-03T10:00:00", "registered"))
    with pytest.raises(ConfigError, match=r"no unfinished training run.*new, is registered"):
        find_run(tmp_path)
    RunDir(tmp_path / "killed").write(record("killed", "2026-11-02T10:00:00", "training"))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "run.json").write_text("{")
    assert find_run(tmp_path).path == tmp_path / "killed"
    assert find_run(tmp_path, "new").path == tmp_path / "new"


def test_settings_refuse_unknown_keys_but_old_runs_still_resume(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="epoks"):
        TrainSettings(epoks=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="layers"):
        TrainSettings(fresh={"layers": 3})  # type: ignore[arg-type]
    old = record("old", "2026-11-01T10:00:00", "training").model_dump(mode="json")
    old["settings"] |= {"retired_setting": 1, "epochs": 7}
    old["settings"]["fresh"] |= {"retired_too": True}
    run = RunDir(tmp_path / "old")
    run.path.mkdir()
    (run.path / "run.json").write_text(json.dumps(old | {"retired_field": "x"}), "utf-8")
    assert run.read().settings.epochs == 7


def test_register_replays_only_the_metrics_the_run_lacks(tmp_path: Path) -> None:
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    run_id = client.create_run(client.create_experiment("replay")).info.run_id
    # The server went away after step 8: the run has the loss up to there, no evaluation.
    for step in (4, 8):
        client.log_metric(run_id, "loss", 1.0 / step, step=step)
    entries = [
        {"loss": 0.25, "epoch": 0.5, "step": 4},
        {"loss": 0.125, "epoch": 1.0, "step": 8},
        {"loss": 0.1, "epoch": 1.5, "step": 12},
        {"eval_loss": 0.5, "epoch": 1.5, "step": 12},
    ]

    assert replay_history(client, run_id, entries) == {"loss"}

    def steps(key: str) -> list[int]:
        return sorted(metric.step for metric in client.get_metric_history(run_id, key))

    assert steps("loss") == [4, 8, 12]
    assert steps("eval_loss") == steps("eval_perplexity") == [12]
    assert steps("epoch") == [4, 8, 12]
    replay_history(client, run_id, entries)  # nothing is missing any more
    assert steps("loss") == [4, 8, 12] and steps("eval_loss") == [12]


def test_models_shows_versions_whose_run_is_gone(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    connect(MlflowSettings(), Lake(lake))
    client = mlflow.MlflowClient()
    experiment = client.create_experiment("runs")
    kept, deleted = (client.create_run(experiment).info.run_id for _ in "ab")
    for run_id, loss in ((kept, 1.5), (deleted, 2.5)):
        client.log_metric(run_id, "best_eval_loss", loss)
    client.create_registered_model("horogen")
    for run_id in (kept, deleted, "0" * 32):  # the last run was purged: no such run
        client.create_model_version("horogen", f"file://{tmp_path}/{run_id}", run_id=run_id)
    client.delete_run(deleted)

    versions = registry.Registry(client, "horogen")
    metrics = {version.version: version.metrics for version in versions.versions()}
    assert metrics == {3: {}, 2: {"best_eval_loss": 2.5}, 1: {"best_eval_loss": 1.5}}
    assert versions.version(3).metrics == {}
    table = CliRunner().invoke(app, ["models", "--lake", lake])
    assert table.exit_code == 0, table.output
    listing = CliRunner().invoke(app, ["models", "--json", "--lake", lake])
    assert [v["metrics"] for v in json.loads(listing.stdout)["versions"]] == [
        {},
        {"best_eval_loss": 2.5},
        {"best_eval_loss": 1.5},
    ]


def test_connecting_leaves_the_environment_as_it_was(tmp_path: Path) -> None:
    """MLflow exports the URI it is given; the next lake must not read it as the user's."""
    first, second = Lake(str(tmp_path / "a")), Lake(str(tmp_path / "b"))
    connect(MlflowSettings(), first)
    assert mlflow.get_tracking_uri() == tracking(MlflowSettings(), first).uri
    assert "MLFLOW_TRACKING_URI" not in os.environ
    assert tracking(MlflowSettings(), second).uri.endswith(f"{tmp_path}/b/mlflow.db")
