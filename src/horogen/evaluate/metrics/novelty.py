"""novelty: how much of a text is its own, against the version's training corpus. Per text
1 − (the longest verbatim run of words shared with one training text ÷ the text's words); a
text sharing more than half is a copy. Per set the mean (and, beside it, the share of
copies: :func:`copy_share`); undefined without a corpus."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from horogen.evaluate.metrics.base import Metric
from horogen.evaluate.scorers.base import Scorer


class NoveltySettings(BaseModel):
    """How much of a text is its own: 1 − its longest run shared with a training text."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["verbatim"] = Field(
        default="verbatim",
        description="verbatim: the longest run of words (lower-cased, punctuation ignored) "
        "shared with one text of the version's training corpus, through a suffix array "
        "built once per version.",
    )


def verbatim(settings: NoveltySettings, device: str) -> Scorer:
    from horogen.evaluate.scorers.novelty import NoveltyScorer

    return NoveltyScorer()


def copy_share(values: Sequence[float | None]) -> float | None:
    """The share of copies (novelty below 0.5) among the texts with a value."""
    from horogen.evaluate.scorers.novelty import COPY_SHARE

    defined = [v for v in values if v is not None and not math.isnan(v)]
    if not defined:
        return None
    return sum(value < 1 - COPY_SHARE for value in defined) / len(defined)


METRIC = Metric(
    name="novelty",
    meaning="mean of 1 - longest run shared with a training text / words",
    settings=NoveltySettings,
    backends={"verbatim": verbatim},
    offline_backend="verbatim",
    weight=0.0,
    needs=frozenset({"corpus"}),
)
