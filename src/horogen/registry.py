"""Thin helpers over the MLflow tracking server and model registry.

Where MLflow runs: ``settings.train.tracking_uri``, else ``$MLFLOW_TRACKING_URI``, else a
SQLite store beside a local lake (``<lake>/mlflow.db``, artifacts in ``<lake>/mlartifacts``).
Versions are told apart by aliases (``champion``, ``challenger``), never stages.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from horogen.errors import ConfigError, TrackingError

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from horogen.config import Settings

#: The alias of the version that serves; also the ``--base`` that warm-starts from it.
CHAMPION = "champion"
#: The alias a new version gets until it beats the champion. Not used by training: the
#: evaluation and promotion stage (to come) sets it.
CHALLENGER = "challenger"
#: Metrics of a version's run that ``horogen models`` shows.
KEY_METRICS = ("best_eval_loss", "best_eval_perplexity", "train_loss")
#: Run ids per ``search_runs`` call of :func:`list_versions`.
_RUNS_PER_SEARCH = 100


@dataclass(frozen=True)
class Tracking:
    """Where runs and models are tracked."""

    uri: str
    #: Artifact location for new experiments: beside a SQLite store; else the server decides.
    artifact_root: str | None


def tracking(settings: Settings) -> Tracking:
    """The tracking URI and artifact root these settings point to."""
    uri = settings.train.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        lake = settings.open_lake()
        if not lake.is_local:
            raise ConfigError(
                f"the lake {lake.uri} is not local, so there is no default MLflow store: set "
                "HOROGEN_TRAIN__TRACKING_URI (or MLFLOW_TRACKING_URI) to your tracking server"
            )
        root = Path(lake.root).resolve()
        root.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{root / 'mlflow.db'}"
    artifact_root = None
    if uri.startswith("sqlite:///"):  # artifacts beside the database, not in ./mlruns
        database = Path(uri.removeprefix("sqlite:///")).resolve()
        artifact_root = (database.parent / "mlartifacts").as_uri()
    return Tracking(uri, artifact_root)


def connect(settings: Settings, *, check: bool = True) -> Tracking:
    """Point MLflow (tracking and registry) at these settings' store and return it.

    With ``check``, a tracking server that does not answer raises :class:`TrackingError`
    at once rather than after MLflow's minutes of retries.
    """
    import mlflow

    target = tracking(settings)
    if check:
        check_reachable(target.uri)
    mlflow.set_tracking_uri(target.uri)
    mlflow.set_registry_uri(target.uri)
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


def models_uri(name: str, version: int | str) -> str:
    return f"models:/{name}/{version}"


@dataclass(frozen=True)
class VersionInfo:
    """A registered model version as ``horogen models`` shows it."""

    name: str
    version: int
    aliases: list[str]
    created_at: dt.datetime
    run_id: str | None
    tags: dict[str, str]
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return models_uri(self.name, self.version)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"created_at": self.created_at.isoformat(), "uri": self.uri}


def _client() -> MlflowClient:
    from mlflow import MlflowClient

    return MlflowClient()


def list_versions(name: str) -> list[VersionInfo]:
    """Every version of registered model ``name``, newest first (empty if there is none).

    Their runs' metrics come from one ``search_runs`` per 100 runs; a version whose run is
    gone (deleted for good) shows no metrics.
    """
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    client = _client()
    try:
        registered = client.get_registered_model(name)
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            return []
        raise
    aliases: dict[str, list[str]] = {}
    for alias, version in registered.aliases.items():
        aliases.setdefault(str(version), []).append(alias)
    versions = list(client.search_model_versions(f"name='{name}'"))
    run_ids = sorted({version.run_id for version in versions if version.run_id})
    metrics: dict[str, dict[str, float]] = {}
    if run_ids:
        experiments = [e.experiment_id for e in client.search_experiments(ViewType.ALL)]
        for start in range(0, len(run_ids), _RUNS_PER_SEARCH):
            chunk = run_ids[start : start + _RUNS_PER_SEARCH]
            quoted = ", ".join(f"'{run_id}'" for run_id in chunk)
            for run in client.search_runs(
                experiments,
                filter_string=f"attributes.run_id IN ({quoted})",
                run_view_type=ViewType.ALL,
                max_results=len(chunk),
            ):
                metrics[run.info.run_id] = dict(run.data.metrics)
    infos = [
        _info(v, sorted(aliases.get(str(v.version), [])), metrics.get(v.run_id or "", {}))
        for v in versions
    ]
    return sorted(infos, key=lambda info: info.version, reverse=True)


def get_version(name: str, version_or_alias: int | str) -> VersionInfo | None:
    """Version ``version_or_alias`` (a number or an alias) of ``name``, ``None`` if missing."""
    from mlflow.exceptions import MlflowException

    client = _client()
    try:
        if str(version_or_alias).isdigit():
            found = client.get_model_version(name, str(version_or_alias))
        else:
            found = client.get_model_version_by_alias(name, str(version_or_alias))
    except MlflowException as error:
        if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise
    return _info(found, sorted(found.aliases), _run_metrics(client, found.run_id))


def champion(name: str) -> VersionInfo | None:
    """The version of ``name`` that carries the ``champion`` alias, if any."""
    return get_version(name, CHAMPION)


def set_alias(name: str, alias: str, version: int | str) -> None:
    _client().set_registered_model_alias(name, alias, str(version))


def _run_metrics(client: MlflowClient, run_id: str | None) -> dict[str, float]:
    """The metrics of run ``run_id``; none when there is no such run (any more)."""
    from mlflow.exceptions import MlflowException

    if not run_id:
        return {}
    try:
        return dict(client.get_run(run_id).data.metrics)
    except MlflowException:
        return {}


def _info(version: Any, aliases: list[str], metrics: dict[str, float]) -> VersionInfo:
    return VersionInfo(
        name=version.name,
        version=int(version.version),
        aliases=aliases,
        created_at=dt.datetime.fromtimestamp(version.creation_timestamp / 1000, dt.UTC),
        run_id=version.run_id,
        tags=dict(version.tags),
        metrics=metrics,
    )
