"""Starting points (fresh, local directory, hub id, champion), their errors, and the pyfunc
model's request handling. No test downloads anything."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import torch

from horogen.config import Settings
from horogen.errors import ConfigError, ModelLoadError
from horogen.signs import Sign
from horogen.train import trainer
from horogen.train.model import build_fresh, load_base, train_tokenizer
from horogen.train.pyfunc import (
    HoroscopeModel,
    Row,
    generation_kwargs,
    row_seed,
    rows_of,
    sampling_processors,
)
from horogen.train.tracking import model_config
from train_corpus import horoscope, tiny_train_settings, write_corpus

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
    return Settings(lake=str(tmp_path / "lake"), train=tiny_train_settings(base=base))


def test_fresh_tokenizer_round_trips_cyrillic() -> None:
    tokenizer = train_tokenizer(TEXTS, vocab_size=500)
    for text in [*TEXTS[:3], "Щедрый Козерог съел ёжика: «чудеса» — 2026!"]:
        ids = tokenizer(text)["input_ids"]
        assert ids[-1] == tokenizer.eos_token_id
        assert tokenizer.unk_token_id not in ids
        assert tokenizer.decode(ids, skip_special_tokens=True) == text
    assert len(tokenizer) <= 500


def test_fresh_model_follows_the_settings(tmp_path: Path) -> None:
    start = load_base("fresh", settings(tmp_path), texts=TEXTS, workdir=tmp_path)
    config = start.model.config
    assert (config.d_model, config.num_layers, config.num_decoder_layers) == (64, 2, 2)
    assert config.vocab_size == len(start.tokenizer)
    assert config.decoder_start_token_id == start.tokenizer.pad_token_id == 0
    assert start.base_model == "fresh"


def test_loads_a_local_directory(saved_model: Path, tmp_path: Path) -> None:
    start = load_base(str(saved_model), settings(tmp_path), workdir=tmp_path)
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
        load_base(base, settings(tmp_path), workdir=tmp_path)
    assert tried in str(caught.value)
    assert "--base" in str(caught.value)


def test_a_directory_without_a_model_is_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelLoadError, match=f"tried local directory {empty}"):
        load_base(str(empty), settings(tmp_path), workdir=tmp_path)


def test_champion_without_one_is_a_model_load_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(ModelLoadError, match=r"no version with alias 'champion'.*--base"):
        load_base("champion", settings(tmp_path), workdir=tmp_path)
    with pytest.raises(ModelLoadError, match=r"'horogen' has no version 7 .*models:/horogen/7"):
        load_base("models:/horogen/7", settings(tmp_path), workdir=tmp_path)


PROMPTS = model_config(tiny_train_settings())["prompts"]


def loaded_model(directory: Path) -> HoroscopeModel:
    model = HoroscopeModel(model_config(tiny_train_settings()))
    model.load(str(directory))
    return model


def test_requests_become_rows_with_prompts_from_the_table() -> None:
    assert rows_of(["aries", "LEO"], PROMPTS) == [
        Row("aries", "general", None, "гороскоп: Овен; тема: общий"),
        Row("leo", "general", None, "гороскоп: Лев; тема: общий"),
    ]
    assert rows_of("virgo", PROMPTS) == [
        Row("virgo", "general", None, "гороскоп: Дева; тема: общий")
    ]
    frame = pd.DataFrame(
        {"sign": ["aries", "leo"], "category": ["love", None], "date": ["2026-11-25", None]}
    )
    assert [(r.sign, r.category, r.date) for r in rows_of(frame, PROMPTS)] == [
        ("aries", "love", "2026-11-25"),
        ("leo", "general", None),
    ]
    assert rows_of(frame, PROMPTS)[0].prompt == "гороскоп: Овен; тема: любовь"
    dated = rows_of({"sign": ["leo"], "date": [pd.Timestamp("2026-11-25 10:00")]}, PROMPTS)
    assert dated[0].date == "2026-11-25"
    with pytest.raises(ValueError, match="'sign' column"):
        rows_of(pd.DataFrame({"name": ["aries"]}), PROMPTS)
    with pytest.raises(ValueError, match=r"unknown category 'gossip'.*general, love"):
        rows_of(pd.DataFrame({"sign": ["aries"], "category": ["gossip"]}), PROMPTS)
    with pytest.raises(ValueError, match="unknown sign '♈Овен'; expected one of: aries, taurus"):
        rows_of(["♈Овен"], PROMPTS)


def test_the_prompt_table_covers_every_sign_and_category() -> None:
    from horogen.schema import Category

    assert set(PROMPTS) == {sign.value for sign in Sign}
    assert all(set(row) == {c.value for c in Category} for row in PROMPTS.values())
    assert PROMPTS["aries"]["love"] == "гороскоп: Овен; тема: любовь"
    assert PROMPTS["pisces"]["general"] == "гороскоп: Рыбы; тема: общий"


def test_decoding_options() -> None:
    options = {
        "top_p": 0.9,
        "temperature": 0.7,
        "top_k": 5,
        "repetition_penalty": 1.2,
        "max_new_tokens": 20,
    }
    assert generation_kwargs(options) == {
        "max_new_tokens": 20,
        "repetition_penalty": 1.2,
        "do_sample": False,
    }
    kinds = [type(p).__name__ for p in sampling_processors(options, [torch.Generator()])]
    assert kinds == ["TemperatureLogitsWarper", "TopKLogitsWarper", "TopPLogitsWarper", "RowNoise"]
    plain = options | {"temperature": 1.0, "top_k": 0, "top_p": 1.0}
    assert [type(p).__name__ for p in sampling_processors(plain, [])] == ["RowNoise"]
    assert sampling_processors(options | {"temperature": 0}, []) == []  # greedy
    assert row_seed(1, "aries", "love", None) == row_seed(1, "aries", "love", None)
    assert row_seed(1, "aries", "love", None) != row_seed(1, "leo", "love", None)


def test_pyfunc_generates_reproducibly(saved_model: Path) -> None:
    model = loaded_model(saved_model)
    request = pd.DataFrame({"sign": ["aries", "leo"], "date": ["2026-11-25", "2026-11-25"]})

    texts = model.predict(None, request, params={"max_new_tokens": 8})
    assert len(texts) == 2 and all(isinstance(text, str) for text in texts)
    # A dated row has its own seed: same request, same text, whatever else is in the batch.
    assert model.predict(None, request.iloc[[1]], params={"max_new_tokens": 8}) == texts[1:]
    with pytest.raises(ValueError, match="unknown sign"):
        model.predict(None, ["ophiuchus"])


def test_pyfunc_params_take_effect(saved_model: Path, monkeypatch) -> None:
    model = loaded_model(saved_model)
    outputs: list[torch.Tensor] = []
    generate = model.model.generate

    def spy(*args: object, **kwargs: object) -> torch.Tensor:
        outputs.append(output := generate(*args, **kwargs))
        return output

    monkeypatch.setattr(model.model, "generate", spy)
    rng = torch.get_rng_state()

    signs = ["aries", "leo", "virgo"]
    short = model.predict(None, signs, params={"max_new_tokens": 3, "seed": 1})
    # One generate call for the three rows; at most 3 new tokens each (after the start token).
    assert len(outputs) == 1 and outputs[0].shape[0] == 3 and outputs[0].shape[1] <= 1 + 3
    longer = model.predict(None, signs, params={"max_new_tokens": 30, "seed": 1})
    assert outputs[1].shape[1] > outputs[0].shape[1]
    assert all(text.startswith(begin) for text, begin in zip(longer, short, strict=True))
    # Same seed, same texts; other seeds, other texts (an untrained model samples from
    # hundreds of pieces: equal texts by chance are out of the question).
    assert model.predict(None, signs, params={"max_new_tokens": 30, "seed": 1}) == longer
    by_seed = {
        tuple(model.predict(None, ["aries"], params={"max_new_tokens": 30, "seed": seed}))
        for seed in range(4)
    }
    assert len(by_seed) == 4
    # Unseeded, undated rows differ from call to call.
    unseeded = {tuple(model.predict(None, ["aries"], params={"max_new_tokens": 30})) for _ in "ab"}
    assert len(unseeded) == 2
    # Greedy decoding ignores the seed.
    greedy = {"temperature": 0, "max_new_tokens": 10}
    assert model.predict(None, ["aries"], params=greedy | {"seed": 1}) == model.predict(
        None, ["aries"], params=greedy | {"seed": 2}
    )
    # The process-wide torch RNG is left as it was.
    assert torch.equal(torch.get_rng_state(), rng)


def test_train_refuses_while_another_mlflow_run_is_active(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    with mlflow.start_run() as theirs:
        with pytest.raises(ConfigError, match=f"MLflow run {theirs.info.run_id} is active"):
            trainer.train(settings(tmp_path), progress=False)
        assert mlflow.active_run().info.run_id == theirs.info.run_id  # not ended by us
    assert mlflow.get_run(theirs.info.run_id).info.status == "FINISHED"


def test_an_s3_lake_without_tracking_uri_fails_before_any_work(monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the training set was built")

    monkeypatch.setattr(trainer, "build_training_set", never)
    s3 = Settings(lake="s3://bucket/horogen", train=tiny_train_settings())
    with pytest.raises(ConfigError, match="HOROGEN_TRAIN__TRACKING_URI"):
        trainer.train(s3, progress=False)


def test_a_base_that_fails_to_load_leaves_no_run_behind(tmp_path: Path) -> None:
    from horogen.train.trainer import train

    chosen = settings(tmp_path, base=str(tmp_path / "missing"))
    write_corpus(chosen.open_lake(), dt.date(2026, 11, 1), 1)
    with pytest.raises(ModelLoadError, match="HOROGEN_TRAIN__BASE"):
        train(chosen, progress=False)
    assert list((tmp_path / "lake" / "runs").iterdir()) == []
    with pytest.raises(ConfigError, match="drop --base, --epochs"):
        train(chosen, resume=True, epochs=2)
    with pytest.raises(ConfigError, match="no training run under"):
        train(chosen, resume=True)


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
