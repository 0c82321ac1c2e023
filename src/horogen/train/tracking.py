"""Training's MLflow run: its lifecycle, params, tags, dataset input and step metrics.

Everything a run needs is in its run directory first (``run.json``, ``dataset.parquet``,
``trainer_state.json``, ``model/``), so a run whose tracking server was down while it
trained can be replayed into MLflow later (:mod:`horogen.train.registration`).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from typing import Any

import mlflow
import polars as pl
from mlflow import MlflowClient
from mlflow.data.pandas_dataset import PandasDataset
from mlflow.exceptions import MlflowException
from transformers import TrainerCallback

from horogen.errors import TrackingError
from horogen.model.packaging import VALIDATION_TABLE
from horogen.model.store import ModelStore
from horogen.model.tracking import ensure_experiment
from horogen.train.data import VALIDATION, TrainingSet
from horogen.train.runs import RunDir, RunRecord

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


def perplexity(loss: float) -> float:
    """``exp(loss)``, capped so that a diverged loss does not overflow."""
    return math.exp(min(loss, 50.0))


def step_metrics(logs: dict[str, Any]) -> dict[str, float]:
    """The numeric entries of a Trainer log, plus perplexity next to an evaluation loss."""
    metrics = {
        key: float(value)
        for key, value in logs.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and key != "step"
    }
    if "eval_loss" in metrics:
        metrics["eval_perplexity"] = perplexity(metrics["eval_loss"])
    return metrics


class StepMetrics(TrainerCallback):
    """Logs every Trainer log entry to the MLflow run; a tracking failure only warns (what
    is missed is replayed from ``trainer_state.json`` when the run is registered)."""

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


def open_run(models: ModelStore, run: RunDir, record: RunRecord, data: TrainingSet) -> str:
    """Start (or reopen) the MLflow run of ``record``; its id. New runs get their params,
    tags and dataset input. Raises :class:`TrackingError` when MLflow is unreachable (and
    then leaves no run of its own active)."""
    started: str | None = None
    try:
        target = models.connect()
        experiment_id = ensure_experiment(models.mlflow.training_experiment, target)
        known = record.mlflow_run_id and _run_exists(models.client, record.mlflow_run_id)
        started = mlflow.start_run(
            run_id=record.mlflow_run_id if known else None,
            experiment_id=None if known else experiment_id,
            run_name=None if known else record.name,
        ).info.run_id
        if not known:
            describe_run(run, record, data)
    except (MlflowException, OSError) as error:
        if started is not None:
            end_run_if_ours(started, "FAILED")
        uri = models.tracking().uri
        raise TrackingError(f"MLflow at {uri} failed: {error}") from error
    return started


def describe_run(run: RunDir, record: RunRecord, data: TrainingSet) -> None:
    """Params, tags, dataset input, fingerprint and token statistics of the active run (a
    new one)."""
    train = record.settings
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
    tags = {
        "base_model": record.base_model,
        "data_window": str(record.window),
        "data_fingerprint": data.fingerprint.content_hash,
        "run_dir": str(run.path),
    }
    if record.git_commit:
        tags["mlflow.source.git.commit"] = record.git_commit
    if record.git_dirty is not None:
        tags["git_dirty"] = str(record.git_dirty).lower()
    mlflow.set_tags(tags)
    if record.token_stats:
        mlflow.log_metrics(record.token_stats)
    mlflow.log_input(dataset_input(data, record.data_source), context="training")
    mlflow.log_dict(data.fingerprint.model_dump(), "data/fingerprint.json")
    validation = data.split(VALIDATION).select("sign", "category", "text")
    mlflow.log_table(validation.to_dict(as_series=False), VALIDATION_TABLE)


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
        fingerprint=data.fingerprint.model_dump(),
    )


def replay_history(client: MlflowClient, run_id: str, entries: list[dict[str, Any]]) -> set[str]:
    """Log the Trainer log ``entries`` that run ``run_id`` lacks: per metric, those at a
    step after the last step it has (the tracking server was down for part of training,
    or all of it). The metric keys the run had before."""
    from mlflow.entities import Metric

    logged = set(client.get_run(run_id).data.metrics)
    keys = {key for entry in entries for key in step_metrics(entry)} & logged
    last = {
        key: max((metric.step for metric in client.get_metric_history(run_id, key)), default=-1)
        for key in keys
    }
    now = int(time.time() * 1000)
    missing = [
        Metric(key, value, now, step)
        for entry in entries
        for step in [int(entry.get("step", 0))]
        for key, value in step_metrics(entry).items()
        if step > last.get(key, -1)
    ]
    if missing:
        client.log_batch(run_id, metrics=missing)
    return logged


def _run_exists(client: MlflowClient, run_id: str) -> bool:
    try:
        client.get_run(run_id)
    except MlflowException:
        return False
    return True


def end_run_if_ours(run_id: str | None, status: str = "FINISHED") -> None:
    """End the active MLflow run with ``status`` if it is run ``run_id``; never another's.
    A failure to mark it only warns: the server that failed us may be gone for good."""
    active = mlflow.active_run()
    if run_id is None or active is None or active.info.run_id != run_id:
        return
    try:
        mlflow.end_run(status)
    except Exception as error:
        log.warning("could not mark the MLflow run %s %s: %s", run_id, status, error)
