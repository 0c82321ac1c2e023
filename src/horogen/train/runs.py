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
import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel

from horogen.errors import ConfigError
from horogen.lake import Lake
from horogen.train.data import DataWindow, Fingerprint, TrainingSet
from horogen.train.settings import TrainSettings

log = logging.getLogger(__name__)

RUN_FILE = "run.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


@dataclass
class RunRecord:
    """The contents of ``run.json``."""

    name: str
    created_at: str
    #: The starting point as asked for (``fresh``, ``champion``, a hub id, a directory or a
    #: ``models:/`` URI)…
    base: str
    #: …and what it resolved to (``StartingPoint.base_model``): ``fresh``, the hub id, the
    #: directory or a numbered ``models:/NAME/VERSION``. A resumed run loads exactly this.
    base_model: str
    window: dict[str, str | None]
    fingerprint: dict[str, Any]
    #: The training settings the run uses, kept so that a resumed run uses the same ones.
    settings: dict[str, Any]
    #: Where the training set came from (the lake's processed folder).
    data_source: str
    git_commit: str | None = None
    #: Whether the source tree had uncommitted changes (``None``: not a git checkout).
    git_dirty: bool | None = None
    #: Size of the model: parameters, vocabulary, layers.
    model_shape: dict[str, Any] = field(default_factory=dict)
    #: ``training`` → ``trained`` → ``registered``.
    status: str = "training"
    mlflow_run_id: str | None = None
    #: Checkpoints a killed run was resumed from: ``{"checkpoint": …, "global_step": …}``.
    resumes: list[dict[str, Any]] = field(default_factory=list)
    #: Target and prompt lengths in tokens: p95 and the share cut by truncation.
    token_stats: dict[str, float] = field(default_factory=dict)
    #: Summary metrics of the finished run (best validation loss, perplexity, …).
    metrics: dict[str, float] = field(default_factory=dict)
    model_version: int | None = None
    model_uri: str | None = None

    def train_settings(self) -> TrainSettings:
        """The run's training settings; keys that today's settings no longer know (a run
        started by an older horogen) are dropped, so old runs still resume."""
        return TrainSettings.model_validate(known_settings(TrainSettings, self.settings))

    @property
    def data_window(self) -> DataWindow:
        """The window of days the run trains on (both ends closed)."""
        return DataWindow.from_dict(self.window)


def known_settings(model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` without the keys that ``model`` (a settings model with
    ``extra="forbid"``) does not declare, nested models included."""
    known = {}
    for key, value in values.items():
        declared = model.model_fields.get(key)
        if declared is None:
            continue
        nested = declared.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel) and isinstance(value, dict):
            value = known_settings(nested, value)
        known[key] = value
    return known


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
        values = json.loads(file.read_text("utf-8"))
        declared = {item.name for item in fields(RunRecord)}
        return RunRecord(**{key: value for key, value in values.items() if key in declared})

    def write(self, record: RunRecord) -> None:
        """Replace ``run.json`` atomically."""
        self.path.mkdir(parents=True, exist_ok=True)
        temporary = self.path / f".{RUN_FILE}.tmp"
        temporary.write_text(json.dumps(asdict(record), ensure_ascii=False, indent=2) + "\n")
        os.replace(temporary, self.path / RUN_FILE)

    def save_training_set(self, data: TrainingSet) -> None:
        data.frame.write_parquet(self.dataset_path)

    def training_set(self, record: RunRecord) -> TrainingSet:
        return TrainingSet(
            pl.read_parquet(self.dataset_path),
            DataWindow.from_dict(record.window),
            Fingerprint(**record.fingerprint),
        )

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


def runs_root(work_dir: str | None, lake: Lake) -> Path:
    """Where run directories go: ``train.work_dir``, ``<lake>/runs`` for a local lake, else
    ``./horogen-data/runs``."""
    if work_dir:
        return Path(work_dir).expanduser().resolve()
    return (Path(lake.root) if lake.is_local else Path("horogen-data")).resolve() / "runs"


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
        if record.status == "training" and record.data_window == window:
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
