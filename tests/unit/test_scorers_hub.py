"""The hub backends' code paths on tiny models saved to a local directory (tests/tiny_models.py):
loading, reading labels from id2label, batching, and what a failed load says. Not quality."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from horogen.errors import ConfigError, ModelLoadError
from horogen.evaluate.scorers.classifier import RubertSentimentScorer, RucolaScorer
from horogen.evaluate.scorers.labse import EmbeddingDiversityScorer
from horogen.evaluate.scoring import build_scorers, score_texts
from horogen.evaluate.settings import ScorersSettings
from tiny_models import (
    RUBERT_SENTIMENT_LABELS,
    bert_classifier,
    roberta_classifier,
    sentence_encoder,
)

TEXTS = [
    "Сегодня звёзды благоволят вам, Овен.",
    "Не бойтесь перемен.",
    "День будет тяжёлым, возможны ссоры и обиды.",
    "Удача на вашей стороне!",
    "Вечером лучше отдохнуть.",
    "Финансовые вопросы лучше отложить до четверга, а вечером набраться сил.",
    "Овен",
    "Действуйте смело: перемены откроют новые возможности.",
    "Сегодня",
    "Старый друг напомнит о себе.",
]


def settings(**sections: dict) -> ScorersSettings:
    return ScorersSettings.model_validate(
        {
            "acceptability": {"backend": "orthography"},
            "diversity": {"backend": "char-tfidf"},
            "sentiment": {"backend": "lexicon"},
        }
        | sections
    )


def forward_batches(module) -> list[int]:
    """The batch size of each of the module's forward passes, as they happen."""
    sizes: list[int] = []

    def record(_module, args, kwargs, _output) -> None:
        features = kwargs if "input_ids" in kwargs else args[0]  # sentence-transformers: a dict
        sizes.append(features["input_ids"].shape[0])

    module.register_forward_hook(record, with_kwargs=True)
    return sizes


# --- acceptability: rucola ----------------------------------------------------------------


@pytest.mark.parametrize(("favoured", "expected"), [(1, 1.0), (0, 0.0)])
def test_rucola_without_label_names_takes_label_1_as_acceptable(
    tmp_path, favoured, expected
) -> None:
    model = roberta_classifier(tmp_path / "rucola", favoured=favoured)
    assert "id2label" not in json.loads((model / "config.json").read_text())  # like the real one
    scorers = build_scorers(settings(acceptability={"backend": "rucola", "model": str(model)}))
    assert isinstance(scorers.acceptability, RucolaScorer)
    assert scorers.acceptability.score(TEXTS) == [expected] * len(TEXTS)


@pytest.mark.parametrize(("favoured", "expected"), [(0, 1.0), (1, 0.0)])
def test_rucola_finds_a_label_named_acceptable_wherever_it_is(tmp_path, favoured, expected) -> None:
    labels = {0: "acceptable", 1: "unacceptable"}
    model = roberta_classifier(tmp_path / "named", labels, favoured=favoured)
    scorers = build_scorers(settings(acceptability={"backend": "rucola", "model": str(model)}))
    assert scorers.acceptability.score(TEXTS[:3]) == [expected] * 3


def test_rucola_labels_it_cannot_read_need_the_setting(tmp_path) -> None:
    model = roberta_classifier(tmp_path / "odd", {0: "bad", 1: "good"}, favoured=1)
    with pytest.raises(ConfigError) as caught:
        build_scorers(settings(acceptability={"backend": "rucola", "model": str(model)}))
    assert "HOROGEN_EVALUATE__SCORERS__ACCEPTABILITY__ACCEPTABLE_LABEL" in str(caught.value)
    assert "0=bad, 1=good" in str(caught.value)
    named = {"backend": "rucola", "model": str(model), "acceptable_label": "good"}
    assert build_scorers(settings(acceptability=named)).acceptability.score(TEXTS[:2]) == [1, 1]
    named["acceptable_label"] = "fine"
    with pytest.raises(ConfigError, match="no label 'fine'"):
        build_scorers(settings(acceptability=named))


# --- sentiment: rubert --------------------------------------------------------------------


@pytest.mark.parametrize(("favoured", "expected"), [(0, 1.0), (1, 1.0), (2, 0.0)])
def test_rubert_negative_is_0_neutral_and_positive_are_1(tmp_path, favoured, expected) -> None:
    model = bert_classifier(tmp_path / "rubert", RUBERT_SENTIMENT_LABELS, favoured=favoured)
    scorers = build_scorers(settings(sentiment={"backend": "rubert", "model": str(model)}))
    assert isinstance(scorers.sentiment, RubertSentimentScorer)
    assert scorers.sentiment.score(TEXTS) == [expected] * len(TEXTS)


def test_rubert_reads_the_negative_label_from_id2label_in_any_case(tmp_path) -> None:
    labels = {0: "NEGATIVE", 1: "NEUTRAL", 2: "POSITIVE"}
    negative = bert_classifier(tmp_path / "neg", labels, favoured=0)
    positive = bert_classifier(tmp_path / "pos", labels, favoured=2)
    for model, expected in ((negative, 0.0), (positive, 1.0)):
        scorers = build_scorers(settings(sentiment={"backend": "rubert", "model": str(model)}))
        assert scorers.sentiment.score(TEXTS[:2]) == [expected] * 2


