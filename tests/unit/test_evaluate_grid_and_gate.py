"""The strategy grid, the weighted score, the promotion gate's rules and the champion's
history, on a registry of bare versions (no models needed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import mlflow
import pytest

from horogen.errors import ConfigError
from horogen.evaluate import promote
from horogen.evaluate.grid import load_grid, strategies
from horogen.evaluate.settings import GridSettings, WeightsSettings
from horogen.lake import Lake
from horogen.model import registry
from horogen.model.settings import MlflowSettings
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
    assert WeightsSettings().score(1.0, 0.0, 0.0, 0.0) == 0.5
    assert WeightsSettings().score(0.8, 0.4, 1.0, None) == pytest.approx(0.4 + 0.1 + 0.25)
    only_diversity = WeightsSettings(acceptability=0, diversity=2, sentiment=0)
    assert only_diversity.score(1.0, 0.3, 1.0, 1.0) == pytest.approx(0.3)
    assert only_diversity.score(1.0, None, 1.0, 1.0) == 0.0
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


@pytest.mark.parametrize(
    ("challenger", "champion", "scores", "promoted", "reason"),
    [
        (version(2, **PASSED), None, (0.5, None), True, "no champion yet"),
        (version(2), None, (None, None), False, "has not passed evaluation"),
        (version(2, **{promote.STATUS_TAG: "failed"}), None, (None, None), False, "not passed"),
        (version(2, **PASSED), version(1), (0.7, 0.6), True, "beats the champion's 0.6000"),
        (version(2, **PASSED), version(1), (0.605, 0.6), False, "does not beat"),
        (version(2, **PASSED), version(1), (0.5, 0.6), False, "does not beat"),
        (version(2, **PASSED), version(2), (0.5, 0.5), False, "is the champion already"),
        (version(2, **PASSED), version(1), (0.7, None), False, "no comparable score"),
    ],
)
def test_the_gate(challenger, champion, scores, promoted, reason) -> None:
    decision = promote.decide(challenger, champion, *scores, margin=0.01)
    assert decision.promoted is promoted and reason in decision.reason


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
