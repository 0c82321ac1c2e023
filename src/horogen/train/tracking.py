"""Training's side of MLflow: the run (params, tags, dataset input, step metrics), the logged
model and its registration.

Everything a run needs is in its run directory first (``run.json``, ``dataset.parquet``,
``trainer_state.json``, ``model/``), so :func:`register_run` can log and register a run
whose tracking server was down while it trained.
"""

from __future__ import annotations

import logging
import math
import subprocess
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import polars as pl
from mlflow.data.pandas_dataset import PandasDataset
from mlflow.exceptions import MlflowException
from transformers import TrainerCallback

from horogen import registry
from horogen.errors import HorogenError
from horogen.train.data import TrainingSet
from horogen.train.pyfunc import log_pyfunc
from horogen.train.runs import RunDir, RunRecord

if TYPE_CHECKING:
    from horogen.config import Settings

log = logging.getLogger(__name__)

#: Parameters of a run: the choices that shape a model, never the TrainingArguments dump.
PARAMS = (
    "epochs",
    "batch_size",
    "weight_decay",
    "warmup",
    "max_source_length",
    "max_target_length",
    "seed",
    "early_stopping_patience",
    "validation_buckets",
)


def step_metrics(logs: dict[str, Any]) -> dict[str, float]:
    """The numeric entries of a Trainer log, plus perplexity next to an evaluation loss."""
    metrics = {
        key: float(value)
        for key, value in logs.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and key != "step"
    }
    if "eval_loss" in metrics:
        metrics["eval_perplexity"] = math.exp(min(metrics["eval_loss"], 50.0))
    return metrics


