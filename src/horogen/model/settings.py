"""Settings every stage that touches models shares: ``[mlflow]`` (where runs and versions
live) and ``[generation]`` (how texts are generated)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from horogen.model.strategy import Strategy


class MlflowSettings(BaseModel):
    """Where training and evaluation are tracked and versions are registered."""

    model_config = ConfigDict(extra="forbid")

    tracking_uri: str | None = Field(
        default=None,
        description="MLflow tracking URI; else $MLFLOW_TRACKING_URI, else sqlite in the lake.",
    )
    registered_model: str = "horogen"
    training_experiment: str = "horogen-training"
    evaluation_experiment: str = "horogen-evaluation"


class Backend(StrEnum):
    TRANSFORMERS = "transformers"
    CTRANSLATE2 = "ctranslate2"


class GenerationSettings(BaseModel):
    """How texts are generated: the backend, its resources and the default strategy."""

    model_config = ConfigDict(extra="forbid")

    backend: Backend = Field(
        default=Backend.CTRANSLATE2,
        description="ctranslate2 (int8 on CPU, needs the `ctranslate2` extra) or transformers.",
    )
    quantization: str = Field(
        default="int8", description="CTranslate2 compute type the version is converted to."
    )
    intra_threads: int = Field(default=0, ge=0, description="Threads per generation; 0: all.")
    batch_size: int = Field(default=16, ge=1, description="Rows per generation call.")
    device: str = Field(default="cpu", description="cpu, cuda or auto.")
    cache_dir: str | None = Field(
        default=None,
        description="Downloaded versions and their conversions; default models/ of this "
        "machine's state for the lake: <lake>/models for a local lake, else "
        "~/.cache/horogen/lakes/<lake>/models.",
    )
    seed: int = Field(default=0, description="Base of every text's seed.")
    strategy: Strategy = Field(
        default=Strategy(),
        description="Decoding when a version has no evaluated strategy (and frozen into "
        "each newly trained version as its defaults).",
    )
