"""Serving's judge on evaluation's scoring: the same weighted score, the checks by threshold,
and a check that is no metric refused plainly."""

from __future__ import annotations

import datetime as dt

import pytest

from horogen.errors import ConfigError
from horogen.evaluate.judge import ScoringJudge
from horogen.evaluate.scorers.base import ScoringContext
from horogen.evaluate.scorers.novelty import CorpusIndex
from horogen.evaluate.scoring import build_scorers, score_texts
from horogen.evaluate.settings import ScorersSettings, WeightsSettings, offline
from horogen.model.strategy import Strategy
from horogen.schema import Category
from horogen.serve.schemas import horoscope
from horogen.signs import Sign

SCORERS = offline(ScorersSettings())
WEIGHTS = WeightsSettings()
TEXTS = [
    (Sign.LEO, "Сегодня звёзды благоволят вам. День удачный для новых дел."),
    (Sign.VIRGO, "Фывапр олджэ куцен. Щшгн."),
    (Sign.ARIES, "Вас ждёт радость и успех в работе, друзья будут рядом."),
]


def candidates() -> list:
    return [
        horoscope(
            sign, Category.LOVE, dt.date(2026, 12, 1), text, model="m/1", version=1,
            strategy=Strategy(),
        )
        for sign, text in TEXTS
    ]  # fmt: skip


def test_the_score_is_evaluations_weighted_score_of_each_text() -> None:
    texts = candidates()
    verdicts = ScoringJudge(SCORERS, WEIGHTS, {"acceptability": 0.5}).judge(texts)
    rows = score_texts(
        [t.text for t in texts], build_scorers(SCORERS), ScoringContext(requests=texts)
    ).rows
    assert len(verdicts) == 3
    for verdict, row in zip(verdicts, rows, strict=True):
        assert verdict.values == row.metric_values()
        assert verdict.score == pytest.approx(WEIGHTS.score(**row.metric_values()))
    # The orthography backend knows the first and third texts' words, not the second's.
    assert [v.failed for v in verdicts] == [(), ("acceptability",), ()]
    assert verdicts[0].score > verdicts[1].score


def test_each_check_has_its_threshold() -> None:
    texts = candidates()
    diversity = [v.values["diversity"] for v in ScoringJudge(SCORERS, WEIGHTS, {}).judge(texts)]
    above_all = max(diversity) + 0.001  # no text reaches it: each fails diversity alone
    strict = ScoringJudge(SCORERS, WEIGHTS, {"acceptability": 0.5, "diversity": above_all})
    assert [v.failed for v in strict.judge(texts)] == [
        ("diversity",),
        ("acceptability", "diversity"),
        ("diversity",),
    ]
    weights = WeightsSettings(acceptability=0.0, diversity=0.0, sentiment=1.0)
    (first, *_) = ScoringJudge(SCORERS, weights, {}).judge(texts)
    assert first.failed == () and first.score == first.values["sentiment"]


def test_a_check_that_is_no_metric_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"serve.checks names 'readability', which is no regi"):
        ScoringJudge(SCORERS, WEIGHTS, {"readability": 1.0, "acceptability": 0.5})


def test_a_check_that_needs_a_corpus_without_a_corpus_source_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="novelty needs corpus, which a served text"):
        ScoringJudge(SCORERS, WEIGHTS, {"novelty": 0.5})


def test_a_copy_of_a_training_text_fails_novelty_and_its_own_text_passes() -> None:
    texts = candidates()
    copied = TEXTS[2][1]  # the third text is a training text, word for word
    corpus = CorpusIndex.build(["Совсем другой текст о погоде и море.", copied])
    asked: list[tuple[str, int | None]] = []

    def source(model: str, version: int | None) -> CorpusIndex:
        asked.append((model, version))
        return corpus

    judge = ScoringJudge(SCORERS, WEIGHTS, {"novelty": 0.5}, corpus=source)
    verdicts = judge.judge(texts)
    assert asked == [("m/1", 1)]  # the corpus of the model that wrote them
    assert [v.failed for v in verdicts] == [(), (), ("novelty",)]
    assert verdicts[2].values["novelty"] == 0.0 and verdicts[0].values["novelty"] == 1.0


def test_a_model_without_a_corpus_is_not_checked_for_novelty() -> None:
    judge = ScoringJudge(
        SCORERS, WEIGHTS, {"novelty": 0.5, "acceptability": 0.5}, corpus=lambda *_: None
    )
    verdicts = judge.judge(candidates())
    assert [v.values["novelty"] for v in verdicts] == [None, None, None]
    assert [v.failed for v in verdicts] == [(), ("acceptability",), ()]  # the others still apply


def test_one_set_is_one_models_texts() -> None:
    texts = candidates()
    texts[1] = texts[1].model_copy(update={"model": "m/2", "version": 2})
    with pytest.raises(ValueError, match="one model's texts, not 2"):
        ScoringJudge(SCORERS, WEIGHTS, {}, corpus=lambda *_: None).judge(texts)