def test_rubert_without_the_negative_label_names_the_setting(tmp_path) -> None:
    model = bert_classifier(tmp_path / "stars", {0: "1 star", 1: "5 stars"})
    with pytest.raises(ConfigError, match="HOROGEN_EVALUATE__SCORERS__SENTIMENT__NEGATIVE_LABEL"):
        build_scorers(settings(sentiment={"backend": "rubert", "model": str(model)}))


# --- batching -----------------------------------------------------------------------------


def test_classifiers_batch_without_changing_results(tmp_path) -> None:
    model = str(bert_classifier(tmp_path / "rubert", RUBERT_SENTIMENT_LABELS))
    probabilities, predictions = [], []
    for batch_size, batches in ((1, [1] * 10), (4, [4, 4, 2]), (8, [8, 2])):
        own = {"backend": "rubert", "model": model, "batch_size": batch_size}
        scorer = build_scorers(settings(sentiment=own)).sentiment
        sizes = forward_batches(scorer.classifier.model)
        probabilities.append(scorer.classifier.probabilities(TEXTS))
        predictions.append(scorer.score(TEXTS))
        assert sizes == batches * 2  # probabilities, then score
    assert np.ptp(probabilities[0], axis=0).max() > 0.01  # the texts do get different outputs
    for other in probabilities[1:]:
        np.testing.assert_allclose(other, probabilities[0], atol=1e-5)
    assert predictions[1] == predictions[0] == predictions[2]


# --- diversity: labse ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> Path:
    return sentence_encoder(tmp_path_factory.mktemp("labse") / "encoder")


def test_labse_diversity_is_1_minus_mean_cosine_of_different_texts(encoder) -> None:
    scorer = build_scorers(settings(diversity={"backend": "labse", "model": str(encoder)}))
    assert isinstance(scorer.diversity, EmbeddingDiversityScorer)
    raw = scorer.diversity.encoder.encode(TEXTS, normalize_embeddings=False)
    unit = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    cosine = unit @ unit.T
    n = len(TEXTS)
    expected_set = 1 - (cosine.sum() - np.trace(cosine)) / (n * (n - 1))
    values = scorer.diversity.score(TEXTS)
    # float32 sums in another order (batches, threads) differ by some 1e-4, not more.
    assert np.mean(values) == pytest.approx(expected_set, abs=5e-4)
    assert values[0] == pytest.approx(1 - (cosine[0].sum() - cosine[0, 0]) / (n - 1), abs=5e-4)
    assert 0.01 < expected_set < 1  # the tiny encoder does tell the texts apart
    assert scorer.diversity.score([TEXTS[0]] * 4) == pytest.approx([0] * 4, abs=1e-5)


def test_labse_batches_without_changing_results(encoder) -> None:
    values = []
    for batch_size, batches in ((1, [1] * 10), (4, [4, 4, 2]), (8, [8, 2])):
        own = {"backend": "labse", "model": str(encoder), "batch_size": batch_size}
        scorer = build_scorers(settings(diversity=own)).diversity
        sizes = forward_batches(scorer.encoder[0])
        values.append(scorer.score(TEXTS))
        assert sizes == batches
    for other in values[1:]:
        assert other == pytest.approx(values[0], abs=1e-5)


# --- all three from the hub ---------------------------------------------------------------


def test_all_hub_backends_together(tmp_path, encoder) -> None:
    scorers = build_scorers(
        ScorersSettings.model_validate(
            {
                "acceptability": {"model": str(roberta_classifier(tmp_path / "a", favoured=1))},
                "diversity": {"model": str(encoder)},
                "sentiment": {
                    "model": str(
                        bert_classifier(tmp_path / "s", RUBERT_SENTIMENT_LABELS, favoured=2)
                    )
                },
            }
        )
    )
    result = score_texts(TEXTS, scorers)
    assert result.backends == {
        "acceptability": "rucola",
        "diversity": "labse",
        "sentiment": "rubert",
        "consistency": "pymorphy",
        "novelty": "verbatim",
    }
    assert (result.summary.acceptability, result.summary.sentiment) == (1.0, 0.0)
    assert 0 < result.summary.diversity < 1


# --- load failures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "backend", "offline"),
    [
        ("acceptability", "rucola", "grammar"),
        ("diversity", "labse", "e5"),
        ("sentiment", "rubert", "lexicon"),
    ],
)
@pytest.mark.parametrize("where", ["missing-directory", "empty-directory", "hub-id"])
def test_a_model_that_cannot_load_names_the_setting(
    tmp_path, metric, backend, offline, where
) -> None:
    model = "horogen-test/none" if where == "hub-id" else str(tmp_path / where)
    if where == "empty-directory":
        (tmp_path / where).mkdir()
    with pytest.raises(ModelLoadError) as caught:
        build_scorers(settings(**{metric: {"backend": backend, "model": model}}))
    message = str(caught.value)
    assert model in message
    assert ("no such directory" in message) == (where == "missing-directory")
    assert f"HOROGEN_EVALUATE__SCORERS__{metric.upper()}__MODEL" in message
    assert repr(offline) in message
