"""Which model a user means, and a local copy of it.

A reference is what people type: ``champion``, ``challenger``, a version number,
``models:/horogen/3``, ``models:/horogen@champion``, or a local directory (a saved Hugging
Face model, or a downloaded MLflow model). :meth:`ModelStore.resolve` turns it into a
:class:`ResolvedModel`: a Hugging Face directory on this machine, the version it came from
and the version's frozen ``model_config`` (prompts, decoding defaults, prompt length).

Registered versions are downloaded once into the cache, keyed by tracking store, name and
version (versions never change), and moved into place whole: a killed download leaves
no half copy. Conversions for other backends are cached beside them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from horogen import atomic
from horogen.errors import ModelLoadError, ModelNotFound, TrackingError
from horogen.lake import Lake
from horogen.model import registry
from horogen.model.packaging import model_config
from horogen.model.pyfunc import HF_ARTIFACT, fill_slots, prompt_of
from horogen.model.registry import MODELS_URI, Registry
from horogen.model.settings import MlflowSettings
from horogen.model.strategy import Strategy
from horogen.model.tracking import Tracking, check_reachable, connect, tracking

if TYPE_CHECKING:
    from mlflow import MlflowClient

#: Aliases a bare word may name.
ALIASES = (registry.CHAMPION, registry.CHALLENGER)
#: Where the prompt length comes from for a directory that is not a logged version.
DEFAULT_MAX_SOURCE_LENGTH = 32
_VERSION_URI = re.compile(r"^models:/(?P<name>[^/@]+)(/(?P<version>\d+)|@(?P<alias>[\w.-]+))$")
_LIST = "`horogen models` lists the registered versions and their aliases"


@dataclass(frozen=True)
class ResolvedModel:
    """A model on this machine, ready for a generation backend."""

    #: What was asked for, as typed.
    reference: str
    #: The Hugging Face directory (model and tokenizer).
    hf_dir: Path
    #: Where conversions of this model are cached (one subfolder each).
    cache_dir: Path
    #: The version's ``model_config``; for a bare directory, today's prompt recipe, slots
    #: and defaults.
    config: dict[str, Any]
    #: The registered version; ``None`` for a directory.
    version: registry.VersionInfo | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``horogen/3`` for a version, the directory for a directory."""
        if self.version is None:
            return str(self.hf_dir)
        return f"{self.version.name}/{self.version.version}"

    @property
    def max_source_length(self) -> int:
        return int(self.config.get("max_source_length", DEFAULT_MAX_SOURCE_LENGTH))

    def prompt(self, sign: str, category: str, date: dt.date) -> str:
        """The prompt this model was trained with for ``sign``, ``category`` and ``date``
        (a version from before prompts named the date: its frozen prompt table's)."""
        return prompt_of(self.config, sign, category, date.isoformat())

    def fill(self, text: str, sign: str, date: dt.date) -> str:
        """``text`` with its slots filled from ``sign`` and ``date``, as the version's frozen
        slot recipe says (unchanged for a version trained without slots)."""
        return fill_slots(text, sign, date.isoformat(), self.config.get("slots"))

    def strategy(self, default: Strategy) -> Strategy:
        """The strategy evaluation chose for this version, else ``default``."""
        return Strategy.of_version(self.tags) or default


