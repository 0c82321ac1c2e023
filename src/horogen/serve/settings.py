"""Settings of the serving stage (``[serve]`` in horogen.toml; ``HOROGEN_SERVE__PORT=8080``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from horogen.errors import ConfigError
from horogen.lake import Lake
from horogen.layout import SERVE_DATABASE, shared_file
from horogen.schema import Category


class ServeSettings(BaseModel):
    """The API, the page and the bot: where they listen, which model, which days."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", description="Address `horogen serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, description="Server processes sharing the port.")
    cache_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the cache (texts and readers' votes); default "
        f"sqlite:///<lake>/{SERVE_DATABASE} for a local lake. Replicas share a PostgreSQL one: "
        "postgresql+psycopg2://user@host/db.",
    )
    model: str = Field(
        default="champion",
        description="champion, challenger, a version number, models:/NAME@ALIAS or a model "
        "directory. An alias is polled and followed.",
    )
    poll_seconds: float = Field(
        default=30.0, gt=0, description="How often the registry is asked where the alias points."
    )
    days_back: int = Field(default=7, ge=0, description="Oldest servable day: today minus this.")
    days_ahead: int = Field(default=1, ge=0, description="Newest servable day: today plus this.")
    timezone: str = Field(default="Europe/Moscow", description="Where 'today' is decided.")
    categories: list[Category] = Field(
        default_factory=lambda: list(Category),
        description="Categories `horogen precompute` fills (every category is servable).",
    )
    wait_seconds: float = Field(
        default=120.0,
        gt=0,
        description="Longest a request waits for a text being generated before a 503.",
    )
    best_of: int = Field(
        default=4,
        ge=1,
        description="Candidates generated per text, all of a group in one call; the best "
        "by the evaluation's score among those passing `checks` is served.",
    )
    best_of_cap: int = Field(
        default=12,
        ge=1,
        description="Most candidates per text: when none of `best_of` passes, as many more "
        "are drawn, up to this; then the best is served with its failure recorded.",
    )
    checks: dict[str, float] = Field(
        default_factory=lambda: {"consistency": 1.0, "acceptability": 0.5, "novelty": 0.5},
        description="The metrics a served text must reach, each with its threshold (a "
        "text's value of the metric ≥ it); each a registered metric. novelty 0.5: no "
        "copy (over half its words in one run of a training text); not applied to a "
        "model without a training corpus in the lake.",
    )
    retry_after: int = Field(default=10, ge=1, description="Retry-After of a 503, seconds.")
    max_body_bytes: int = Field(
        default=4096,
        ge=64,
        description="Largest request body (a verdict is about 100 bytes); more is a 413, "
        "refused before it is read.",
    )
    max_headers: int = Field(default=64, ge=8, description="Most header lines a request may send.")
    max_header_bytes: int = Field(
        default=16384, ge=1024, description="Most bytes of request line and headers (else 431)."
    )
    header_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a client has to send its request's headers."
    )
    body_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a client has to send its request's body (408)."
    )
    max_connections: int | None = Field(
        default=1000,
        ge=1,
        description="Connections a server process holds at once; beyond it, new requests "
        "get a 503 at once (uvicorn's limit_concurrency).",
    )
    verdicts_per_minute: int = Field(
        default=10,
        ge=1,
        description="Verdicts accepted per minute from one address and from one reader "
        "(more: 429 with Retry-After); per server process.",
    )
    reader_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs readers' cookies (HOROGEN_SERVE__READER_SECRET); default: "
        "a random key kept in the serving database, shared by its replicas.",
    )
    canary_share: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of readers (sticky per reader) served the challenger's texts; 0: off.",
    )
    bot_token: SecretStr | None = Field(
        default=None, description="Telegram bot token (HOROGEN_SERVE__BOT_TOKEN); never printed."
    )
    bot_api_url: str = Field(
        default="https://api.telegram.org", description="Telegram Bot API base URL."
    )
    delivery_per_second: float = Field(
        default=30.0,
        gt=0,
        description="Most messages a second `horogen deliver` sends (the Bot API allows ~30).",
    )
    delivery_chat_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Least seconds between two messages to one chat (the Bot API: ~1).",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (try Europe/Moscow)") from None
        return value

    @model_validator(mode="after")
    def _cap_above_k(self) -> ServeSettings:
        if self.best_of_cap < self.best_of:
            raise ValueError(f"best_of_cap {self.best_of_cap} is below best_of {self.best_of}")
        return self

    def today(self) -> dt.date:
        """Today where the readers are."""
        return dt.datetime.now(ZoneInfo(self.timezone)).date()

    def window(self, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
        """The first and last servable day."""
        today = today or self.today()
        return today - dt.timedelta(days=self.days_back), today + dt.timedelta(days=self.days_ahead)

    def database_url(self, lake: Lake) -> str:
        """``cache_url``, else a SQLite file in a local lake."""
        if self.cache_url:
            return self.cache_url
        path = shared_file(lake, SERVE_DATABASE)
        if path is None:
            raise ConfigError(
                f"the lake {lake.uri} is not local, so there is no default serving cache: set "
                "HOROGEN_SERVE__CACHE_URL (postgresql+psycopg2://user@host/db)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
