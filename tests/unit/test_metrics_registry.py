"""The metric registry: what a metric must declare, how installed metrics are found through
the ``horogen.metrics`` entry points, what a metric without its input gives, and what the
registry feeds (the weights, the fingerprint). A metric installed from outside, end to end:
tests/integration/test_metric_plugin.py."""

from __future__ import annotations

import datetime as dt
import json
import math
import textwrap
from importlib.metadata import EntryPoint
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict

from horogen.errors import ConfigError
from horogen.evaluate.metrics import Metric, mean_of_defined, metrics, names, registry
from horogen.evaluate.run import fingerprint
from horogen.evaluate.scorers.base import Scorer, ScoringContext
from horogen.evaluate.scoring import ScoreSummary
from horogen.evaluate.settings import EvaluateSettings, ScorersSettings, WeightsSettings
from horogen.model.generate import TextRequest
from horogen.model.settings import GenerationSettings
from horogen.model.strategy import Strategy
from horogen.signs import Sign


class OneBackend(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["plain"] = "plain"


class Constant(Scorer):
    """0.5 for every text; counts its calls."""

    calls = 0

    def score(self, texts, context=None) -> list[float]:
        Constant.calls += 1
        return [0.5] * len(texts)


def metric(**changes: object) -> Metric:
    declared: dict[str, object] = {
        "name": "constant",
        "meaning": "always a half",
        "settings": OneBackend,
        "backends": {"plain": lambda settings, device: Constant()},
        "offline_backend": "plain",
        "weight": 1.0,
    }
    return Metric(**(declared | changes))  # type: ignore[arg-type]


def test_the_built_in_metrics_in_order() -> None:
    assert names() == ("acceptability", "diversity", "sentiment", "consistency", "novelty")
    assert [m.weight for m in metrics()] == [0.5, 0.25, 0.25, 0.0, 0.0]
    assert registry.get("consistency").needs == {"requests"}
    assert list(ScorersSettings.model_fields) == ["device", *names()]
    assert list(WeightsSettings.model_fields) == list(names())
    assert registry.get("diversity").offline_backend == "e5"
    assert registry.get("novelty").needs == {"corpus"}
    with pytest.raises(ConfigError, match="no metric 'fluency'; the metrics: acceptability"):
        registry.get("fluency")


class Strict(BaseModel):
    backend: Literal["plain"] = "plain"  # extra keys allowed: not strict


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Brevity"}, "must match"),
        ({"name": "score"}, "not be one of"),
        ({"name": "text"}, "not be one of"),
        ({"name": "json"}, "a pydantic model's attribute"),
        ({"settings": Strict}, "must forbid extra keys"),
        ({"backends": {"other": lambda s, d: Constant()}}, "backend choices"),
        ({"offline_backend": "hub"}, "no backend 'hub'"),
        ({"weight": -1.0}, "negative weight"),
    ],
)
def test_a_metric_declared_wrong_is_refused(changes, message) -> None:
    with pytest.raises(ValueError, match=message):
        metric(**changes)


def test_a_metric_without_its_input_is_undefined_and_its_scorer_not_asked() -> None:
    needs_requests = metric(needs=frozenset({"requests"}))
    scorer = needs_requests.build(OneBackend(), "cpu")
    texts = ["Один.", "Два."]
    calls = Constant.calls
    values = needs_requests.per_text(scorer, texts, ScoringContext())
    assert all(math.isnan(value) for value in values) and Constant.calls == calls
    assert needs_requests.per_set(values) is None
    requests = [TextRequest(sign=Sign.LEO, date=dt.date(2000, 1, 1))] * 2
    given = needs_requests.per_text(scorer, texts, ScoringContext(requests=requests))
    assert given == [0.5, 0.5] and Constant.calls == calls + 1
    # An undefined value stays a key of the JSON, as null.
    summary = ScoreSummary(acceptability=1.0, diversity=None, sentiment=0.5, n=1)
    assert json.loads(summary.model_dump_json()) == {
        "acceptability": 1.0,
        "diversity": None,
        "sentiment": 0.5,
        "consistency": None,
        "novelty": None,
        "n": 1,
    }


