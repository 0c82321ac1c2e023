"""Settings of the training stage (``[train]`` in horogen.toml)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Settings that left ``[train]``, and where they went.
MOVED = {
    "tracking_uri": "train.tracking_uri is now mlflow.tracking_uri",
    "registered_model": "train.registered_model is now mlflow.registered_model",
    "experiment": "train.experiment is now mlflow.training_experiment",
    "generation": "train.generation is now generation.strategy",
}


class FreshModelSettings(BaseModel):
    """The small T5 built from a config when ``base = "fresh"`` (the offline demo)."""

    model_config = ConfigDict(extra="forbid")

    vocab_size: int = Field(
        default=4000,
        ge=100,
        description="Upper bound: a small corpus yields fewer SentencePiece pieces.",
    )
    d_model: int = 256
    d_ff: int = 1024
    num_layers: int = Field(default=2, ge=1, description="Encoder and decoder layers each.")
    num_heads: int = 4
    dropout: float = 0.1


class TrainSettings(BaseModel):
    """How a model is trained, tracked and registered."""

    model_config = ConfigDict(extra="forbid")

    base: str = Field(
        default="ai-forever/ruT5-base",
        description="Starting point: a hub id, a local directory, `champion` or `fresh`.",
    )
    work_dir: str | None = Field(
        default=None,
        description="Where run directories (checkpoints, the saved model) go; default "
        "runs/ of this machine's state for the lake: <lake>/runs for a local lake, else "
        "~/.cache/horogen/lakes/<lake>/runs.",
    )
    min_rows: int = Field(default=24, ge=2, description="Fewest de-duplicated texts to train on.")
    validation_buckets: int = Field(
        default=10, ge=2, description="One in this many text-hash buckets is validation."
    )
    foreign_mentions: Literal["drop", "keep"] = Field(
        default="drop",
        description="Training texts that name a sign, weekday, day or month other than "
        'their own ("Ракам" in a text for Leo): drop them (counted in the fingerprint\'s '
        "foreign_dropped), so the model never learns to name another request's sign or "
        "date; keep: train on them too.",
    )
    max_source_length: int = Field(default=32, ge=8, description="Prompt tokens kept.")
    max_target_length: int = Field(
        default=256,
        ge=8,
        description="Text tokens kept. 300–500-character texts take about 110–190 tokens "
        "with a 32k vocabulary and up to ~270 with a small fresh tokenizer; the share cut "
        "is logged (targets_truncated_share) and warned about above 10%.",
    )
    window_days: int = Field(
        default=90, ge=1, description="The daily pipeline trains on this many days up to today."
    )
    retrain_every_days: int = Field(
        default=7,
        ge=1,
        description="The daily pipeline retrains once the champion's data is this many days old…",
    )
    retrain_min_new_rows: int = Field(
        default=2000,
        ge=1,
        description="…or once this many processed rows arrived after the champion's data.",
    )
    epochs: int = Field(default=5, ge=1)
    batch_size: int = Field(default=16, ge=1)
    learning_rate: float | None = Field(
        default=None, description="Default: 1e-3 for a fresh model, 3e-4 for a pretrained one."
    )
    weight_decay: float = 0.01
    warmup: float = Field(default=0.05, ge=0, lt=1, description="Share of steps to warm up.")
    early_stopping_patience: int = Field(default=2, ge=1, description="Epochs without gain.")
    save_total_limit: int = Field(default=2, ge=1, description="Checkpoints kept (plus best).")
    logging_steps: int = Field(default=10, ge=1)
    seed: int = 42
    use_cpu: bool | None = Field(default=None, description="Default: CPU unless CUDA is there.")
    fresh: FreshModelSettings = FreshModelSettings()

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, values: Any) -> Any:
        """Name the new home of settings that moved out of ``[train]``."""
        if isinstance(values, dict):
            moved = [MOVED[key] for key in values if key in MOVED]
            if moved:
                raise ValueError("moved: " + "; ".join(moved))
        return values

    def resolved_learning_rate(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return 1e-3 if self.base == "fresh" else 3e-4
