"""Settings of the evaluation stage (``[evaluate]`` in horogen.toml).

``[evaluate.scorers.<metric>]`` chooses how each metric is measured: a model from the hub
(or a local directory holding one) in production, an offline backend in the demo. In the
environment: ``HOROGEN_EVALUATE__SCORERS__ACCEPTABILITY__BACKEND=orthography``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The backends of each metric: hub models first, then the offline ones.
AcceptabilityBackend = Literal["rucola", "orthography"]
DiversityBackend = Literal["labse", "char-tfidf"]
SentimentBackend = Literal["rubert", "lexicon"]
#: The backends that need no model: the demo's, and what `horogen score --offline` uses.
OFFLINE_BACKENDS = {
    "acceptability": "orthography",
    "diversity": "char-tfidf",
    "sentiment": "lexicon",
}


class AcceptabilitySettings(BaseModel):
    """Is a text acceptable Russian? Per text 0 or 1; per set the share of 1s."""

    model_config = ConfigDict(extra="forbid")

    backend: AcceptabilityBackend = Field(
        default="rucola",
        description="rucola: the RuCoLA classifier in `model`; orthography (offline): every "
        "word is in pymorphy3's Russian dictionary and every sentence starts with a "
        "capital and ends with . ! ? or …",
    )
    model: str = Field(
        default="RussianNLP/ruRoBERTa-large-rucola",
        description="rucola backend: a hub id or a local directory of a sequence classifier.",
    )
    acceptable_label: str | None = Field(
        default=None,
        description="rucola backend: the label (a value of the model's id2label) that means "
        "acceptable. Unset: a label named `acceptable`, else for a two-label model with "
        "transformers' generic names LABEL_0/LABEL_1 (the RuCoLA model's config names "
        "none) LABEL_1, as RuCoLA and CoLA use 1 for acceptable; anything else is an error.",
    )
    batch_size: int = Field(default=16, ge=1, description="rucola backend: texts per forward.")
    max_length: int = Field(default=512, ge=8, description="rucola backend: tokens kept.")


class DiversitySettings(BaseModel):
    """How different a set's texts are: 1 - mean cosine similarity between different texts."""

    model_config = ConfigDict(extra="forbid")

    backend: DiversityBackend = Field(
        default="labse",
        description="labse: sentence embeddings from the sentence-transformers model in "
        "`model`; char-tfidf (offline): TF-IDF vectors of character n-grams, which see "
        "shared wording, not shared meaning.",
    )
    model: str = Field(
        default="sentence-transformers/LaBSE",
        description="labse backend: a hub id or a local sentence-transformers directory.",
    )
    batch_size: int = Field(default=32, ge=1, description="labse backend: texts per forward.")
    ngram_min: int = Field(default=2, ge=1, description="char-tfidf: shortest n-gram.")
    ngram_max: int = Field(default=4, ge=1, description="char-tfidf: longest n-gram.")

    @model_validator(mode="after")
    def _ngram_range(self) -> DiversitySettings:
        if self.ngram_min > self.ngram_max:
            raise ValueError(f"ngram_min {self.ngram_min} > ngram_max {self.ngram_max}")
        return self


class SentimentSettings(BaseModel):
    """Is a text non-negative? Per text 0 (negative) or 1 (neutral or positive)."""

    model_config = ConfigDict(extra="forbid")

    backend: SentimentBackend = Field(
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


class ScorersSettings(BaseModel):
    """The three metrics' backends. Hub models are loaded once and reused for every set."""

    model_config = ConfigDict(extra="forbid")

    device: str = Field(
        default="cpu", description="torch device of the hub backends: cpu, cuda, cuda:1 …"
    )
    acceptability: AcceptabilitySettings = AcceptabilitySettings()
    diversity: DiversitySettings = DiversitySettings()
    sentiment: SentimentSettings = SentimentSettings()


class EvaluateSettings(BaseModel):
    """How generated texts are evaluated."""

    model_config = ConfigDict(extra="forbid")

    scorers: ScorersSettings = ScorersSettings()
