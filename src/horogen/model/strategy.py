"""A decoding strategy: how a version turns a prompt into a text."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: The version tag that holds the strategy evaluation chose (JSON).
STRATEGY_TAG = "strategy"


class Strategy(BaseModel):
    """Sampling parameters shared by every generation backend.

    ``temperature`` 0 decodes greedily; ``top_k`` 0 and ``top_p`` 1 switch those filters off.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    top_p: float = Field(default=0.9, gt=0, le=1)
    temperature: float = Field(default=1.0, ge=0, description="0: greedy decoding.")
    top_k: int = Field(default=0, ge=0, description="0: no top-k filtering.")
    no_repeat_ngram_size: int = Field(
        default=2, ge=0, description="No n-gram of this size appears twice in a text; 0: off."
    )
    repetition_penalty: float = Field(default=1.2, gt=0, description="1: off.")
    max_new_tokens: int = Field(
        default=256, ge=1, description="At least train.max_target_length: texts are that long."
    )

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0

    def label(self) -> str:
        """A short name for tables and run names: ``p0.9-t0.7``."""
        return f"p{self.top_p:g}-t{self.temperature:g}"

    def to_tag(self) -> str:
        return json.dumps(self.model_dump(), sort_keys=True)

    @classmethod
    def from_tag(cls, value: str) -> Strategy:
        return cls.model_validate(json.loads(value))

    @classmethod
    def of_version(cls, tags: dict[str, str]) -> Strategy | None:
        """The strategy evaluation stored on a version's tags, if any."""
        value = tags.get(STRATEGY_TAG)
        return cls.from_tag(value) if value else None

    def with_overrides(self, **values: Any) -> Strategy:
        """This strategy with the given (non-``None``) fields replaced, validated."""
        given = {key: value for key, value in values.items() if value is not None}
        return self.model_validate(self.model_dump() | given)