def test_a_set_value_is_the_mean_of_the_defined_text_values() -> None:
    assert mean_of_defined([1.0, math.nan, 0.0]) == 0.5
    assert mean_of_defined([math.nan]) is None


def test_the_score_takes_each_metric_by_name_or_in_order() -> None:
    weights = WeightsSettings(acceptability=1, diversity=1, sentiment=2)
    by_name = weights.score(
        sentiment=1.0, acceptability=0.0, diversity=None, consistency=None, novelty=None
    )
    assert by_name == weights.score(0.0, None, 1.0, None, None) == 0.5
    for wrong in ((1.0, 0.5), (1.0, 0.5, 0.5, 0.5, 0.5, 0.5)):
        with pytest.raises(TypeError, match="a value for each of acceptability, diversity"):
            weights.score(*wrong)
    with pytest.raises(TypeError, match="a value for each of"):
        weights.score(acceptability=1.0, diversity=1.0, consistency=1.0)


def test_the_fingerprint_follows_each_metric_s_backend_settings_and_weight() -> None:
    strategies = [Strategy(top_p=0.8, temperature=0.7)]
    generation = GenerationSettings()
    base = EvaluateSettings()
    stamp = fingerprint(base, strategies, generation)
    changed = [
        {"scorers": {"sentiment": {"backend": "lexicon"}}},
        {"scorers": {"diversity": {"ngram_max": 5}}},
        {"weights": {"diversity": 0.5}},
    ]
    stamps = {
        fingerprint(EvaluateSettings.model_validate(change), strategies, generation)
        for change in changed
    }
    assert stamp not in stamps and len(stamps) == len(changed)
    same_but_device = EvaluateSettings.model_validate({"scorers": {"device": "cuda"}})
    assert fingerprint(same_but_device, strategies, generation) == stamp


# --- installed metrics: the entry points ---------------------------------------------------


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """A module ``extra_metrics`` on sys.path, and a way to make the registry see given
    entry points (a fresh read, leaving the process's registry as it is)."""
    (tmp_path / "extra_metrics.py").write_text(
        textwrap.dedent(
            """
            from typing import Literal

            from pydantic import BaseModel, ConfigDict

            from horogen.evaluate.metrics import Metric
            from horogen.evaluate.scorers.lexicon import LexiconSentimentScorer


            class Plain(BaseModel):
                model_config = ConfigDict(extra="forbid")

                backend: Literal["plain"] = "plain"


            def spec(name):
                return Metric(
                    name=name,
                    meaning="a test metric",
                    settings=Plain,
                    backends={"plain": lambda settings, device: LexiconSentimentScorer()},
                    offline_backend="plain",
                    weight=0.0,
                )


            METRIC = spec("brevity")
            OTHER = spec("named_sign")
            DUPLICATE = spec("sentiment")
            NOT_A_METRIC = 3
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    def read(**entries: str) -> tuple[Metric, ...]:
        points = [EntryPoint(name, value, registry.GROUP) for name, value in entries.items()]
        monkeypatch.setattr(registry, "entry_points", lambda group: points)
        return registry.metrics.__wrapped__()

    return read


def test_installed_metrics_come_after_the_built_in_ones_by_name(installed) -> None:
    found = installed(named_sign="extra_metrics:OTHER", brevity="extra_metrics")
    assert [m.name for m in found] == [*names(), "brevity", "named_sign"]
    assert names() == (
        "acceptability",
        "diversity",
        "sentiment",
        "consistency",
        "novelty",
    )  # this process's registry


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"brevity": "extra_metrics:NOT_A_METRIC"}, "neither a Metric nor a module"),
        ({"brevity": "missing_module"}, "ModuleNotFoundError"),
        ({"novelty": "extra_metrics"}, "names a metric 'brevity': name the entry point so"),
        ({"sentiment": "extra_metrics:DUPLICATE"}, "two metrics are named 'sentiment'"),
    ],
)
def test_a_broken_installed_metric_is_a_configuration_error(installed, entries, message) -> None:
    with pytest.raises(ConfigError, match=message):
        installed(**entries)
