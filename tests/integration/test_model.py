"""The model package on tiny registered versions: the resolver's every form and error, the
local cache, and both generation backends (determinism, batch-size independence, the
CTranslate2 conversion made once and atomically)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from mlflow.models import infer_signature

from horogen.errors import ConfigError, ModelLoadError, ModelNotFound
from horogen.lake import Lake
from horogen.model import registry
from horogen.model.backends import load_backend
from horogen.model.ctranslate2_backend import convert
from horogen.model.generate import HoroscopeGenerator, TextRequest, requests_for
from horogen.model.prompts import CATEGORY_RU
from horogen.model.pyfunc import HF_ARTIFACT, row_seed
from horogen.model.settings import GenerationSettings, MlflowSettings
from horogen.model.store import ModelStore, ResolvedModel
from horogen.model.strategy import Strategy
from horogen.model.tracking import ensure_experiment
from horogen.schema import Category
from horogen.signs import Sign
from model_support import SHORT, register_versions, save_tiny_model

DAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def store(tmp_path_factory, tiny_model: Path) -> Iterator[ModelStore]:
    """Two versions of the tiny model; version 1 is the champion."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        store = register_versions(tmp_path_factory.mktemp("registry"), 2, tiny_model)
        store.registry.set_alias(registry.CHAMPION, 1)
        yield store


@pytest.fixture(autouse=True)
def _connected(request) -> None:
    if "store" in request.fixturenames:
        request.getfixturevalue("store").connect()


def test_every_form_of_reference_resolves(store: ModelStore, tiny_model: Path) -> None:
    def version(reference: str | None) -> int | None:
        resolved = store.resolve(reference)
        return resolved.version.version if resolved.version else None

    assert version(None) == 1  # the champion
    assert version("champion") == version("models:/horogen@champion") == 1
    assert version("2") == version("models:/horogen/2") == 2
    store.registry.set_alias(registry.CHALLENGER, 2)
    try:
        assert version("challenger") == version("models:/horogen@challenger") == 2
    finally:
        store.registry.delete_alias(registry.CHALLENGER)

    local = store.resolve(str(tiny_model))
    assert local.version is None and local.hf_dir == tiny_model.resolve()
    assert local.prompt("leo", "love", dt.date(2026, 12, 2)) == (
        "гороскоп: Лев; тема: любовь; день: среда, 2 декабря"
    )
    # A downloaded MLflow model directory is a model too, with its frozen config.
    downloaded = store.resolve("2")
    as_directory = store.resolve(str(downloaded.cache_dir))
    assert as_directory.hf_dir == downloaded.hf_dir
    assert as_directory.config == downloaded.config
    assert downloaded.config["generation"]["max_new_tokens"] == SHORT.max_new_tokens


def test_without_a_champion_the_newest_version_is_used(store: ModelStore) -> None:
    store.registry.delete_alias(registry.CHAMPION)
    try:
        assert store.resolve(None).version.version == 2
    finally:
        store.registry.set_alias(registry.CHAMPION, 1)


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("9", "'horogen' has no version 9 at sqlite"),
        ("models:/horogen@staging", "no version with alias 'staging'"),
        ("models:/other/1", "'other' has no version 1"),
        ("latest-and-greatest", "'latest-and-greatest' is not a model"),
        ("models:/horogen", "is not a model"),
    ],
)
def test_a_reference_that_names_nothing_says_where_to_look(
    store: ModelStore, reference: str, message: str
) -> None:
    with pytest.raises(ModelNotFound, match=message) as caught:
        store.resolve(reference)
    assert "horogen models" in str(caught.value)


def test_a_directory_without_a_model_is_refused(store: ModelStore, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="neither a saved Hugging Face model"):
        store.resolve(str(tmp_path))


