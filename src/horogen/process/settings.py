"""Settings of the processing stage (``[process]`` in horogen.toml)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field, model_validator

#: The processing engines by name, as ``process.engine`` and ``--engine`` spell them…
EngineName = Literal["polars", "spark"]
#: …and the module of each (``horogen.process.engine`` says what one provides), imported
#: only when it is used: pyspark is heavy.
ENGINES: dict[EngineName, str] = {
    "polars": "horogen.process.local",
    "spark": "horogen.process.spark",
}
assert set(ENGINES) == set(get_args(EngineName)), "every engine name has a module"


class ProcessSettings(BaseModel):
    model_config = {"extra": "forbid"}  # unknown keys are typos: refuse them
    engine: EngineName = Field(
        default="polars", description="polars (one machine) or spark (local[*] or a cluster)."
    )
    min_length: int = Field(default=300, ge=1, description="Shortest cleaned text kept.")
    max_length: int = Field(default=500, ge=1, description="Longest cleaned text kept.")
    keep_latin: bool = Field(
        default=False,
        description="Keep Latin letters; by default each run of them becomes a space.",
    )
    keep_digits: bool = Field(
        default=True,
        description='Keep digits ("до 15:00", "2 часа"); false: each run of them becomes a '
        'space, as the original system did ("до:", "часа").',
    )
    require_every_sign: bool = Field(
        default=True,
        description="Fail a day whose input had all 12 signs but whose output lacks one.",
    )
    spark_master: str | None = Field(
        default=None,
        description="Spark master for `--engine spark`; local[*] when unset and not "
        "running under spark-submit.",
    )
    spark_conf: dict[str, str] = Field(
        default_factory=dict, description="Extra Spark settings (spark.* keys)."
    )

    @model_validator(mode="after")
    def _bounds(self) -> ProcessSettings:
        if self.min_length > self.max_length:
            raise ValueError(f"min_length {self.min_length} > max_length {self.max_length}")
        return self
