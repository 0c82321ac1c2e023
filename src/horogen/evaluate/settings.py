"""Settings of the evaluation stage (``[evaluate]`` in horogen.toml).

``[evaluate.scorers.<metric>]`` chooses how each metric is measured: a model from the hub
(or a local directory holding one) in production, an offline backend in the demo. In the
environment: ``HOROGEN_EVALUATE__SCORERS__ACCEPTABILITY__BACKEND=orthography``. Each
metric's section and weight come from the metric (:mod:`horogen.evaluate.metrics`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, create_model, model_validator

from horogen.evaluate.metrics import metrics, names
from horogen.evaluate.readers import ReadersSettings
from horogen.schema import Category

ScorersSettings = create_model(
    "ScorersSettings",
    __config__=ConfigDict(extra="forbid"),
    __module__=__name__,
    __doc__="Each metric's backend and its options, one section per registered metric. Hub "
    "models are loaded once and reused for every set.",
    device=(
        str,
        Field(default="cpu", description="torch device of the hub backends: cpu, cuda, cuda:1 …"),
    ),
    **{
        metric.name: (
            metric.settings,
            Field(default_factory=metric.settings, description=metric.meaning),
        )
        for metric in metrics()
    },
)


def offline(settings: ScorersSettings) -> ScorersSettings:
    """The same settings with every metric on its offline backend."""
    return settings.model_copy(
        update={
            metric.name: getattr(settings, metric.name).model_copy(
                update={"backend": metric.offline_backend}
            )
            for metric in metrics()
        }
    )


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


class _Weights(BaseModel):
    """What :data:`WeightsSettings` does with its weights."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _some_weight(self) -> _Weights:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one weight must be positive")
        return self

    def score(self, *ordered: float | None, **named: float | None) -> float:
        """The weighted mean of a set's metric values, given by name
        (``score(**scores.metric_values())``) or every one in the registry's order; a
        missing value (None: undefined for the set) counts as 0."""
        metric_names = names()
        if ordered and not named and len(ordered) == len(metric_names):
            values = dict(zip(metric_names, ordered, strict=True))
        elif not ordered and set(named) == set(metric_names):
            values = named
        else:
            raise TypeError(f"score() takes a value for each of {', '.join(metric_names)}")
        weights = self.model_dump()
        total = sum(weights.values())
        return sum(weights[name] * (value or 0.0) for name, value in values.items()) / total


WeightsSettings = create_model(
    "WeightsSettings",
    __base__=_Weights,
    __module__=__name__,
    __doc__="How the metrics add up to a strategy's score (a weighted mean): one weight per "
    "registered metric, by default the metric's own.",
    **{
        metric.name: (
            float,
            Field(default=metric.weight, ge=0, description=f"weight of {metric.name}"),
        )
        for metric in metrics()
    },
)


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
    readers: ReadersSettings = ReadersSettings()
    guards: dict[str, float] = Field(
        default={"acceptability": 0.02, "diversity": 0.05, "sentiment": 0.05, "novelty": 0.05},
        description="Per metric, how far the challenger's value may fall below the "
        "champion's and still be promoted (a metric not named is not guarded).",
    )
    floors: dict[str, float] = Field(
        default={"diversity": 0.4},
        description="Per metric, the lowest value a strategy may have and still be chosen "
        "as a version's best (on the metric's backend's scale; a metric not named has none). "
        "A version none of whose strategies clears every floor fails evaluation.",
    )

    @model_validator(mode="after")
    def _known_metrics(self) -> EvaluateSettings:
        for field in ("guards", "floors"):
            unknown = set(getattr(self, field)) - set(names())
            if unknown:
                raise ValueError(
                    f"evaluate.{field} names no metric {sorted(unknown)}; the metrics: "
                    f"{', '.join(names())}"
                )
            if any(value < 0 for value in getattr(self, field).values()):
                raise ValueError(f"evaluate.{field}: values must be ≥ 0")
        return self


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
