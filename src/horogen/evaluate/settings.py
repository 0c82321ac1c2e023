"""Settings of the evaluation stage (``[evaluate]`` in horogen.toml).

``[evaluate.scorers.<metric>]`` chooses how each metric is measured: a model from the hub
(or a local directory holding one) in production, an offline backend in the demo. In the
environment: ``HOROGEN_EVALUATE__SCORERS__ACCEPTABILITY__BACKEND=orthography``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from horogen.schema import Category

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


class GridSettings(BaseModel):
    """The decoding strategies evaluated: ``pairs`` plus every ``top_p`` × ``temperature``."""

    model_config = ConfigDict(extra="forbid")

    pairs: list[tuple[float, float]] = Field(
        default=[(0.8, 0.7), (0.5, 0.5), (0.1, 0.2)],
        description="(top_p, temperature) pairs; the default is the original system's three.",
    )
    top_p: list[float] = Field(default=[0.6, 0.8, 0.95], description="Grid rows.")
    temperature: list[float] = Field(default=[0.5, 0.7, 0.9], description="Grid columns.")
    top_k: int = Field(default=0, ge=0, description="Every strategy's top_k (0: off).")
    no_repeat_ngram_size: int = Field(default=2, ge=0, description="As the original used.")
    repetition_penalty: float = Field(default=1.2, gt=0)
    max_new_tokens: int | None = Field(
        default=None, ge=1, description="Default: generation.strategy.max_new_tokens."
    )

    @model_validator(mode="after")
    def _in_range(self) -> GridSettings:
        for top_p, temperature in [*self.pairs, *((p, 1.0) for p in self.top_p)]:
            if not 0 < top_p <= 1 or temperature < 0:
                raise ValueError(
                    f"top_p must be in (0, 1], temperature ≥ 0: {top_p}, {temperature}"
                )
        if any(t < 0 for t in self.temperature):
            raise ValueError(f"temperature must be ≥ 0: {self.temperature}")
        return self


class WeightsSettings(BaseModel):
    """How the three metrics add up to a strategy's score (a weighted mean)."""

    model_config = ConfigDict(extra="forbid")

    acceptability: float = Field(default=0.5, ge=0)
    diversity: float = Field(default=0.25, ge=0)
    sentiment: float = Field(default=0.25, ge=0)

    @model_validator(mode="after")
    def _some_weight(self) -> WeightsSettings:
        if self.acceptability + self.diversity + self.sentiment <= 0:
            raise ValueError("at least one weight must be positive")
        return self

    def score(self, acceptability: float, diversity: float | None, sentiment: float) -> float:
        """The weighted mean of the metrics (a missing diversity counts as 0)."""
        total = self.acceptability + self.diversity + self.sentiment
        weighted = (
            self.acceptability * acceptability
            + self.diversity * (diversity or 0.0)
            + self.sentiment * sentiment
        )
        return weighted / total


class EvaluateSettings(BaseModel):
    """How versions are evaluated and promoted."""

    model_config = ConfigDict(extra="forbid")

    scorers: ScorersSettings = ScorersSettings()
    grid: GridSettings = GridSettings()
    samples: int = Field(
        default=8, ge=2, description="Texts per sign and strategy (the original used 1)."
    )
    categories: list[Category] = Field(
        default=[Category.GENERAL], description="Categories every sign is generated in."
    )
    seed: int = Field(default=2026, description="Base of every text's seed: same for all versions.")
    weights: WeightsSettings = WeightsSettings()
    margin: float = Field(
        default=0.01, ge=0, description="How much a challenger's score must beat the champion's."
    )
    reference_texts: int = Field(
        default=200, ge=2, description="Validation texts of the training set scored as reference."
    )


class PublishSettings(BaseModel):
    """Where versions are published on a Hugging Face hub (``horogen publish``); publishing
    is off while ``repo_id`` is unset."""

    model_config = ConfigDict(extra="forbid")

    repo_id: str | None = Field(
        default=None, description="The hub repository, e.g. your-org/horogen-ru."
    )
    endpoint: str = Field(default="https://huggingface.co", description="The hub's URL.")
    token: SecretStr | None = Field(
        default=None, description="A write token (default: $HF_TOKEN); never printed or logged."
    )
    private: bool = Field(default=True, description="Create the repository private.")
    on_promote: bool = Field(
        default=True, description="Publish each new champion when repo_id is set."
    )
