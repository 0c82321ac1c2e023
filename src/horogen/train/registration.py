"""Log a trained run's model and register it as a new version: at the end of training, or
later with ``horogen register RUN_DIR`` when MLflow was down while it trained."""

from __future__ import annotations

from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException

from horogen.errors import ConfigError, HorogenError, TrackingError
from horogen.model import registry
from horogen.model.packaging import log_model, logged_model_uri
from horogen.model.store import ModelStore
from horogen.model.strategy import Strategy
from horogen.train.runs import RunDir, RunRecord
from horogen.train.tracking import end_run_if_ours, open_run, replay_history


def version_tags(record: RunRecord) -> dict[str, str]:
    """The tags a registered version carries: its run, base and data."""
    return {
        "run_id": str(record.mlflow_run_id),
        "base_model": record.base_model,
        "data_window": str(record.window),
        "data_fingerprint": record.fingerprint.content_hash,
    }


def register_run(run_dir: Path | str, models: ModelStore, strategy: Strategy) -> RunRecord:
    """Log the trained model of ``run_dir`` (with ``strategy`` as its decoding defaults)
    and register it as a new version, the ``challenger`` until evaluation decides.

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
    try:
        if started:
            record.mlflow_run_id = open_run(models, run, record, run.training_set(record))
            run.write(record)
        run_id = str(record.mlflow_run_id)
        logged = replay_history(models.client, run_id, run.log_history())
        summary = {key: value for key, value in record.metrics.items() if key not in logged}
        if summary:
            mlflow.log_metrics(summary, run_id=run_id)
        versions = models.registry
        version = versions.version_of_run(run_id)
        if version is None:
            model_uri = (
                logged_model_uri(models.client, run_id)
                or log_model(run.model_dir, strategy, record.settings.max_source_length).model_uri
            )
            version = versions.register(model_uri, run_id, version_tags(record))
            versions.set_alias(registry.CHALLENGER, version.version)
        record.model_version = int(version.version)
        record.model_uri = registry.models_uri(models.name, version.version)
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
