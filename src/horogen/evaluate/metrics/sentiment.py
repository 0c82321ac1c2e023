"""sentiment: is a text non-negative? Per text 0 (negative) or 1 (neutral or positive); per
set the share of 1s."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from horogen.evaluate.metrics.base import Metric
from horogen.evaluate.scorers.base import Scorer


class SentimentSettings(BaseModel):
    """Is a text non-negative? Per text 0 (negative) or 1 (neutral or positive)."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["rubert", "lexicon"] = Field(
        default="rubert",
        description="rubert: the sentiment classifier in `model`; lexicon (offline): "
        "horogen's list of positive and negative Russian lemmas, counted over pymorphy3 "
        "lemmas with negation (не, нет, ни, без, избегать) flipping the next words.",
    )
    model: str = Field(
        default="seara/rubert-base-cased-russian-sentiment",
        description="rubert backend: a hub id or a local directory of a sequence classifier.",
    )
    negative_label: str = Field(
        default="negative",
        description="rubert backend: the label (a value of the model's id2label, any case) "
        "that means negative; every other label counts as non-negative.",
    )
    batch_size: int = Field(default=16, ge=1, description="rubert backend: texts per forward.")
    max_length: int = Field(default=512, ge=8, description="rubert backend: tokens kept.")


def rubert(settings: SentimentSettings, device: str) -> Scorer:
    from horogen.evaluate.scorers.classifier import RubertSentimentScorer, SequenceClassifier

    return RubertSentimentScorer(
        SequenceClassifier.of("sentiment", settings, device), settings.negative_label
    )


def lexicon(settings: SentimentSettings, device: str) -> Scorer:
    from horogen.evaluate.scorers.lexicon import LexiconSentimentScorer

    return LexiconSentimentScorer()


METRIC = Metric(
    name="sentiment",
    meaning="share of non-negative texts",
    settings=SentimentSettings,
    backends={"rubert": rubert, "lexicon": lexicon},
    offline_backend="lexicon",
    weight=0.25,
)
