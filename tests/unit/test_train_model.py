"""Starting points (fresh, local directory, hub id, champion) and their errors. No test
downloads anything."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import mlflow
import pytest

from horogen.config import Settings
from horogen.deployment import Deployment
from horogen.errors import ConfigError, ModelLoadError
from horogen.signs import Sign
from horogen.train import trainer
from horogen.train.model import build_fresh, load_base, train_tokenizer
from train_corpus import horoscope, tiny_settings, tiny_train_settings, train_with, write_corpus

TEXTS = [horoscope(sign, "love", random.Random(i)) for i, sign in enumerate(Sign)]


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> Path:
    """A tiny untrained model saved the way training saves one."""
    model, tokenizer = build_fresh(TEXTS, tiny_train_settings().fresh, seed=1)
    directory = tmp_path_factory.mktemp("model")
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def settings(tmp_path: Path, base: str = "fresh") -> Settings:
    return tiny_settings(str(tmp_path / "lake"), train=tiny_train_settings(base=base))


def start_from(base: str, settings: Settings, **options: object):
    return load_base(base, settings.train, Deployment(settings).models, **options)  # type: ignore[arg-type]


def test_fresh_tokenizer_round_trips_cyrillic() -> None:
    tokenizer = train_tokenizer(TEXTS, vocab_size=500)
    for text in [*TEXTS[:3], "Щедрый Козерог съел ёжика: «чудеса» — 2026!"]:
        ids = tokenizer(text)["input_ids"]
        assert ids[-1] == tokenizer.eos_token_id
        assert tokenizer.unk_token_id not in ids
        assert tokenizer.decode(ids, skip_special_tokens=True) == text
    assert len(tokenizer) <= 500


def test_fresh_model_follows_the_settings(tmp_path: Path) -> None:
    start = start_from("fresh", settings(tmp_path), texts=TEXTS)
    config = start.model.config
    assert (config.d_model, config.num_layers, config.num_decoder_layers) == (64, 2, 2)
    assert config.vocab_size == len(start.tokenizer)
    assert config.decoder_start_token_id == start.tokenizer.pad_token_id == 0
    assert start.base_model == "fresh"


def test_loads_a_local_directory(saved_model: Path, tmp_path: Path) -> None:
    start = start_from(str(saved_model), settings(tmp_path))
    assert start.base_model == str(saved_model.resolve())
    assert start.model.config.d_model == 64
    assert start.tokenizer.decode(
        start.tokenizer("Овен")["input_ids"], skip_special_tokens=True
    ) == ("Овен")


@pytest.mark.parametrize(
    ("base", "tried"),
    [
        ("./no/such/model", "no such directory, and not a hub id"),
        ("no-such-org/no-such-model", "tried Hugging Face hub id 'no-such-org/no-such-model'"),
    ],
)
def test_a_missing_model_says_what_was_tried_and_what_to_change(
    base: str, tried: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match="HOROGEN_TRAIN__BASE") as caught:
        start_from(base, settings(tmp_path))
    assert tried in str(caught.value)
    assert "--base" in str(caught.value)


def test_a_directory_without_a_model_is_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelLoadError, match=f"tried local directory {empty}"):
        start_from(str(empty), settings(tmp_path))


def test_champion_without_one_is_a_model_load_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(ModelLoadError, match=r"no version with alias 'champion'.*--base"):
        start_from("champion", settings(tmp_path))
    with pytest.raises(ModelLoadError, match=r"models:/horogen/7.*'horogen' has no version 7"):
        start_from("models:/horogen/7", settings(tmp_path))


def test_train_refuses_while_another_mlflow_run_is_active(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        with mlflow.start_run() as theirs:
            with pytest.raises(ConfigError, match=f"MLflow run {theirs.info.run_id} is active"):
                train_with(settings(tmp_path), progress=False)
            assert mlflow.active_run().info.run_id == theirs.info.run_id  # not ended by us
        assert mlflow.get_run(theirs.info.run_id).info.status == "FINISHED"
    finally:  # its store is this test's: neither the next test nor its subprocesses see it
        mlflow.set_tracking_uri(None)


def test_an_s3_lake_without_tracking_uri_fails_before_any_work(monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the training set was built")

    monkeypatch.setattr(trainer, "build_training_set", never)
    with pytest.raises(ConfigError, match="HOROGEN_MLFLOW__TRACKING_URI"):
        train_with(tiny_settings("s3://bucket/horogen"), progress=False)


def test_a_base_that_fails_to_load_leaves_no_run_behind(tmp_path: Path) -> None:
    chosen = settings(tmp_path, base=str(tmp_path / "missing"))
    write_corpus(chosen.open_lake(), dt.date(2026, 11, 1), 1)
    with pytest.raises(ModelLoadError, match="HOROGEN_TRAIN__BASE"):
        train_with(chosen, progress=False)
    assert list((tmp_path / "lake" / "runs").iterdir()) == []
    with pytest.raises(ConfigError, match="drop --base, --epochs"):
        train_with(chosen, resume=True, epochs=2)
    with pytest.raises(ConfigError, match="no training run under"):
        train_with(chosen, resume=True)


def test_training_shows_one_bar_with_the_latest_losses() -> None:
    import io
    from types import SimpleNamespace

    from rich.console import Console

    from horogen.train.trainer import LossBar

    out = io.StringIO()
    bar = LossBar(Console(file=out, width=80, force_terminal=False))
    state = SimpleNamespace(max_steps=8, global_step=0, epoch=0.0, is_world_process_zero=True)
    bar.on_train_begin(None, state, None)
    for step in range(1, 9):
        state.global_step, state.epoch = step, step / 4
        bar.on_step_end(None, state, None)
        bar.on_log(None, state, None, logs={"loss": 5.0 - step / 4, "learning_rate": 1e-3})
    bar.on_log(None, state, None, logs={"eval_loss": 2.875, "eval_runtime": 1.0})
    bar.on_train_end(None, state, None)

    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, out.getvalue()
    assert "8/8" in lines[0] and "epoch 2.00" in lines[0]
    assert "loss 3.000" in lines[0] and "val 2.875" in lines[0]
    assert "learning_rate" not in lines[0]
