"""Training's side of MLflow: the run (params, tags, dataset input, step metrics), the logged
model and its registration.

Everything a run needs is in its run directory first (``run.json``, ``dataset.parquet``,
``trainer_state.json``, ``model/``), so :func:`register_run` can log and register a run
whose tracking server was down while it trained.
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import subprocess
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import polars as pl
from mlflow.data.pandas_dataset import PandasDataset
from mlflow.exceptions import MlflowException
from transformers import TrainerCallback

from horogen import registry
from horogen.errors import ConfigError, HorogenError, TrackingError
from horogen.schema import Category
from horogen.signs import Sign
from horogen.train.data import TrainingSet
from horogen.train.prompts import build_prompt
from horogen.train.pyfunc import HF_ARTIFACT, INPUT_EXAMPLE
from horogen.train.runs import RunDir, RunRecord

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

    from horogen.config import Settings
    from horogen.train.settings import TrainSettings

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
#: The logged model's name within its run.
MODEL_NAME = "model"
#: The file MLflow logs as the model's code ("models from code"); it never imports horogen.
MODEL_CODE = Path(__file__).with_name("pyfunc.py")
#: Distributions the logged model needs, pinned to this environment's versions.
MODEL_REQUIREMENTS = ("mlflow", "torch", "transformers", "tokenizers", "sentencepiece", "pandas")


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


def open_run(settings: Settings, run: RunDir, record: RunRecord, data: TrainingSet) -> str:
    """Start (or reopen) the MLflow run of ``record``; its id. New runs get their params,
    tags and dataset input. Raises :class:`TrackingError` when MLflow is unreachable (and
    then leaves no run of its own active)."""
    started: str | None = None
    try:
        target = registry.connect(settings)
        experiment_id = registry.ensure_experiment(settings.train.experiment, target)
        known = record.mlflow_run_id and _run_exists(record.mlflow_run_id)
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
        uri = registry.tracking(settings).uri
        raise TrackingError(f"MLflow at {uri} failed: {error}") from error
    return started


def describe_run(run: RunDir, record: RunRecord, data: TrainingSet) -> None:
    """Params, tags, dataset input, fingerprint and token statistics of the active run (a
    new one)."""
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
    tags = {
        "base_model": record.base_model,
        "data_window": str(record.data_window),
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


def model_config(settings: TrainSettings) -> dict[str, Any]:
    """What the logged model needs besides its weights (see ``train/pyfunc.py``): every
    prompt, built here by :func:`build_prompt` and frozen into the version, the decoding
    defaults and the prompt length.

    MLflow also logs a ``model_config`` as run params (``prompts/aries/love``, …)."""
    return {
        "prompts": {
            sign.value: {category.value: build_prompt(sign, category) for category in Category}
            for sign in Sign
        },
        "default_category": Category.GENERAL.value,
        "generation": {"seed": -1, **settings.generation.model_dump()},
        "max_source_length": settings.max_source_length,
    }


def model_requirements() -> list[str]:
    """Pip requirements of the logged model: what ``pyfunc.py`` imports, at this
    environment's versions (without local tags such as ``+cpu``)."""
    requirements = []
    for name in MODEL_REQUIREMENTS:
        try:
            version = importlib.metadata.version(name).split("+")[0]
        except importlib.metadata.PackageNotFoundError:
            requirements.append(name)
        else:
            requirements.append(f"{name}=={version}")
    return requirements


def log_model(hf_dir: str | Path, settings: TrainSettings) -> Any:
    """Log the Hugging Face directory ``hf_dir`` as the pyfunc model of ``pyfunc.py`` into
    the active run (unregistered); its ``ModelInfo``.

    The input schema is left open so that both a list of slugs and a DataFrame pass
    MLflow's enforcement; the input example shows the DataFrame form.
    """
    from mlflow.models import infer_signature

    config = model_config(settings)
    example_output = ["Сегодня звёзды советуют Овну не спешить с решениями."]
    return mlflow.pyfunc.log_model(
        name=MODEL_NAME,
        python_model=str(MODEL_CODE),
        artifacts={HF_ARTIFACT: str(hf_dir)},
        model_config=config,
        signature=infer_signature(None, example_output, params=config["generation"]),
        input_example=INPUT_EXAMPLE,
        # Listed rather than inferred: inference would load the model in a subprocess.
        pip_requirements=model_requirements(),
    )


