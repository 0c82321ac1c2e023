"""A lake copied (or moved) to another folder works on its own: its MLflow store reads and
writes the copy's artifacts, never the original's."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from horogen.lake import Lake
from horogen.model.settings import MlflowSettings
from horogen.model.store import ModelStore
from serve_support import serving_store


def locations(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT artifact_location FROM experiments").fetchall()
        rows += connection.execute("SELECT artifact_uri FROM runs").fetchall()
        rows += connection.execute("SELECT storage_location FROM model_versions").fetchall()
    return [row[0] for row in rows if row[0] and "mlartifacts" in row[0]]  # not Default's


def test_a_copied_lake_uses_its_own_artifacts(tmp_path: Path, monkeypatch) -> None:
    """The probe: a copied lake's mlflow.db pointed at the original's artifacts by absolute
    path, so the copy read and could write the original's store."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    original = serving_store(tmp_path / "first", versions=1)
    source = Path(original.lake.root)
    recorded = locations(source / "mlflow.db")
    assert all(str(source) in where for where in recorded), (str(source), recorded)
    copy = tmp_path / "second" / "lake"
    shutil.copytree(source, copy)
    shutil.move(source, tmp_path / "gone")  # the original is not there to be read

    store = ModelStore(MlflowSettings(), Lake(str(copy)), tmp_path / "cache")
    resolved = store.resolve("1")
    assert Path(resolved.hf_dir).is_dir()
    found = locations(copy / "mlflow.db")
    assert found and all(str(copy) in where for where in found), found
    assert not any(str(source) in where for where in found)
    # Written through the copy, a new run's artifacts land in the copy.
    import mlflow

    store.connect()
    with mlflow.start_run(
        experiment_id=mlflow.get_experiment_by_name("horogen-training").experiment_id
    ) as run:
        mlflow.log_text("hello", "note.txt")
    assert (copy / "mlartifacts").exists()
    assert str(copy) in mlflow.get_run(run.info.run_id).info.artifact_uri
    assert not source.exists()


@pytest.mark.parametrize("twice", [1, 2])
def test_relocating_is_idempotent(tmp_path: Path, monkeypatch, twice: int) -> None:
    from horogen.model.relocate import relocate

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    store = serving_store(tmp_path / "a", versions=1)
    database = Path(store.lake.root) / "mlflow.db"
    before = locations(database)
    for _ in range(twice):
        assert relocate(database) is False  # already its own
    assert locations(database) == before
