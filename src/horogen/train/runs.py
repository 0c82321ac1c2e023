"""Run directories: everything one training run needs to resume or be registered later.

<work_dir>/<run name>/
    run.json            what was asked, the data's fingerprint, status, MLflow ids
    dataset.parquet     the exact training set (so a resumed run sees the same rows)
    checkpoints/        Trainer checkpoints, one per epoch
    trainer_state.json  the finished run's log history
    model/              the trained Hugging Face directory, written before logging
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, Field, ValidationError

from horogen import atomic
from horogen.errors import ConfigError
from horogen.train.data import DataWindow, Fingerprint, TrainingSet
from horogen.train.settings import TrainSettings

log = logging.getLogger(__name__)

RUN_FILE = "run.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


class RunRecord(BaseModel):
    """The contents of ``run.json``. Read leniently (:meth:`RunDir.read`): keys that today's
    horogen no longer knows (a run started by an older one) are dropped, so old runs still
    resume and register."""

    name: str
    created_at: str
    base: str = Field(
        description="The starting point as asked for (fresh, champion, a hub id, a directory "
        "or a models:/ URI)…"
    )
    base_model: str = Field(
        description="…and what it resolved to: fresh, the hub id, the directory or a numbered "
        "models:/NAME/VERSION. A resumed run loads exactly this."
    )
    window: DataWindow = Field(description="The days the run trains on (both ends closed).")
    fingerprint: Fingerprint
    settings: TrainSettings = Field(
        description="The training settings the run uses, kept so a resumed run uses the same."
    )
    data_source: str = Field(description="Where the training set came from (processed/).")
    git_commit: str | None = None
    git_dirty: bool | None = Field(
        None, description="Whether the source tree had uncommitted changes (None: no checkout)."
    )
    model_shape: dict[str, Any] = Field({}, description="Parameters, vocabulary, layers.")
    status: str = Field("training", description="training → trained → registered.")
    mlflow_run_id: str | None = None
    resumes: list[dict[str, Any]] = Field(
        [], description="Checkpoints a killed run was resumed from: checkpoint, global_step."
    )
    token_stats: dict[str, float] = Field(
        {}, description="Target and prompt lengths in tokens: p95 and the share truncated."
    )
    metrics: dict[str, float] = Field(
        {}, description="Summary metrics of the finished run (best validation loss, …)."
    )
    model_version: int | None = None
    model_uri: str | None = None


@dataclass(frozen=True)
class RunDir:
    path: Path

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def dataset_path(self) -> Path:
        return self.path / "dataset.parquet"

    @property
    def state_path(self) -> Path:
        return self.path / "trainer_state.json"

    def read(self) -> RunRecord:
        file = self.path / RUN_FILE
        if not file.is_file():
            raise ConfigError(f"{self.path} is not a run directory (it has no {RUN_FILE})")
        try:
            return RunRecord.model_validate_json(file.read_bytes(), extra="ignore")
        except ValidationError as error:
            raise ConfigError(f"{file} is not a readable run record: {error}") from None

    def write(self, record: RunRecord) -> None:
        """Replace ``run.json`` atomically."""
        atomic.write_file(self.path / RUN_FILE, (record.model_dump_json(indent=2) + "\n").encode())

    def save_training_set(self, data: TrainingSet) -> None:
        data.frame.write_parquet(self.dataset_path)

    def training_set(self, record: RunRecord) -> TrainingSet:
        return TrainingSet(pl.read_parquet(self.dataset_path), record.window, record.fingerprint)

    def last_checkpoint(self) -> Path | None:
        """The newest complete checkpoint. ``trainer_state.json`` is written last, so a
        checkpoint a kill interrupted lacks it (or holds a truncated one) and is skipped."""
        if not self.checkpoints.is_dir():
            return None
        found = [
            entry
            for entry in self.checkpoints.iterdir()
            if _CHECKPOINT.match(entry.name) and entry.is_dir()
        ]
        for checkpoint in sorted(found, key=checkpoint_step, reverse=True):
            try:
                json.loads((checkpoint / "trainer_state.json").read_text("utf-8"))
            except (OSError, ValueError):
                continue
            return checkpoint
        return None

    def discard_checkpoints(self) -> None:
        """Drop what only resuming needs once the model is saved: for ruT5-base that is
        gigabytes per checkpoint."""
        shutil.rmtree(self.checkpoints, ignore_errors=True)

    def log_history(self) -> list[dict[str, Any]]:
        """The Trainer's log entries of the finished run."""
        if not self.state_path.is_file():
            return []
        return json.loads(self.state_path.read_text("utf-8")).get("log_history", [])


def checkpoint_step(checkpoint: Path) -> int:
    """The global step a Trainer checkpoint (``checkpoint-<step>``) was saved at."""
    return int(checkpoint.name.rsplit("-", 1)[1])


def new_run(root: Path, base: str, name: str | None = None) -> RunDir:
    """A new, empty run directory under ``root`` named ``name`` or after the time and the
    base."""
    if name is None:
        stem = re.sub(r"[^\w.-]+", "-", Path(base.rstrip("/")).name).strip("-") or "run"
        name = f"{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}-{stem}"
    path = root / name
    if path.exists():
        raise ConfigError(f"run directory {path} exists already: pick another run name")
    path.mkdir(parents=True)
    return RunDir(path)


def find_run(root: Path, name: str | None = None) -> RunDir:
    """The run under ``root`` named ``name``, or the newest unfinished run (status
    ``training``)."""
    if name is not None:
        run = RunDir(root / name if not Path(name).is_absolute() else Path(name))
        run.read()  # raises if it is not a run directory
        return run
    records = []
    for file in root.glob(f"*/{RUN_FILE}"):
        try:
            records.append((RunDir(file.parent).read(), RunDir(file.parent)))
        except (ConfigError, OSError, ValueError, TypeError):
            log.warning("skipping %s: not a readable run directory", file.parent)
    unfinished = [(record, run) for record, run in records if record.status == "training"]
    if unfinished:
        return max(unfinished, key=lambda item: item[0].created_at)[1]
    if not records:
        raise ConfigError(f"no training run under {root} to resume: start one without --resume")
    newest, run = max(records, key=lambda item: item[0].created_at)
    raise ConfigError(
        f"no unfinished training run under {root} to resume (the newest, {run.path.name}, is "
        f"{newest.status}): start a new one without --resume, or name one with --run"
    )


def unfinished_run(root: Path, window: DataWindow) -> RunDir | None:
    """The newest run under ``root`` on exactly ``window`` that is still ``training`` (its
    process was killed, or timed out), if any: what a retried training task continues."""
    found: list[tuple[RunRecord, RunDir]] = []
    for file in root.glob(f"*/{RUN_FILE}"):
        try:
            record = RunDir(file.parent).read()
        except (ConfigError, OSError, ValueError, TypeError):
            continue
        if record.status == "training" and record.window == window:
            found.append((record, RunDir(file.parent)))
    return max(found, key=lambda item: item[0].created_at)[1] if found else None


def git_state() -> tuple[str | None, bool | None]:
    """The commit of the horogen source tree and whether it has uncommitted changes
    (``(None, None)`` when it is not a git checkout)."""
    source = Path(__file__).resolve().parent
    try:
        commit = _git(source, "rev-parse", "HEAD")
        changes = _git(source, "status", "--porcelain")
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(changes)


def _git(directory: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(directory), *args],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout.strip()
