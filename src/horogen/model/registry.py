"""The model registry: versions of the registered model, their aliases and tags.

Versions are told apart by aliases (``champion``, ``challenger``), never stages. A
:class:`Registry` works through the MLflow client of its store
(:attr:`horogen.model.store.ModelStore.registry`), never MLflow's global state.
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
#: Prefix of registered-model and logged-model URIs.
MODELS_URI = "models:/"
#: Run ids per ``search_runs`` call of :meth:`Registry.versions`.
_RUNS_PER_SEARCH = 100


def models_uri(name: str, version: int | str) -> str:
    return f"{MODELS_URI}{name}/{version}"


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


class Registry:
    """The versions of one registered model, through one MLflow client (its store's)."""

    def __init__(self, client: MlflowClient, name: str) -> None:
        self.client = client
        self.name = name

    def versions(self) -> list[VersionInfo]:
        """Every version, newest first (empty if there is none).

        Their runs' metrics come from one ``search_runs`` per 100 runs; a version whose run
        is gone (deleted for good) shows no metrics.
        """
        from mlflow.entities import ViewType
        from mlflow.exceptions import MlflowException

        client = self.client
        try:
            registered = client.get_registered_model(self.name)
        except MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                return []
            raise
        aliases: dict[str, list[str]] = {}
        for alias, version in registered.aliases.items():
            aliases.setdefault(str(version), []).append(alias)
        versions = list(client.search_model_versions(f"name='{self.name}'"))
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

    def version(self, version_or_alias: int | str) -> VersionInfo | None:
        """Version ``version_or_alias`` (a number or an alias), ``None`` if missing."""
        from mlflow.exceptions import MlflowException

        client = self.client
        try:
            if str(version_or_alias).isdigit():
                found = client.get_model_version(self.name, str(version_or_alias))
            else:
                found = client.get_model_version_by_alias(self.name, str(version_or_alias))
        except MlflowException as error:
            if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            raise
        return _info(found, sorted(found.aliases), _run_metrics(client, found.run_id))

    def champion(self) -> VersionInfo | None:
        """The version that carries the ``champion`` alias, if any."""
        return self.version(CHAMPION)

    def newest(self) -> VersionInfo | None:
        """The highest-numbered version, if any."""
        versions = self.versions()
        return versions[0] if versions else None

    def set_alias(self, alias: str, version: int | str) -> None:
        self.client.set_registered_model_alias(self.name, alias, str(version))

    def delete_alias(self, alias: str) -> None:
        """Remove ``alias`` from whichever version holds it (nothing if none does)."""
        from mlflow.exceptions import MlflowException

        try:
            self.client.delete_registered_model_alias(self.name, alias)
        except MlflowException as error:
            if error.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                raise

    def set_tags(self, version: int | str, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            self.client.set_model_version_tag(self.name, str(version), key, value)

    def delete_tag(self, version: int | str, key: str) -> None:
        """Remove the tag ``key`` from ``version`` (nothing if it has none)."""
        if key in self.client.get_model_version(self.name, str(version)).tags:
            self.client.delete_model_version_tag(self.name, str(version), key)

    def model_tag(self, key: str) -> str | None:
        """A tag of the registered model itself (``None`` when it or the model is missing)."""
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_registered_model(self.name).tags.get(key)
        except MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise

    def set_model_tag(self, key: str, value: str) -> None:
        self.client.set_registered_model_tag(self.name, key, value)

    def version_of_run(self, run_id: str) -> ModelVersion | None:
        """The newest version made from run ``run_id``, if any."""
        versions = self.client.search_model_versions(f"name='{self.name}' and run_id='{run_id}'")
        return max(versions, key=lambda version: int(version.version), default=None)

    def register(self, model_uri: str, run_id: str, tags: dict[str, str]) -> ModelVersion:
        """Register the model run ``run_id`` logged at ``model_uri`` (``models:/m-…``) as a
        new version with ``tags`` (see :meth:`version_of_run` to find one made already)."""
        from mlflow.exceptions import MlflowException

        try:
            self.client.create_registered_model(self.name)
        except MlflowException as error:
            if error.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        model_id = model_uri.removeprefix(MODELS_URI) if model_uri.startswith(MODELS_URI) else None
        return self.client.create_model_version(
            self.name, model_uri, run_id=run_id, tags=tags, model_id=model_id
        )


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
