"""Settings of the collection stage (``[collect]`` in horogen.toml)."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from horogen.collect.sites import SOURCES


class CollectSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt setting is an error, not ignored

    mirror: str | None = Field(
        default=None,
        description="Base URL of a `horogen mirror` server; points every source at it.",
    )
    base_urls: dict[str, str] = Field(
        default_factory=dict, description="Per-source base URL overrides, by source id."
    )
    sources: list[str] | None = Field(
        default=None, description="Source ids to collect; all sources when unset."
    )
    timezone: str = Field(
        default="Europe/Moscow", description="Where the sites' day begins and ends."
    )
    parallel_days: int = Field(default=4, ge=1, description="Days of one source at once.")
    give_up_after: int = Field(
        default=5,
        ge=0,
        description="Stop asking a source for more days of a range once this many of its "
        "days in a row failed (0: never give up).",
    )
    user_agent: str = "horogen/0.1 (+https://github.com/horogen/horogen)"
    respect_robots: bool = True
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=20.0, gt=0)
    retries: int = Field(default=4, ge=0, description="Retries after the first attempt.")
    backoff_base: float = Field(default=0.5, gt=0, description="First retry delay, seconds.")
    backoff_max: float = Field(default=30.0, gt=0)
    concurrency_per_site: int = Field(default=4, ge=1)
    breaker_threshold: int = Field(
        default=3,
        ge=0,
        description="Give up on a site for the rest of the run once this many of its "
        "requests in a row failed after their retries (timeouts, refused or broken "
        "connections, 5xx, 429); its remaining pages are reported as not attempted "
        "(0: never give up).",
    )
    failure_threshold: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Share of failed source-days at which `collect` fails (exit code 1); "
        "fewer failures are a partial failure (exit code 5).",
    )

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: list[str] | None) -> list[str] | None:
        _check_sources(value or [])
        return value

    @field_validator("base_urls")
    @classmethod
    def _known_base_urls(cls, value: dict[str, str]) -> dict[str, str]:
        _check_sources(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (try Europe/Moscow)") from None
        return value


def _check_sources(names: Iterable[str]) -> None:
    unknown = [name for name in names if name not in SOURCES]
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}")