def test_an_empty_registry_says_to_train(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    empty = ModelStore(MlflowSettings(), Lake(str(tmp_path / "lake")), tmp_path / "cache")
    with pytest.raises(ModelNotFound, match=r"no version of 'horogen' is registered.*train"):
        empty.resolve(None)


def test_a_version_is_downloaded_once_into_the_cache(store: ModelStore, monkeypatch) -> None:
    first = store.resolve("2")
    assert first.cache_dir.parent == store.cache_root / "horogen"
    assert (first.hf_dir / "config.json").is_file()
    downloads: list[str] = []
    real = mlflow.artifacts.download_artifacts
    monkeypatch.setattr(
        mlflow.artifacts,
        "download_artifacts",
        lambda uri, **kw: downloads.append(uri) or real(uri, **kw),
    )
    assert store.resolve("models:/horogen/2").hf_dir == first.hf_dir
    assert downloads == []
    assert not list(first.cache_dir.parent.glob(".*partial"))


def test_a_version_whose_files_are_gone_is_a_load_error(
    tmp_path: Path, tiny_model: Path, monkeypatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    store = register_versions(tmp_path, 1, tiny_model)
    shutil.rmtree(Path(store.lake.root) / "mlartifacts")
    with pytest.raises(ModelLoadError, match=r"files of models:/horogen/1 could not be down"):
        store.resolve("1")
    assert not (store.cache_root / "horogen").exists() or not any(
        (store.cache_root / "horogen").iterdir()
    )


def generator(model: ResolvedModel, backend: str, batch_size: int) -> HoroscopeGenerator:
    settings = GenerationSettings(backend=backend, batch_size=batch_size, intra_threads=2)
    return HoroscopeGenerator.load(model, settings)


REQUESTS = requests_for(list(Sign)[:5], [Category.GENERAL, Category.LOVE], DAY)


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_generation_is_seeded(store: ModelStore, backend: str) -> None:
    model = store.resolve("1")
    texts = generator(model, backend, batch_size=4).generate(REQUESTS, SHORT, seed=3)
    assert len(texts) == 10 and all(t.text for t in texts)
    assert {t.backend for t in texts} == {backend} and {t.version for t in texts} == {1}
    again = generator(model, backend, batch_size=4)
    again.generate(REQUESTS[:3], SHORT, seed=99)  # whatever ran before does not matter
    assert [t.text for t in again.generate(REQUESTS, SHORT, seed=3)] == [t.text for t in texts]
    # Another seed, other texts: an untrained model samples from hundreds of pieces.
    other = again.generate(REQUESTS, SHORT, seed=4)
    assert sum(a.text != b.text for a, b in zip(texts, other, strict=True)) >= 9


def test_transformers_texts_do_not_depend_on_the_batch(store: ModelStore) -> None:
    model = store.resolve("1")
    one_by_one = generator(model, "transformers", 1).generate(REQUESTS, SHORT, seed=5)
    batched = generator(model, "transformers", 8).generate(REQUESTS, SHORT, seed=5)
    assert [t.text for t in batched] == [t.text for t in one_by_one]
    alone = generator(model, "transformers", 8).generate(REQUESTS[3:4], SHORT, seed=5)
    assert alone[0].text == one_by_one[3].text


def test_transformers_texts_match_the_logged_model(store: ModelStore) -> None:
    """Sample 0 of a request is what the logged version gives for the same row and seed."""
    model = store.resolve("1")
    (text,) = generator(model, "transformers", 4).generate(
        [TextRequest(sign=Sign.LEO, category=Category.LOVE, date=DAY)], SHORT, seed=7
    )
    assert text.seed == row_seed(7, "leo", "love", DAY.isoformat())
    logged = mlflow.pyfunc.load_model("models:/horogen/1")
    request = {"sign": ["leo"], "category": ["love"], "date": [DAY.isoformat()]}
    assert logged.predict(request, params={"seed": 7}) == [text.text]


def test_samples_have_their_own_seeds(store: ModelStore) -> None:
    requests = requests_for([Sign.ARIES], [Category.GENERAL], DAY, samples=3)
    texts = generator(store.resolve("1"), "transformers", 4).generate(requests, SHORT)
    assert [t.sample for t in texts] == [0, 1, 2]
    assert len({t.seed for t in texts}) == len({t.text for t in texts}) == 3


def test_ctranslate2_one_at_a_time_depends_on_the_row_alone(store: ModelStore) -> None:
    model = store.resolve("1")
    alone = generator(model, "ctranslate2", 1)
    texts = alone.generate(REQUESTS, SHORT, seed=5)
    assert alone.generate(REQUESTS[3:4], SHORT, seed=5)[0].text == texts[3].text


def test_ctranslate2_conversion_is_made_once(store: ModelStore, monkeypatch) -> None:
    from ctranslate2.converters import TransformersConverter

    model = store.resolve("2")
    target = model.cache_dir / "ctranslate2-int8"
    shutil.rmtree(target, ignore_errors=True)
    calls: list[str] = []
    real = TransformersConverter.convert
    monkeypatch.setattr(
        TransformersConverter,
        "convert",
        lambda self, output_dir, **kw: calls.append(output_dir) or real(self, output_dir, **kw),
    )
    settings = GenerationSettings(backend="ctranslate2")
    first = load_backend(model, settings)
    second = load_backend(model, settings)
    assert first.directory == second.directory == target
    assert len(calls) == 1 and (target / "model.bin").is_file()
    assert not list(target.parent.glob(".*partial"))


#: Converts a model in a subprocess that writes part of the conversion, then hangs.
KILLED_CONVERSION = """
import sys, time
from pathlib import Path
from ctranslate2.converters import TransformersConverter
from horogen.model.ctranslate2_backend import convert
from horogen.model.settings import GenerationSettings

def slow(self, output_dir, **options):
    Path(output_dir).mkdir(parents=True)
    (Path(output_dir) / "model.bin").write_bytes(b"half a model")
    print("writing", flush=True)
    time.sleep(600)

TransformersConverter.convert = slow
convert(Path(sys.argv[1]), Path(sys.argv[2]), GenerationSettings())
"""


def test_a_killed_conversion_leaves_no_half_cache(tiny_model: Path, tmp_path: Path) -> None:
    target = tmp_path / "cache" / "ctranslate2-int8"
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_CONVERSION, str(tiny_model), str(target)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "writing"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        process.stdout.close()
    assert not target.exists()
    assert next(path.name for path in target.parent.iterdir()).endswith(".partial")
    started = time.monotonic()
    assert (convert(tiny_model, target, GenerationSettings()) / "model.bin").stat().st_size > 1000
    assert time.monotonic() - started < 120


def test_ctranslate2_without_the_package_names_the_extra(store: ModelStore, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ctranslate2", None)
    with pytest.raises(ConfigError, match=r"horogen\[ctranslate2\].*--backend transformers"):
        load_backend(store.resolve("1"), GenerationSettings(backend="ctranslate2"))


def test_a_strategy_evaluation_stored_is_the_default(store: ModelStore) -> None:
    chosen = Strategy(top_p=0.5, temperature=0.5)
    store.registry.set_tags(2, {"strategy": chosen.to_tag()})
    assert store.resolve("2").strategy(Strategy()) == chosen
    assert store.resolve("1").strategy(SHORT) == SHORT
    assert os.environ.get("MLFLOW_TRACKING_URI") is None


#: ``pyfunc.py`` as versions logged before the prompt named the date stored it.
PROMPT_TABLE_PYFUNC = Path(__file__).parents[1] / "fixtures" / "versions" / "pyfunc_prompt_table.py"


def test_a_version_from_before_dated_prompts_keeps_its_prompts(
    tmp_path: Path, tiny_model: Path, monkeypatch
) -> None:
    """An old version (its own pyfunc code, a frozen prompt table, no slots) still loads
    and generates, through MLflow and through horogen, with the prompts it was trained on."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    store = register_versions(tmp_path, 0, tiny_model)
    target = store.connect()
    old_config = {
        "prompts": {
            sign.value: {c.value: f"гороскоп: {sign.ru}; тема: {CATEGORY_RU[c]}" for c in Category}
            for sign in Sign
        },
        "default_category": "general",
        "generation": {"seed": -1, **SHORT.model_dump()},
        "max_source_length": 16,
    }
    with mlflow.start_run(experiment_id=ensure_experiment("horogen-training", target)) as run:
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(PROMPT_TABLE_PYFUNC),
            artifacts={HF_ARTIFACT: str(tiny_model)},
            model_config=old_config,
            signature=infer_signature(None, ["Текст."], params=old_config["generation"]),
        )
    store.registry.register(info.model_uri, run.info.run_id, {"run_id": run.info.run_id})

    old = store.resolve("1")
    assert "prompt" not in old.config and "slots" not in old.config
    assert old.prompt("leo", "love", DAY) == "гороскоп: Лев; тема: любовь"
    assert old.fill("<sign:datv:plur>", "leo", DAY) == "<sign:datv:plur>"  # it has no slots
    (text,) = generator(old, "transformers", 4).generate(
        [TextRequest(sign=Sign.LEO, category=Category.LOVE, date=DAY)], SHORT, seed=7
    )
    logged = mlflow.pyfunc.load_model("models:/horogen/1")
    request = {"sign": ["leo"], "category": ["love"], "date": [DAY.isoformat()]}
    assert logged.predict(request, params={"seed": 7}) == [text.text]  # the old prompt
    new = store.resolve(str(tiny_model))  # today's recipe: another prompt
    assert (
        new.prompt("leo", "love", DAY)
        == "гороскоп: Лев; тема: любовь; день: понедельник, 30 ноября"
    )
