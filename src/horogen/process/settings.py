"""Settings of the processing stage (``[process]`` in horogen.toml)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class ProcessSettings(BaseModel):
    engine: Literal["polars", "spark"] = "polars"
    min_length: int = 300
    max_length: int = 500
