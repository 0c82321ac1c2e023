"""Settings of the training stage (``[train]`` in horogen.toml)."""

from __future__ import annotations

from pydantic import BaseModel


class TrainSettings(BaseModel):
    base: str = "ai-forever/ruT5-base"
    tracking_uri: str | None = None
    registered_model: str = "horogen"
