"""Evaluation and promotion on tiny versions: a trained one and an untrained one.

The trained version learned a small corpus of short horoscopes (one sentence each, 36 of
them: a tiny model learns those in seconds) and writes real sentences; the untrained one
strings random pieces together. The offline scorers tell them apart, the gate keeps the
worse one out, --force and rollback move the champion by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import mlflow
import pyarrow as pa
import pytest
from PIL import Image

from horogen.config import Settings
from horogen.deployment import Deployment
from horogen.evaluate import promote
from horogen.evaluate.scoring import build_scorers
from horogen.evaluate.settings import EvaluateSettings, GridSettings, ScorersSettings, offline
from horogen.evaluate.stage import evaluate_version, promote_version, rollback
from horogen.lake import Lake
from horogen.model import registry
from horogen.model.packaging import log_model
from horogen.model.settings import GenerationSettings
from horogen.model.store import ModelStore
from horogen.model.strategy import Strategy
from horogen.model.tracking import ensure_experiment
from horogen.schema import PROCESSED_SCHEMA
from horogen.signs import Sign
from horogen.verdicts import ReaderVerdict
from model_support import save_tiny_model
from train_corpus import OPENINGS, tiny_settings, tiny_train_settings, train_with, write_table

pytestmark = pytest.mark.slow

#: Three strategies, four samples per sign: enough to compare, quick to run.
EVALUATE = EvaluateSettings(
    scorers=offline(ScorersSettings()),
    grid=GridSettings(pairs=[(0.8, 0.7), (0.1, 0.2)], top_p=[0.5], temperature=[0.5]),
    samples=4,
    reference_texts=60,
)
GENERATION = GenerationSettings(
    backend="ctranslate2", batch_size=16, strategy=Strategy(max_new_tokens=48)
)


class FixedVerdicts:
    """A verdict source over fixed readers' verdicts (horogen.verdicts.VerdictSource)."""

    def __init__(self, verdicts: dict[int, ReaderVerdict]) -> None:
        self.verdicts = verdicts

    def per_model(self) -> list[ReaderVerdict]:
        return list(self.verdicts.values())

    def per_version(self, name: str, since: object = None) -> dict[int, ReaderVerdict]:
        return {v: r for v, r in self.verdicts.items() if r.model.startswith(f"{name}/")}


def write_short_corpus(lake: Lake, days: int) -> None:
    """``days`` processed partitions of 12 one-sentence horoscopes, each its own text."""
    for offset in range(days):
        day = dt.date(2026, 11, 1) + dt.timedelta(days=offset)
        rows = []
        for index, sign in enumerate(Sign):
            text = f"{sign.ru}, {OPENINGS[(index + offset) % len(OPENINGS)]}"
            rows.append(
                {
                    "date": day,
                    "sign": sign.value,
                    "category": "general",
                    "source": "horo.mail.ru",
                    "text": text,
                    "url": f"https://horo.mail.ru/{sign.value}/",
                    "collected_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                    "text_hash": hashlib.sha256(text.encode()).hexdigest(),
                }
            )
        write_table(lake, day, pa.Table.from_pylist(rows, schema=PROCESSED_SCHEMA))


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Settings, ModelStore]:
    """A lake whose version 1 is a tiny model trained on 36 short horoscopes."""
    root = tmp_path_factory.mktemp("evaluate")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        lake = Lake(str(root / "lake"))
        write_short_corpus(lake, 3)
        settings = tiny_settings(
            lake.uri,
            train=tiny_train_settings(
                epochs=30,
                batch_size=4,
                max_target_length=48,
                learning_rate=1e-2,
                early_stopping_patience=30,
            ),
            generation=GENERATION,
            evaluate=EVALUATE,
        )
        train_with(settings, progress=False)
        yield settings, Deployment(settings).models


def register_untrained(store: ModelStore, folder: Path) -> int:
    """A new version whose weights were never trained: the challenger."""
    store.connect()
    experiment = ensure_experiment("horogen-training", store.tracking())
    with mlflow.start_run(experiment_id=experiment) as run:
        info = log_model(save_tiny_model(folder), GENERATION.strategy, max_source_length=16)
    version = store.registry.register(info.model_uri, run.info.run_id, {"run_id": run.info.run_id})
    store.registry.set_alias(registry.CHALLENGER, version.version)
    return int(version.version)


