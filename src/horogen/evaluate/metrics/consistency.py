"""consistency: is a text true to its request? Per text 1 when it names no sign, weekday,
day or month other than its request's (every case form, through pymorphy3's lemmas) and
holds no unfilled slot, else 0, with the offending words in the per-text table's note; per
set the share of 1s. Undefined (null) for texts without requests (``horogen score`` on a
file that gives no sign and date)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from horogen.evaluate.metrics.base import Metric
from horogen.evaluate.scorers.base import Scorer


class ConsistencySettings(BaseModel):
    """Does a text name only its request's sign and date, with every slot filled?"""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["pymorphy"] = Field(
        default="pymorphy",
        description="pymorphy (offline): the signs, weekdays and months in every case "
        "form from pymorphy3's dictionary, the preposition before a word settling its case.",
    )


def pymorphy(settings: ConsistencySettings, device: str) -> Scorer:
    from horogen.evaluate.scorers.consistency import ConsistencyScorer

    return ConsistencyScorer()


METRIC = Metric(
    name="consistency",
    meaning="share of texts naming only their request's sign and date, every slot filled",
    settings=ConsistencySettings,
    backends={"pymorphy": pymorphy},
    offline_backend="pymorphy",
    # A check rather than a taste: it is 1 for every strategy of a model trained with slots,
    # and undefined for the held-back reference texts, which carry no request.
    weight=0.0,
    needs=frozenset({"requests"}),
)
