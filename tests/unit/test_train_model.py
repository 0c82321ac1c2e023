"""Starting points (fresh, local directory, hub id, champion), their errors, and the pyfunc
model's request handling. No test downloads anything."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pandas as pd
import pytest

from horogen.config import Settings
from horogen.errors import ConfigError, ModelLoadError
from horogen.signs import Sign
from horogen.train.model import build_fresh, load_base, train_tokenizer
from horogen.train.pyfunc import HoroscopeModel, generation_kwargs, row_seed, rows_of
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
    assert start.base == "fresh"


def test_loads_a_local_directory(saved_model: Path, tmp_path: Path) -> None:
    start = load_base(str(saved_model), settings(tmp_path), workdir=tmp_path)
    assert start.base == str(saved_model.resolve())
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


def test_requests_become_rows() -> None:
    assert rows_of(["aries", "leo"]) == [("aries", "general", None), ("leo", "general", None)]
    assert rows_of("virgo") == [("virgo", "general", None)]
    frame = pd.DataFrame(
        {"sign": ["aries", "leo"], "category": ["love", None], "date": ["2026-11-25", None]}
    )
    assert rows_of(frame) == [("aries", "love", "2026-11-25"), ("leo", "general", None)]
    assert rows_of({"sign": ["leo"], "date": [pd.Timestamp("2026-11-25 10:00")]}) == [
        ("leo", "general", "2026-11-25")
    ]
    with pytest.raises(ValueError, match="'sign' column"):
        rows_of(pd.DataFrame({"name": ["aries"]}))
    with pytest.raises(ValueError, match="unknown category"):
        rows_of(pd.DataFrame({"sign": ["aries"], "category": ["gossip"]}))


def test_decoding_options() -> None:
    options = {
        "top_p": 0.9,
        "temperature": 0.7,
        "top_k": 0,
        "repetition_penalty": 1.2,
        "max_new_tokens": 20,
    }
    assert generation_kwargs(options)["do_sample"] is True
    greedy = generation_kwargs(options | {"temperature": 0})
    assert greedy == {"max_new_tokens": 20, "repetition_penalty": 1.2, "do_sample": False}
    assert row_seed(1, "aries", "love", None) == row_seed(1, "aries", "love", None)
    assert row_seed(1, "aries", "love", None) != row_seed(1, "leo", "love", None)


def test_pyfunc_generates_reproducibly(saved_model: Path) -> None:
    defaults = tiny_train_settings().generation.model_dump() | {"seed": -1}
    model = HoroscopeModel(defaults, max_source_length=16)
    model.load(str(saved_model))
    request = pd.DataFrame({"sign": ["aries", "leo"], "date": ["2026-11-25", "2026-11-25"]})

    texts = model.predict(None, request, params={"max_new_tokens": 8})
    assert len(texts) == 2 and all(isinstance(text, str) for text in texts)
    # A dated row has its own seed: same request, same text, whatever else is in the batch.
    assert model.predict(None, request.iloc[[1]], params={"max_new_tokens": 8}) == texts[1:]
    with pytest.raises(ValueError, match="unknown sign"):
        model.predict(None, ["ophiuchus"])


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
