"""[evaluate.scorers]: defaults, file and environment, the scenarios, and every backend name
the settings accept having a scorer behind it."""

from __future__ import annotations

from typing import get_args

import pytest

from horogen.config import load_settings
from horogen.errors import ConfigError
from horogen.evaluate.metrics import metrics
from horogen.evaluate.metrics.acceptability import AcceptabilitySettings
from horogen.evaluate.metrics.diversity import DiversitySettings
from horogen.evaluate.metrics.sentiment import SentimentSettings
from horogen.evaluate.settings import ScorersSettings, offline

#: What each registered metric declares: its name, its backends, its offline backend.
METRICS = [metric.name for metric in metrics()]
BACKENDS = {metric.name: metric.backends for metric in metrics()}
OFFLINE_BACKENDS = {metric.name: metric.offline_backend for metric in metrics()}


def test_the_defaults_are_the_hub_models(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    scorers = load_settings().evaluate.scorers
    assert (scorers.acceptability.backend, scorers.acceptability.model) == (
        "rucola",
        "RussianNLP/ruRoBERTa-large-rucola",
    )
    assert (scorers.diversity.backend, scorers.diversity.model) == (
        "labse",
        "sentence-transformers/LaBSE",
    )
    assert (scorers.sentiment.backend, scorers.sentiment.model) == (
        "rubert",
        "seara/rubert-base-cased-russian-sentiment",
    )
    assert scorers.device == "cpu"


def test_file_then_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "horogen.toml").write_text(
        '[evaluate.scorers.acceptability]\nbackend = "orthography"\n'
        '[evaluate.scorers.sentiment]\nmodel = "/models/sentiment"\nbatch_size = 4\n'
    )
    monkeypatch.setenv("HOROGEN_EVALUATE__SCORERS__SENTIMENT__BATCH_SIZE", "64")
    monkeypatch.setenv("HOROGEN_EVALUATE__SCORERS__DIVERSITY__BACKEND", "char-tfidf")
    scorers = load_settings().evaluate.scorers
    assert scorers.acceptability.backend == "orthography"
    assert scorers.diversity.backend == "char-tfidf"
    assert (scorers.sentiment.model, scorers.sentiment.batch_size) == ("/models/sentiment", 64)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HOROGEN_EVALUATE__SCORERS__ACCEPTABILITY__BACKEND", "rucolla", "rucola"),
        ("HOROGEN_EVALUATE__SCORERS__DIVERSITY__BATCH_SIZE", "0", "batch_size"),
        ("HOROGEN_EVALUATE__SCORERS__DIVERSITY__NGRAM_MIN", "5", "ngram_min 5 > ngram_max 4"),
        ("HOROGEN_EVALUATE__SCORERS__SENTIMENT__LABELS", "x", "labels"),
    ],
)
def test_invalid_scorer_settings_are_a_clear_error(
    monkeypatch, tmp_path, variable, value, message
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_the_demo_scores_offline_and_production_with_the_hub_models(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    demo = load_settings(scenario="demo").evaluate.scorers
    assert {metric: getattr(demo, metric).backend for metric in METRICS} == OFFLINE_BACKENDS
    production = load_settings(scenario="production").evaluate.scorers
    assert production == ScorersSettings()


def test_every_backend_a_setting_accepts_has_a_scorer() -> None:
    accepted = {
        "acceptability": AcceptabilitySettings,
        "diversity": DiversitySettings,
        "sentiment": SentimentSettings,
    }
    for metric, section in accepted.items():
        names = set(get_args(section.model_fields["backend"].annotation))
        assert names == set(BACKENDS[metric]), metric
        assert OFFLINE_BACKENDS[metric] in names


def test_offline_switches_every_metric_and_keeps_the_rest() -> None:
    settings = ScorersSettings.model_validate({"sentiment": {"batch_size": 3}})
    switched = offline(settings)
    assert {metric: getattr(switched, metric).backend for metric in METRICS} == OFFLINE_BACKENDS
    assert switched.sentiment.batch_size == 3
    assert settings.sentiment.backend == "rubert"  # the original is left as it was
