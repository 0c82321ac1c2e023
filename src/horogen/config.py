"""Settings: defaults, then ``horogen.toml`` (or the file ``HOROGEN_CONFIG`` names), then
``HOROGEN_*`` environment variables (nested with ``__``: ``HOROGEN_COLLECT__RETRIES=5``),
then explicit overrides such as command-line options."""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from horogen.collect.settings import CollectSettings
from horogen.errors import ConfigError
from horogen.evaluate.settings import EvaluateSettings, PublishSettings
from horogen.lake import Lake
from horogen.model.settings import GenerationSettings, MlflowSettings
from horogen.process.settings import ProcessSettings
from horogen.serve.settings import ServeSettings
from horogen.train.settings import TrainSettings


class S3Settings(BaseModel):
    """Where an ``s3://`` lake lives; unset values fall back to the usual AWS variables."""

    model_config = ConfigDict(extra="forbid")

    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str | None = None

    def storage_options(self) -> dict[str, Any]:
        """These settings as fsspec/s3fs options."""
        options: dict[str, Any] = {}
        if self.access_key_id:
            options["key"] = self.access_key_id
        if self.secret_access_key:
            options["secret"] = self.secret_access_key
        client_kwargs = {
            name: value
            for name, value in (("endpoint_url", self.endpoint_url), ("region_name", self.region))
            if value
        }
        if client_kwargs:
            options["client_kwargs"] = client_kwargs
        return options


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOROGEN_", env_nested_delimiter="__", extra="forbid"
    )

    lake: str = "./horogen-data"
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info",
        description="What the command line prints: horogen's messages from this level up "
        "(other libraries' only with debug); -v/--verbose and -q/--quiet override it.",
    )
    s3: S3Settings = S3Settings()
    collect: CollectSettings = CollectSettings()
    process: ProcessSettings = ProcessSettings()
    train: TrainSettings = TrainSettings()
    mlflow: MlflowSettings = MlflowSettings()
    generation: GenerationSettings = GenerationSettings()
    evaluate: EvaluateSettings = EvaluateSettings()
    publish: PublishSettings = PublishSettings()
    serve: ServeSettings = ServeSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = config_path()
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    def open_lake(self) -> Lake:
        options = self.s3.storage_options() if self.lake.startswith("s3") else {}
        return Lake(self.lake, options)


#: The scenario file a command asked for (see ``load_settings``), read by ``config_path``.
_scenario: ContextVar[Path | None] = ContextVar("scenario", default=None)

#: Settings files that ship with horogen, one per scenario.
SCENARIOS = Path(__file__).parent / "scenarios"


def config_path() -> Path | None:
    """The settings file in use: ``$HOROGEN_CONFIG`` (must exist), else the scenario the
    command runs (``horogen demo``: scenarios/demo.toml), else the scenario
    ``$HOROGEN_SCENARIO`` names (``demo``, ``production``, ``stack``: how Airflow workers
    choose one), else ``./horogen.toml``."""
    named = os.environ.get("HOROGEN_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"HOROGEN_CONFIG names {named!r}, which is not a file")
        return path
    if _scenario.get() is not None:
        return _scenario.get()
    if os.environ.get("HOROGEN_SCENARIO"):
        return scenario_file(os.environ["HOROGEN_SCENARIO"])
    default = Path("horogen.toml")
    return default if default.is_file() else None


def scenario_file(name: str) -> Path:
    """The settings file of the shipped scenario ``name``."""
    path = SCENARIOS / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(file.stem for file in SCENARIOS.glob("*.toml")))
        raise ConfigError(f"there is no scenario {name!r} (HOROGEN_SCENARIO); known: {known}")
    return path


#: Short environment variables for settings that people often set by hand.
SHORTHANDS: dict[str, tuple[str, str]] = {"HOROGEN_MIRROR": ("collect", "mirror")}


def load_settings(*, scenario: str | None = None, **overrides: Any) -> Settings:
    """Settings from all sources; ``overrides`` whose value is ``None`` are ignored.

    ``scenario`` names a settings file in ``horogen/scenarios/`` (``"demo"``) used in place
    of ``./horogen.toml``.
    """
    given = {name: value for name, value in overrides.items() if value is not None}
    for variable, (section, name) in SHORTHANDS.items():
        if os.environ.get(variable) and name not in (given.get(section) or {}):
            given[section] = {**(given.get(section) or {}), name: os.environ[variable]}
    token = _scenario.set(scenario_file(scenario) if scenario else None)
    try:
        return Settings(**given)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"{config_path()} is not valid TOML: {error}; fix that line (see https://toml.io)"
        ) from None
    except ValidationError as error:
        raise ConfigError(_one_line(error, config_path())) from None
    finally:
        _scenario.reset(token)


def _one_line(error: ValidationError, file: Path | None) -> str:
    """A settings validation error as one line: each bad setting, what is wrong with it and
    where settings come from."""
    problems = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"])
        if item["type"] == "extra_forbidden":
            problems.append(f"{name} is not a setting (misspelt?)")
        else:
            problems.append(f"{name} = {item.get('input')!r}: {item['msg']}")
    where = f"{file}, " if file else ""
    return (
        f"invalid settings: {'; '.join(problems)}; fix them in {where}the HOROGEN_* "
        "variables or the options (every setting: README, Configuration)"
    )
