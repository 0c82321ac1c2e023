"""The strategy grid, the weighted score, the promotion gate's rules and the champion's
history, on a registry of bare versions (no models needed)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import mlflow
import numpy as np
import pytest

from horogen.errors import ConfigError, DataError
from horogen.evaluate import gate, promote
from horogen.evaluate.grid import load_grid, strategies
from horogen.evaluate.run import Evaluation, Scores, StrategyResult
from horogen.evaluate.settings import EvaluateSettings, GridSettings, WeightsSettings
from horogen.lake import Lake
from horogen.model import registry
from horogen.model.settings import MlflowSettings
from horogen.model.strategy import Strategy
from horogen.model.tracking import connect


def test_the_default_grid_is_the_original_pairs_then_the_grid_around_them() -> None:
    grid = strategies(GridSettings(), max_new_tokens=120)
    pairs = [(s.top_p, s.temperature) for s in grid]
    assert pairs[:3] == [(0.8, 0.7), (0.5, 0.5), (0.1, 0.2)]
    # 3 × 3 = 9 more, but (0.8, 0.7) is on the grid too and is kept once.
    assert len(grid) == 11 and len(set(pairs)) == 11
    assert {(s.top_k, s.no_repeat_ngram_size, s.max_new_tokens) for s in grid} == {(0, 2, 120)}


def test_a_grid_file(tmp_path: Path) -> None:
    toml = tmp_path / "grid.toml"
    toml.write_text("pairs = []\ntop_p = [0.9]\ntemperature = [0.3, 0.6]\nmax_new_tokens = 50\n")
    grid = strategies(load_grid(toml), max_new_tokens=200)
    assert [(s.top_p, s.temperature, s.max_new_tokens) for s in grid] == [
        (0.9, 0.3, 50),
        (0.9, 0.6, 50),
    ]
    as_json = tmp_path / "grid.json"
    as_json.write_text('{"grid": {"pairs": [[0.7, 0.5]], "top_p": [], "temperature": []}}')
    assert [s.label() for s in strategies(load_grid(as_json), 100)] == ["p0.7-t0.5"]
    for content, message in (
        ("top_p = [1.5]\n", "top_p must be in"),
        ("top_p = [\n", "not a valid grid file"),
        ("colours = 3\n", "invalid grid"),
    ):
        toml.write_text(content)
        with pytest.raises(ConfigError, match=message):
            load_grid(toml)
    with pytest.raises(ConfigError, match="cannot read"):
        load_grid(tmp_path / "missing.toml")


def test_the_score_is_the_weighted_mean() -> None:
    assert WeightsSettings().score(1.0, 0.0, 0.0, 0.0, None) == 0.5
    assert WeightsSettings().score(0.8, 0.4, 1.0, None, 0.2) == pytest.approx(0.4 + 0.1 + 0.25)
    only_diversity = WeightsSettings(acceptability=0, diversity=2, sentiment=0)
    assert only_diversity.score(1.0, 0.3, 1.0, 1.0, 1.0) == pytest.approx(0.3)
    assert only_diversity.score(1.0, None, 1.0, 1.0, 1.0) == 0.0
    with pytest.raises(ValueError, match="at least one weight"):
        WeightsSettings(acceptability=0, diversity=0, sentiment=0)


def version(number: int, **tags: str) -> registry.VersionInfo:
    return registry.VersionInfo(
        name="horogen",
        version=number,
        aliases=[],
        created_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
        run_id=None,
        tags=tags,
    )


PASSED = {promote.STATUS_TAG: "passed"}


def evidence(version_number: int, scores: list[float], **metrics: float) -> gate.VersionEvidence:
    texts = [gate.TextScore(key=f"leo/general/{i}", score=s) for i, s in enumerate(scores)]
    return gate.VersionEvidence(version=version_number, texts=texts, metrics=metrics)


def noisy(mean: float, spread: float, count: int = 96, seed: int = 1) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(np.clip(rng.normal(mean, spread, count), 0, 1))


CHAMPION_TEXTS = noisy(0.70, 0.15, seed=1)


def test_a_noisy_lead_of_0_01_is_not_promoted() -> None:
    # the challenger's texts are the champion's plus 0.01 and noise of 0.1 per text
    rng = np.random.default_rng(2)
    lead = [s + 0.01 + rng.normal(0, 0.1) for s in CHAMPION_TEXTS]
    verdict = gate.judge(evidence(2, lead), evidence(1, CHAMPION_TEXTS), margin=0.0, tolerances={})
    interval = verdict.interval
    assert interval.low < 0 < interval.high and abs(interval.diff - 0.01) < 0.03
    assert not verdict.promoted and "lower end is not above the margin 0.0" in verdict.reason


def test_a_real_lead_is_promoted() -> None:
    rng = np.random.default_rng(3)
    lead = [s + 0.06 + rng.normal(0, 0.03) for s in CHAMPION_TEXTS]
    verdict = gate.judge(evidence(2, lead), evidence(1, CHAMPION_TEXTS), margin=0.01, tolerances={})
    assert verdict.interval.low > 0.01 and verdict.promoted
    assert "every guard holds" in verdict.reason


def test_a_guard_stops_a_lead_that_costs_too_much_of_a_metric() -> None:
    lead = [s + 0.1 for s in CHAMPION_TEXTS]
    challenger = evidence(2, lead, diversity=0.30, sentiment=0.99)
    champion = evidence(1, CHAMPION_TEXTS, diversity=0.50, sentiment=1.0)
    verdict = gate.judge(
        challenger, champion, margin=0.01, tolerances={"diversity": 0.05, "sentiment": 0.05}
    )
    assert not verdict.promoted and "but diversity fell too far" in verdict.reason
    assert [(g.metric, g.passed) for g in verdict.guards] == [
        ("diversity", False),
        ("sentiment", True),
    ]


def test_the_interval_pairs_texts_by_request_and_needs_pairs() -> None:
    mine = [gate.TextScore(key=k, score=1.0) for k in ("a", "b", "c")]
    theirs = [gate.TextScore(key=k, score=0.5) for k in ("c", "b", "x")]
    interval = gate.paired_interval(mine, theirs)
    assert (interval.diff, interval.low, interval.high, interval.pairs) == (0.5, 0.5, 0.5, 2)
    with pytest.raises(ValueError, match="1 paired texts"):
        gate.paired_interval(mine[1:2], theirs)


@pytest.mark.parametrize(
    ("challenger", "champion", "scores", "promoted", "reason"),
    [
        (version(2, **PASSED), None, (0.5, None), True, "no champion yet"),
        (version(2), None, (None, None), False, "has not passed evaluation"),
        (version(2, **{promote.STATUS_TAG: "failed"}), None, (None, None), False, "not passed"),
        (version(2, **PASSED), version(2), (0.5, 0.5), False, "is the champion already"),
        (version(2, **PASSED), version(1), (0.7, None), False, "no comparable score"),
    ],
)
def test_the_gate(challenger, champion, scores, promoted, reason) -> None:
    decision = promote.decide(challenger, champion, *scores, margin=0.01)
    assert decision.promoted is promoted and reason in decision.reason


def test_the_decision_carries_the_interval_and_guards() -> None:
    verdict = gate.judge(
        evidence(2, [s + 0.1 for s in CHAMPION_TEXTS], diversity=0.5),
        evidence(1, CHAMPION_TEXTS, diversity=0.5),
        margin=0.01,
        tolerances={"diversity": 0.05},
    )
    decision = promote.decide(version(2, **PASSED), version(1), 0.8, 0.7, 0.01, verdict)
    assert decision.promoted and decision.interval.diff == pytest.approx(0.1)
    assert decision.guards[0].line().endswith("ok")
    assert json.loads(decision.model_dump_json())["interval"]["pairs"] == 96


def test_a_stored_score_counts_only_for_the_same_evaluation() -> None:
    evaluated = version(3, **PASSED, **{promote.SCORE_TAG: "0.42", promote.FINGERPRINT_TAG: "abc"})
    assert promote.stored_score(evaluated, "abc") == 0.42
    assert promote.stored_score(evaluated, "other settings") is None
    assert promote.stored_score(version(3), "abc") is None


@pytest.fixture
def bare_registry(tmp_path: Path, monkeypatch) -> registry.Registry:
    """Four versions of 'horogen' without models."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    connect(MlflowSettings(), Lake(str(tmp_path / "lake")))
    client = mlflow.MlflowClient()
    client.create_registered_model("horogen")
    for _ in range(4):
        client.create_model_version("horogen", f"file://{tmp_path}/model")
    return registry.Registry(client, "horogen")