class StepMetrics(TrainerCallback):
    """Logs every Trainer log entry to the MLflow run; a tracking failure only warns."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.failed = False

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        if self.failed or not logs:
            return
        try:
            mlflow.log_metrics(step_metrics(logs), step=state.global_step, run_id=self.run_id)
        except Exception as error:  # the tracking server went away; training goes on
            self.failed = True
            log.warning("MLflow stopped answering (%s); metrics are kept in the run dir", error)


def open_run(settings: Settings, run: RunDir, record: RunRecord, data: TrainingSet) -> str:
    """Start (or reopen) the MLflow run of ``record``; its id. New runs get their params,
    tags and dataset input. Raises :class:`TrackingError` when MLflow is unreachable."""
    try:
        target = registry.connect(settings)
        experiment_id = registry.ensure_experiment(settings.train.experiment, target)
        known = record.mlflow_run_id and _run_exists(record.mlflow_run_id)
        active = mlflow.start_run(
            run_id=record.mlflow_run_id if known else None,
            experiment_id=None if known else experiment_id,
            run_name=None if known else record.name,
        )
        if not known:
            describe_run(run, record, data)
    except (MlflowException, OSError) as error:
        if mlflow.active_run() is not None:
            end_run_quietly("FAILED")
        uri = registry.tracking(settings).uri
        raise registry.TrackingError(f"MLflow at {uri} failed: {error}") from error
    return active.info.run_id


def describe_run(run: RunDir, record: RunRecord, data: TrainingSet) -> None:
    """Params, tags, dataset input and fingerprint of the active run (a new one)."""
    train = record.train_settings()
    params: dict[str, Any] = {name: getattr(train, name) for name in PARAMS}
    params |= {
        "base": record.base,
        "base_model": record.base_model,
        "learning_rate": train.resolved_learning_rate(),
        "train_rows": data.fingerprint.train_rows,
        "validation_rows": data.fingerprint.validation_rows,
    }
    params |= {f"model_{name}": value for name, value in record.model_shape.items()}
    mlflow.log_params(params)
    mlflow.set_tags(
        {
            "base_model": record.base_model,
            "data_window": record.window_text(),
            "data_fingerprint": data.fingerprint.content_hash,
            "run_dir": str(run.path),
        }
        | ({"mlflow.source.git.commit": record.git_commit} if record.git_commit else {})
    )
    mlflow.log_input(dataset_input(data, record.data_source), context="training")
    mlflow.log_dict(data.fingerprint.to_dict(), "data/fingerprint.json")


class _FingerprintedDataset(PandasDataset):
    """A pandas dataset whose profile is the training set's fingerprint."""

    def __init__(self, *args: Any, fingerprint: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fingerprint = fingerprint

    @property
    def profile(self) -> dict[str, Any]:
        return {**super().profile, **self._fingerprint}


def dataset_input(data: TrainingSet, source: str) -> PandasDataset:
    """The training set as an MLflow dataset: schema, source and the fingerprint."""
    from mlflow.data.dataset_source_registry import resolve_dataset_source

    with warnings.catch_warnings():  # a local path fits two equivalent source types
        warnings.simplefilter("ignore")
        resolved = resolve_dataset_source(source)
    frame = data.frame.with_columns(pl.col("date", "collected_at").cast(pl.String)).to_pandas()
    return _FingerprintedDataset(
        df=frame,
        source=resolved,
        name=f"horogen-processed {data.window}",
        digest=data.fingerprint.content_hash[:32],
        fingerprint=data.fingerprint.to_dict(),
    )


def register_run(run_dir: Path | str, settings: Settings) -> RunRecord:
    """Log the trained model of ``run_dir`` and register it as a new version.

    Inside the run's active MLflow run it only adds the model and summary metrics; later
    (``horogen register``) it reopens the run, or creates it when the tracking store never
    saw it, with everything the run directory kept. Registering twice is a no-op.
    """
    run = RunDir(Path(run_dir))
    record = run.read()
    if record.model_version is not None:
        return record
    if not run.model_dir.is_dir():
        raise HorogenError(
            f"{run.path} has no trained model yet: finish it with "
            f"`horogen train --resume --run {run.path.name}`"
        )
    active = mlflow.active_run()
    started = False
    try:
        if active is None or active.info.run_id != record.mlflow_run_id:
            data = run.training_set(record)
            record.mlflow_run_id = open_run(settings, run, record, data)
            run.write(record)
            started = True
            if not _has_metrics(record.mlflow_run_id):
                for entry in run.log_history():
                    mlflow.log_metrics(step_metrics(entry), step=int(entry.get("step", 0)))
        mlflow.log_metrics(record.metrics)
        info = log_pyfunc(
            str(run.model_dir),
            record.train_settings(),
            registered_model_name=settings.train.registered_model,
        )
        version = str(info.registered_model_version)
        client = mlflow.MlflowClient()
        tags = {
            "run_id": record.mlflow_run_id,
            "base_model": record.base_model,
            "data_window": record.window_text(),
            "data_fingerprint": record.fingerprint["content_hash"],
        }
        for key, value in tags.items():
            client.set_model_version_tag(settings.train.registered_model, version, key, value)
    except (MlflowException, registry.TrackingError, OSError) as error:
        if started:
            end_run_quietly("FAILED")
        raise registry.TrackingError(
            f"could not register {run.path}: {error}. The model is kept there: "
            f"run `horogen register {run.path}` once MLflow answers"
        ) from error
    if started:
        mlflow.end_run()
    record.model_version = int(version)
    record.model_uri = registry.models_uri(settings.train.registered_model, version)
    record.status = "registered"
    run.write(record)
    return record


def git_commit() -> str | None:
    """The commit of the horogen source tree, when it is a git checkout."""
    source = Path(__file__).resolve().parent
    try:
        result = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def _run_exists(run_id: str) -> bool:
    try:
        mlflow.MlflowClient().get_run(run_id)
    except MlflowException:
        return False
    return True


def _has_metrics(run_id: str) -> bool:
    return bool(mlflow.MlflowClient().get_run(run_id).data.metrics)


def end_run_quietly(status: str) -> None:
    try:
        mlflow.end_run(status)
    except Exception as error:  # the server that failed us may be gone for good
        log.warning("could not mark the MLflow run %s: %s", status, error)
