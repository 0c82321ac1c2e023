"""Settings of the collection stage (``[collect]`` in horogen.toml)."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from horogen.collect.sites import SOURCES

#: Seconds between two requests to one real site, unless set: Scrapy's template's default.
POLITE_INTERVAL = 1.0
#: Requests in flight to one site of a mirror (which serves from this machine), unless set.
MIRROR_CONCURRENCY = 4


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
    contact_url: str = Field(
        default="https://github.com/horogen/horogen",
        description="Where a site's operator can reach whoever runs this collection: put "
        "into the User-Agent (set your own in production).",
    )
    user_agent: str = Field(
        default="horogen/0.1 (+{contact_url})",
        description="The User-Agent header; `{contact_url}` is replaced by `contact_url`.",
    )
    respect_robots: bool = Field(
        default=True, description="Honour robots.txt: its rules and its `Crawl-delay`."
    )
    min_interval: float | None = Field(
        default=None,
        ge=0,
        description="Seconds between the starts of two requests to one site (a robots.txt "
        "`Crawl-delay` that is longer wins); unset: 1 s for the real sites, 0 for a mirror.",
    )
    conditional_requests: bool = Field(
        default=True,
        description="Ask with the archived page's ETag / Last-Modified; a 304 reuses the "
        "archived page.",
    )
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=20.0, gt=0)
    retries: int = Field(default=4, ge=0, description="Retries after the first attempt.")
    backoff_base: float = Field(default=0.5, gt=0, description="First retry delay, seconds.")
    backoff_max: float = Field(default=30.0, gt=0)
    concurrency_per_site: int | None = Field(
        default=None,
        ge=1,
        description="Requests in flight to one site; unset: 1 for the real sites, 4 for a mirror.",
    )
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

    def agent(self) -> str:
        """The User-Agent header, with the contact URL in it."""
        return self.user_agent.replace("{contact_url}", self.contact_url)

    def site_interval(self) -> float:
        """Seconds between two requests to one site (before any ``Crawl-delay``)."""
        if self.min_interval is not None:
            return self.min_interval
        return 0.0 if self.mirror else POLITE_INTERVAL

    def site_concurrency(self) -> int:
        """Requests in flight to one site."""
        if self.concurrency_per_site is not None:
            return self.concurrency_per_site
        return MIRROR_CONCURRENCY if self.mirror else 1

    @field_validator("contact_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "mailto:")):
            raise ValueError(f"{value!r} is no URL a site operator can follow (http(s)://…)")
        return value

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
