"""Tiny registered versions for the model, generation and CLI tests: a fresh T5 saved like
training saves one, logged and registered in a SQLite MLflow store inside a lake."""

from __future__ import annotations

import random
from pathlib import Path

import mlflow

from horogen.lake import Lake
from horogen.model.packaging import log_model
from horogen.model.settings import MlflowSettings
from horogen.model.store import ModelStore
from horogen.model.strategy import Strategy
from horogen.model.tracking import ensure_experiment
from horogen.signs import Sign
from horogen.train.model import build_fresh
from train_corpus import horoscope, tiny_train_settings

#: Short texts: enough tokens to tell texts apart, few enough to be quick.
SHORT = Strategy(max_new_tokens=24)


def save_tiny_model(directory: Path, seed: int = 1) -> Path:
    """An untrained tiny T5 and its tokenizer (trained on generated horoscopes)."""
    rng = random.Random(seed)
    texts = [horoscope(sign, "love", rng) for sign in Sign for _ in range(2)]
    model, tokenizer = build_fresh(texts, tiny_train_settings().fresh, seed=seed)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def register_versions(root: Path, count: int, model_dir: Path) -> ModelStore:
    """A lake under ``root`` whose MLflow store has ``count`` versions of ``model_dir``."""
    store = ModelStore(MlflowSettings(), Lake(str(root / "lake")), root / "cache")
    target = store.connect()
    experiment = ensure_experiment("horogen-training", target)
    for _ in range(count):
        with mlflow.start_run(experiment_id=experiment) as run:
            info = log_model(model_dir, SHORT, max_source_length=16)
        store.registry.register(info.model_uri, run.info.run_id, {"run_id": run.info.run_id})
    return store
