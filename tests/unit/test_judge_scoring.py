"""Serving's judge on evaluation's scoring: the same weighted score, the checks by threshold,
and a check that is no metric refused plainly."""

from __future__ import annotations

import datetime as dt

import pytest

from horogen.errors import ConfigError
from horogen.evaluate import judge as judging
from horogen.evaluate.judge import ScoringJudge
from horogen.evaluate.metrics import get
from horogen.evaluate.scorers.base import ScoringContext
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


def test_a_check_that_needs_what_serving_lacks_is_a_config_error(monkeypatch) -> None:
    needy = get("sentiment")
    monkeypatch.setattr(
        judging, "get", lambda name: type(needy)(**{**needy.__dict__, "needs": {"corpus"}})
    )
    with pytest.raises(ConfigError, match="sentiment needs corpus, which a served text"):
        ScoringJudge(SCORERS, WEIGHTS, {"sentiment": 0.5})
