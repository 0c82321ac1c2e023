"""Where MLflow runs: ``mlflow.tracking_uri``, else ``$MLFLOW_TRACKING_URI``, else a SQLite
store inside a local lake (``<lake>/mlflow.db``, artifacts in ``<lake>/mlartifacts``: see
:mod:`horogen.layout`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from horogen.errors import ConfigError, TrackingError
from horogen.lake import Lake
from horogen.layout import MLFLOW_ARTIFACTS, MLFLOW_DATABASE, shared_file
from horogen.model.relocate import relocate
from horogen.model.settings import MlflowSettings

#: Environment variables that ``mlflow.set_tracking_uri``/``set_registry_uri`` overwrite.
_EXPORTED = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@dataclass(frozen=True)
class Tracking:
    """Where runs and models are tracked."""

    uri: str
    #: Artifact location for new experiments: beside a SQLite store; else the server decides.
    artifact_root: str | None


def tracking(mlflow: MlflowSettings, lake: Lake) -> Tracking:
    """The tracking URI and artifact root these settings point to."""
    uri = mlflow.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        database = shared_file(lake, MLFLOW_DATABASE)
        if database is None:
            raise ConfigError(
                f"the lake {lake.uri} is not local, so there is no default MLflow store: set "
                "HOROGEN_MLFLOW__TRACKING_URI (or MLFLOW_TRACKING_URI) to your tracking server"
            )
        database.parent.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{database}"
    artifact_root = None
    if uri.startswith("sqlite:///"):  # artifacts beside the database, not in ./mlruns
        database = Path(uri.removeprefix("sqlite:///")).resolve()
        artifact_root = (database.parent / MLFLOW_ARTIFACTS).as_uri()
        relocate(database)  # a copied or moved lake reads and writes its own artifacts
    return Tracking(uri, artifact_root)


def connect(mlflow_settings: MlflowSettings, lake: Lake, *, check: bool = True) -> Tracking:
    """Point MLflow (tracking and registry) at these settings' store and return it.

    With ``check``, a tracking server that does not answer raises :class:`TrackingError`
    at once rather than after MLflow's minutes of retries.
    """
    import mlflow

    target = tracking(mlflow_settings, lake)
    if check:
        check_reachable(target.uri)
    # MLflow exports what it is given as $MLFLOW_TRACKING_URI and $MLFLOW_REGISTRY_URI;
    # left there, the next lake this process opens would read them as the user's choice.
    exported = {name: os.environ.get(name) for name in _EXPORTED}
    mlflow.set_tracking_uri(target.uri)
    mlflow.set_registry_uri(target.uri)
    for name, value in exported.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    return target


def check_reachable(uri: str, timeout: float = 5.0) -> None:
    """Raise :class:`TrackingError` when ``uri`` is an HTTP server that does not answer.

    Any HTTP response counts as an answer, an error status included: a proxy in front of
    the server may answer ``/health`` with 401, 403 or 404 and still pass MLflow's
    requests. Only a failed connection or a timeout means the server is down.
    """
    if not uri.startswith(("http://", "https://")):
        return
    import httpx

    try:
        httpx.get(f"{uri.rstrip('/')}/health", timeout=timeout)
    except (httpx.TransportError, httpx.InvalidURL) as error:
        raise TrackingError(
            f"the MLflow tracking server at {uri} does not answer: {error}"
        ) from None


def ensure_experiment(name: str, target: Tracking) -> str:
    """The id of experiment ``name``, created (with the store's artifact root) if missing."""
    import mlflow

    experiment = mlflow.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    location = f"{target.artifact_root}/{name}" if target.artifact_root else None
    return mlflow.create_experiment(name, artifact_location=location)
