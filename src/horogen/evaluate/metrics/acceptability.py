"""acceptability: is a text acceptable Russian? Per text 0 or 1; per set the share of 1s."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from horogen.evaluate.metrics.base import Metric
from horogen.evaluate.scorers.base import Scorer


class AcceptabilitySettings(BaseModel):
    """Is a text acceptable Russian? Per text 0 or 1; per set the share of 1s."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["rucola", "grammar", "orthography"] = Field(
        default="rucola",
        description="rucola: the RuCoLA classifier in `model`; grammar (offline): "
        "orthography plus LanguageTool's Russian rules (pylat-ru: agreement, conjugation, "
        "spelling) and a pronoun-verb agreement check; orthography (offline): every word "
        "is in pymorphy3's Russian dictionary and every sentence starts with a capital and "
        "ends with . ! ? or …",
    )
    disabled_rules: list[str] = Field(
        default=[],
        description="grammar backend: LanguageTool rule ids not counted (e.g. "
        "Unify_Adj_NN_gender, RU_VERB_CONJUGATION, MORFOLOGIK_RULE_RU_RU).",
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


def rucola(settings: AcceptabilitySettings, device: str) -> Scorer:
    from horogen.evaluate.scorers.classifier import RucolaScorer, SequenceClassifier

    return RucolaScorer(
        SequenceClassifier.of("acceptability", settings, device), settings.acceptable_label
    )


def grammar(settings: AcceptabilitySettings, device: str) -> Scorer:
    from horogen.evaluate.scorers.grammar import GrammarScorer

    return GrammarScorer(settings.disabled_rules)


def orthography(settings: AcceptabilitySettings, device: str) -> Scorer:
    from horogen.evaluate.scorers.orthography import OrthographyScorer

    return OrthographyScorer()


METRIC = Metric(
    name="acceptability",
    meaning="share of acceptable texts",
    settings=AcceptabilitySettings,
    backends={"rucola": rucola, "grammar": grammar, "orthography": orthography},
    offline_backend="grammar",
    weight=0.5,
)