def test_evaluation_is_logged_and_stored_on_the_version(trained) -> None:
    settings, store = trained
    assert store.registry.version(registry.CHALLENGER).version == 1
    seen: list[str] = []
    record = evaluate_version(
        None,
        store=store,
        settings=settings.evaluate,
        generation=settings.generation,
        on_strategy=lambda result: seen.append(result.strategy.label()),
    )
    assert seen == ["p0.8-t0.7", "p0.1-t0.2", "p0.5-t0.5"]
    assert record.version == 1 and record.strategies == 3
    # The reference: the corpus's held-back texts, correct Russian every one.
    assert record.reference is not None and record.reference.acceptability == 1.0
    # The trained model writes the sentences it learned.
    assert record.scores.acceptability >= 0.8, record

    client = mlflow.MlflowClient()
    parent = client.get_run(record.run_id)
    assert parent.data.tags["fingerprint"] == record.fingerprint
    assert parent.data.metrics["best_score"] == pytest.approx(record.scores.score)
    assert parent.data.metrics["reference_acceptability"] == record.reference.acceptability
    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{record.run_id}'"
    )
    assert sorted(child.data.params["top_p"] for child in children) == ["0.1", "0.5", "0.8"]
    child = children[0]
    assert {"acceptability", "diversity", "sentiment", "score", "tokens_per_s"} <= set(
        child.data.metrics
    )
    texts = mlflow.artifacts.load_dict(f"runs:/{child.info.run_id}/texts.json")
    assert len(texts["data"]) == 12 * 4
    assert set(texts["columns"]) >= {"sign", "prompt", "text", "acceptability", "sentiment"}
    row = dict(zip(texts["columns"], texts["data"][0], strict=True))
    prompt = rf"гороскоп: {Sign(row['sign']).ru}; тема: общий; день: [а-я]+, \d{{1,2}} [а-я]+"
    assert re.fullmatch(prompt, row["prompt"]), row["prompt"]  # the request's date named
    heatmaps = Path(
        mlflow.artifacts.download_artifacts(run_id=record.run_id, artifact_path="heatmaps.png")
    )
    assert Image.open(heatmaps).size[0] > 1000

    version = store.registry.version(1)
    assert Strategy.from_tag(version.tags["strategy"]) == record.strategy
    assert version.tags[promote.STATUS_TAG] == "passed"
    # Evaluating again reproduces every text and score; the readers' verdicts go beside.
    readers = {
        1: ReaderVerdict(model="horogen/1", version=1, likes=3, dislikes=1, readers=3),
        7: ReaderVerdict(model="horogen/7", version=7, likes=0, dislikes=2, readers=2),
    }
    again = evaluate_version(
        "1",
        store=store,
        settings=settings.evaluate,
        generation=settings.generation,
        verdicts=FixedVerdicts(readers),
    )
    assert again.scores == record.scores
    metrics = client.get_run(again.run_id).data.metrics
    assert (metrics["readers_votes"], metrics["readers_like_share"]) == (4, 0.75)
    assert metrics["readers_distinct"] == 3
    table = mlflow.artifacts.load_dict(f"runs:/{again.run_id}/readers.json")
    assert table["columns"] == ["version", "likes", "dislikes", "readers", "like_share"]
    assert table["data"] == [[7, 0, 2, 2, 0.0], [1, 3, 1, 3, 0.75]]


def test_the_gate_keeps_a_worse_version_out_and_rollback_restores(trained, tmp_path) -> None:
    settings, store = trained
    arguments = {"store": store, "settings": settings.evaluate, "generation": settings.generation}
    first = promote_version(**arguments)  # version 1, the challenger: no champion yet
    assert first.promoted and first.reason == "there is no champion yet"
    assert store.registry.champion().version == 1
    assert store.registry.version(registry.CHALLENGER) is None

    untrained = register_untrained(store, tmp_path / "untrained")
    decision = promote_version(**arguments)  # evaluates the challenger first
    assert (decision.challenger, decision.champion, decision.promoted) == (untrained, 1, False)
    assert decision.challenger_score < decision.champion_score
    assert store.registry.champion().version == 1
    logged = mlflow.MlflowClient().get_run(store.registry.version(untrained).tags[promote.RUN_TAG])
    assert logged.data.tags["gate.promoted"] == "false"
    assert logged.data.metrics["gate_champion_score"] == pytest.approx(decision.champion_score)
    # the paired interval and each guard, in the record and the run
    interval = decision.interval
    assert interval.low <= interval.diff <= interval.high and interval.pairs >= 2
    assert interval.low <= settings.evaluate.margin and "lower end" in decision.reason
    for key, value in (("gate_diff", interval.diff), ("gate_diff_low", interval.low)):
        assert logged.data.metrics[key] == pytest.approx(value)
    assert logged.data.metrics["gate_diff_high"] == pytest.approx(interval.high)
    assert {guard.metric for guard in decision.guards} == set(settings.evaluate.guards)
    for guard in decision.guards:
        expected = "passed" if guard.passed else "failed"
        assert logged.data.tags[f"gate.guard.{guard.metric}"] == expected

    forced = promote_version(untrained, force=True, **arguments)
    assert forced.promoted and store.registry.champion().version == untrained
    back = rollback(store)
    assert back.version == 1 and store.registry.champion().version == 1
    hows = [(change.version, change.how) for change in promote.history(store.registry)]
    assert hows == [(1, "gate"), (untrained, "forced"), (1, "rollback")]
    with pytest.raises(promote.PromotionError, match="no earlier champion"):
        rollback(store)


def test_a_version_that_failed_evaluation_is_never_promoted(trained, tmp_path, monkeypatch) -> None:
    settings, store = trained
    version = register_untrained(store, tmp_path / "broken")
    from horogen.evaluate import run

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the scorer ran out of memory")

    monkeypatch.setattr(run, "score_texts", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        evaluate_version(
            str(version), store=store, settings=settings.evaluate, generation=settings.generation
        )
    assert store.registry.version(version).tags[promote.STATUS_TAG] == "failed"
    decision = promote_version(
        version, store=store, settings=settings.evaluate, generation=settings.generation
    )
    assert not decision.promoted and "has not passed evaluation" in decision.reason
    assert json.loads(decision.model_dump_json())["promoted"] is False
    assert "out of memory" in store.registry.version(version).tags[promote.ERROR_TAG]

    # Evaluated again, and passing: the failure's message goes, the score keeps its digits.
    monkeypatch.undo()
    record = evaluate_version(
        str(version), store=store, settings=settings.evaluate, generation=settings.generation
    )
    tags = store.registry.version(version).tags
    assert tags[promote.STATUS_TAG] == "passed" and promote.ERROR_TAG not in tags
    assert tags[promote.SCORE_TAG] == f"{record.scores.score:.6f}"
    assert build_scorers is not None
