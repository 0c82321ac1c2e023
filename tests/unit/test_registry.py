"""Where MLflow runs, run directories, and `horogen models` on an empty store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import horogen.cli.train  # noqa: F401  (registers the commands)
from horogen import registry
from horogen.cli.app import app
from horogen.config import Settings
from horogen.errors import ConfigError
from horogen.train.runs import RunDir
from horogen.train.settings import TrainSettings


@pytest.fixture(autouse=True)
def _no_tracking_env(monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def test_default_store_is_sqlite_beside_a_local_lake(tmp_path: Path) -> None:
    target = registry.tracking(Settings(lake=str(tmp_path / "lake")))
    lake = (tmp_path / "lake").resolve()
    assert target.uri == f"sqlite:///{lake}/mlflow.db"
    assert target.artifact_root == (lake / "mlartifacts").as_uri()


def test_setting_then_environment_override_the_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    lake = str(tmp_path / "lake")
    assert registry.tracking(Settings(lake=lake)) == registry.Tracking(
        "http://127.0.0.1:5000", None
    )
    chosen = Settings(lake=lake, train=TrainSettings(tracking_uri="http://mlflow:5000"))
    assert registry.tracking(chosen).uri == "http://mlflow:5000"


def test_an_s3_lake_needs_a_tracking_server() -> None:
    with pytest.raises(ConfigError, match="HOROGEN_TRAIN__TRACKING_URI"):
        registry.tracking(Settings(lake="s3://bucket/horogen"))


def test_an_unreachable_server_is_reported_at_once() -> None:
    with pytest.raises(registry.TrackingError, match="does not answer"):
        registry.check_reachable("http://127.0.0.1:9", timeout=2)


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
