"""The model registry: versions of the registered model, their aliases and tags.

Versions are told apart by aliases (``champion``, ``challenger``), never stages. Every
function works on the registry MLflow points at: call :func:`horogen.model.tracking.connect`
first.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, computed_field

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

#: The alias of the version that serves; also the ``--base`` that warm-starts from it.
CHAMPION = "champion"
#: The alias of the newest version until evaluation decides whether it beats the champion.
CHALLENGER = "challenger"
#: Metrics of a version's run that ``horogen models`` shows.
KEY_METRICS = ("best_eval_loss", "best_eval_perplexity", "train_loss")
#: Run ids per ``search_runs`` call of :func:`list_versions`.
_RUNS_PER_SEARCH = 100


def models_uri(name: str, version: int | str) -> str:
    return f"models:/{name}/{version}"


class VersionInfo(BaseModel):
    """A registered model version: what ``horogen models`` shows and ``--json`` prints."""

    name: str
    version: int
    aliases: list[str]
    created_at: dt.datetime
    run_id: str | None
    tags: dict[str, str]
    metrics: dict[str, float] = {}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def uri(self) -> str:
        return models_uri(self.name, self.version)


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


def newest(name: str) -> VersionInfo | None:
    """The highest-numbered version of ``name``, if any."""
    versions = list_versions(name)
    return versions[0] if versions else None


def set_alias(name: str, alias: str, version: int | str) -> None:
    _client().set_registered_model_alias(name, alias, str(version))


def delete_alias(name: str, alias: str) -> None:
    """Remove ``alias`` from whichever version holds it (nothing if none does)."""
    from mlflow.exceptions import MlflowException

    try:
        _client().delete_registered_model_alias(name, alias)
    except MlflowException as error:
        if error.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            raise


def set_tags(name: str, version: int | str, tags: dict[str, str]) -> None:
    client = _client()
    for key, value in tags.items():
        client.set_model_version_tag(name, str(version), key, value)


def delete_tag(name: str, version: int | str, key: str) -> None:
    """Remove the tag ``key`` from ``version`` (nothing if it has none)."""
    client = _client()
    if key in client.get_model_version(name, str(version)).tags:
        client.delete_model_version_tag(name, str(version), key)


def version_of_run(name: str, run_id: str) -> ModelVersion | None:
    """The newest version of registered model ``name`` made from run ``run_id``, if any."""
    versions = _client().search_model_versions(f"name='{name}' and run_id='{run_id}'")
    return max(versions, key=lambda version: int(version.version), default=None)


def register(model_uri: str, name: str, tags: dict[str, str]) -> ModelVersion:
    """Register the logged model ``model_uri`` as a new version of ``name`` with ``tags``
    (see :func:`version_of_run` to find one made already)."""
    import mlflow

    return mlflow.register_model(model_uri, name, tags=tags)


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