def test_rollback_walks_back_through_promotions(bare_registry: registry.Registry) -> None:
    name = bare_registry
    with pytest.raises(promote.PromotionError, match="no champion to roll back from"):
        promote.previous_champion(name)
    for number in (1, 2, 3):
        promote.make_champion(name, number, "gate", "better")
    assert promote.previous_champion(name) == 2
    promote.make_champion(name, 2, "rollback", "rolled back from version 3")
    assert promote.previous_champion(name) == 1  # not back to 3
    promote.make_champion(name, 4, "forced", "by hand")
    assert promote.previous_champion(name) == 2
    name.client.delete_model_version(name.name, "2")
    promote.make_champion(name, 1, "rollback", "rolled back from version 4")
    with pytest.raises(promote.PromotionError, match="no earlier champion"):
        promote.previous_champion(name)
    assert [(c.version, c.previous, c.how) for c in promote.history(name)] == [
        (1, None, "gate"),
        (2, 1, "gate"),
        (3, 2, "gate"),
        (2, 3, "rollback"),
        (4, 2, "forced"),
        (1, 4, "rollback"),
    ]


def test_promotion_takes_the_challenger_alias_off(bare_registry: registry.Registry) -> None:
    bare_registry.set_alias(registry.CHALLENGER, 3)
    promote.make_champion(bare_registry, 3, "gate", "better")
    assert bare_registry.version(registry.CHALLENGER) is None
    assert bare_registry.champion().version == 3