@dataclass(frozen=True)
class ModelStore:
    """The registry of one deployment, through its own MLflow client, and this machine's
    cache of its models (``cache_root``)."""

    mlflow: MlflowSettings
    lake: Lake
    cache_root: Path

    @property
    def name(self) -> str:
        """The registered model's name."""
        return self.mlflow.registered_model

    def tracking(self) -> Tracking:
        """Where this store's runs and versions are tracked."""
        return tracking(self.mlflow, self.lake)

    @cached_property
    def client(self) -> MlflowClient:
        """This store's MLflow client (a tracking server that does not answer raises
        :class:`TrackingError` here, at once)."""
        from mlflow import MlflowClient

        target = self.tracking()
        check_reachable(target.uri)
        return MlflowClient(tracking_uri=target.uri, registry_uri=target.uri)

    @cached_property
    def registry(self) -> Registry:
        """The versions of the registered model."""
        return Registry(self.client, self.name)

    def connect(self, *, check: bool = True) -> Tracking:
        """Point MLflow's fluent API (``mlflow.start_run``, ``log_model``, the Trainer's
        MLflow callback) at this store, for what logs runs and models through it."""
        return connect(self.mlflow, self.lake, check=check)

    def resolve(self, reference: str | None = None) -> ResolvedModel:
        """The model ``reference`` names, fetched into the cache; ``None``: the champion,
        else the newest version. Raises :class:`ModelNotFound` (naming ``horogen models``)
        when nothing matches and :class:`ModelLoadError` when a version's files are gone."""
        text = (reference or "").strip()
        path = Path(text).expanduser()
        if text and not text.startswith(MODELS_URI) and not text.isdigit() and path.exists():
            return self._directory(text, path)
        from mlflow.exceptions import MlflowException

        name, wanted = self._parse(text)
        target = self.tracking()
        try:
            version = self._find(Registry(self.client, name), wanted)
        except MlflowException as error:
            raise TrackingError(
                f"could not look up {text or 'the champion'!r} at {target.uri}: "
                f"{_first_line(error)}"
            ) from error
        if version is None:
            if wanted is None:
                raise ModelNotFound(
                    f"no version of {name!r} is registered at {target.uri}: "
                    "train one with `horogen train`"
                )
            what = f"version {wanted}" if wanted.isdigit() else f"version with alias {wanted!r}"
            raise ModelNotFound(f"{name!r} has no {what} at {target.uri}; {_LIST}")
        return self._fetch(text or version.uri, version, target)

    def _parse(self, text: str) -> tuple[str, str | None]:
        """(registered model name, version number or alias; ``None``: champion or newest)."""
        if not text:
            return self.name, None
        if text.isdigit() or text in ALIASES:
            return self.name, text
        match = _VERSION_URI.match(text)
        if match:
            return match["name"], match["version"] or match["alias"]
        raise ModelNotFound(
            f"{text!r} is not a model: give a version number, champion, challenger, "
            f"models:/NAME/VERSION, models:/NAME@ALIAS or a model directory; {_LIST}"
        )

    @staticmethod
    def _find(versions: Registry, wanted: str | None) -> registry.VersionInfo | None:
        if wanted is not None:
            return versions.version(wanted)
        return versions.champion() or versions.newest()

    def _fetch(
        self, reference: str, version: registry.VersionInfo, target: Tracking
    ) -> ResolvedModel:
        """Download ``version`` into the cache unless it is there."""

        store = hashlib.sha256(target.uri.encode()).hexdigest()[:8]
        local = self.cache_root / version.name / f"{version.version}-{store}"
        if not (local / "MLmodel").is_file():
            self._download(version, target, local)
        config, hf_dir = read_logged_model(local)
        return ResolvedModel(reference, hf_dir, local, config, version, dict(version.tags))

    def _download(self, version: registry.VersionInfo, target: Tracking, local: Path) -> None:
        """Download ``version`` to ``local`` whole (a copy there without an MLmodel file,
        not ours to trust, is replaced). Through this store's client: MLflow's own
        ``models:/`` download reads the registry of its global state whatever it is told."""
        import mlflow

        try:
            location = self.client.get_model_version_download_uri(
                version.name, str(version.version)
            )
            local.parent.mkdir(parents=True, exist_ok=True)
            with (
                atomic.new_directory(local) as partial,
                tempfile.TemporaryDirectory(dir=local.parent, prefix=".download-") as scratch,
            ):
                got = Path(
                    mlflow.artifacts.download_artifacts(
                        location, dst_path=scratch, tracking_uri=target.uri
                    )
                )
                if not (got / "MLmodel").is_file():
                    raise FileNotFoundError(f"no MLmodel file among the artifacts of {version.uri}")
                os.replace(got, partial)
        except Exception as error:  # MlflowException, OSError: the files are gone
            raise ModelLoadError(
                f"the files of {version.uri} could not be downloaded from {target.uri}: "
                f"{_first_line(error)}. Pick another version ({_LIST})"
            ) from error

    def _directory(self, reference: str, path: Path) -> ResolvedModel:
        path = path.resolve()
        if (path / "MLmodel").is_file():
            config, hf_dir = read_logged_model(path)
        elif (path / "config.json").is_file():
            config, hf_dir = model_config(Strategy(), DEFAULT_MAX_SOURCE_LENGTH), path
        else:
            raise ModelNotFound(
                f"{path} is neither a saved Hugging Face model (config.json) nor an MLflow "
                f"model (MLmodel); {_LIST}"
            )
        key = hashlib.sha256(str(path).encode()).hexdigest()[:12]
        return ResolvedModel(reference, hf_dir, self.cache_root / "dirs" / key, config)


def read_logged_model(local: Path) -> tuple[dict[str, Any], Path]:
    """The ``model_config`` and Hugging Face directory of a downloaded pyfunc model."""
    from mlflow.models import Model
    from mlflow.pyfunc import MODEL_CONFIG

    try:
        flavor = Model.load(str(local / "MLmodel")).flavors["python_function"]
        hf_dir = local / flavor["artifacts"][HF_ARTIFACT]["path"]
        config = dict(flavor[MODEL_CONFIG])
    except Exception as error:  # MlflowException, OSError, KeyError: not a model of ours
        raise ModelLoadError(f"{local} is not a horogen model version: {error!r}") from error
    if not (hf_dir / "config.json").is_file():
        raise ModelLoadError(f"{hf_dir} has no config.json: the version's files are incomplete")
    return config, hf_dir


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].rstrip(".") if text else type(error).__name__