def version_tags(record: RunRecord) -> dict[str, str]:
    """The tags a registered version carries: its run, base and data."""
    return {
        "run_id": str(record.mlflow_run_id),
        "base_model": record.base_model,
        "data_window": str(record.data_window),
        "data_fingerprint": record.fingerprint["content_hash"],
    }


def register_run(run_dir: Path | str, settings: Settings) -> RunRecord:
    """Log the trained model of ``run_dir`` and register it as a new version.

    Inside the run's own active MLflow run (during ``train``) it adds the model, summary
    metrics and any step metrics MLflow missed; later (``horogen register``) it reopens the
    run, or creates it when the tracking store never saw it, with everything the run
    directory kept. Idempotent: a run already registered (per ``run.json``, or a version
    of the registered model with this run id) is not registered again, and a model the
    run logged already is registered rather than logged twice.
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
    if active is not None and active.info.run_id != record.mlflow_run_id:
        raise ConfigError(
            f"the MLflow run {active.info.run_id} is active in this process, but {run.path} "
            f"belongs to run {record.mlflow_run_id}: end the active run first"
        )
    started = active is None
    name = settings.train.registered_model
    try:
        if started:
            record.mlflow_run_id = open_run(settings, run, record, run.training_set(record))
            run.write(record)
        run_id = str(record.mlflow_run_id)
        logged = replay_history(run_id, run.log_history())
        summary = {key: value for key, value in record.metrics.items() if key not in logged}
        if summary:
            mlflow.log_metrics(summary, run_id=run_id)
        version = existing_version(name, run_id)
        if version is None:
            model_uri = logged_model_uri(run_id)
            if model_uri is None:
                model_uri = log_model(run.model_dir, record.train_settings()).model_uri
            version = mlflow.register_model(model_uri, name, tags=version_tags(record))
        record.model_version = int(version.version)
        record.model_uri = registry.models_uri(name, version.version)
        record.status = "registered"
        run.write(record)
    except (MlflowException, TrackingError, OSError) as error:
        if started:
            end_run_if_ours(record.mlflow_run_id, "FAILED")
        raise TrackingError(
            f"could not register {run.path}: {error}. The model is kept there: "
            f"run `horogen register {run.path}` once MLflow answers"
        ) from error
    if started:
        end_run_if_ours(record.mlflow_run_id, "FINISHED")
    return record


def replay_history(run_id: str, entries: list[dict[str, Any]]) -> set[str]:
    """Log the Trainer log ``entries`` that run ``run_id`` lacks: per metric, those at a
    step after the last step it has (the tracking server was down for part of training,
    or all of it). The metric keys the run had before."""
    from mlflow.entities import Metric

    client = mlflow.MlflowClient()
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


def existing_version(name: str, run_id: str) -> ModelVersion | None:
    """The newest version of registered model ``name`` made from run ``run_id``, if any."""
    client = mlflow.MlflowClient()
    versions = client.search_model_versions(f"name='{name}' and run_id='{run_id}'")
    return max(versions, key=lambda version: int(version.version), default=None)


def logged_model_uri(run_id: str) -> str | None:
    """The ``models:/`` URI of a complete model that run ``run_id`` logged already."""
    from mlflow.entities import LoggedModelStatus

    client = mlflow.MlflowClient()
    outputs = client.get_run(run_id).outputs
    for output in reversed(outputs.model_outputs if outputs else []):
        model = client.get_logged_model(output.model_id)
        if model.name == MODEL_NAME and model.status == LoggedModelStatus.READY:
            return model.model_uri
    return None


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


def _run_exists(run_id: str) -> bool:
    try:
        mlflow.MlflowClient().get_run(run_id)
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