def result(top_p: float, temperature: float, score: float, diversity: float) -> StrategyResult:
    scores = Scores(acceptability=1.0, diversity=diversity, sentiment=1.0, score=score, n=96)
    return StrategyResult(
        strategy=Strategy(top_p=top_p, temperature=temperature),
        scores=scores,
        seconds_per_text=0.01,
        tokens_per_s=100.0,
        texts=[],
    )


def test_a_near_degenerate_strategy_below_the_diversity_floor_is_not_chosen() -> None:
    # the demo's near miss: top_p 0.1 / temperature 0.2 scored higher on acceptability alone
    degenerate, diverse = result(0.1, 0.2, 0.80, 0.175), result(0.8, 0.7, 0.79, 0.55)
    evaluation = Evaluation(
        model="horogen/1",
        version=1,
        fingerprint="x",
        backends={},
        reference=None,
        results=[degenerate, diverse],
        floors=EvaluateSettings().floors,
    )
    assert EvaluateSettings().floors == {"diversity": 0.4}
    assert not evaluation.eligible(degenerate) and evaluation.best is diverse
    assert evaluation.model_copy(update={"floors": {}}).best is degenerate
    with pytest.raises(DataError, match="no strategy of horogen/1 clears the floors"):
        _ = evaluation.model_copy(update={"results": [degenerate]}).best


def test_guards_and_floors_name_registered_metrics() -> None:
    with pytest.raises(ValueError, match=r"evaluate\.floors names no metric"):
        EvaluateSettings(floors={"fluency": 0.5})
    with pytest.raises(ValueError, match=r"evaluate\.guards: values must be"):
        EvaluateSettings(guards={"diversity": -1})
