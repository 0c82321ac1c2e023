"""A metric added from outside horogen, as another package adds one: one module plus an entry
point in the ``horogen.metrics`` group (a ``*.dist-info`` folder on PYTHONPATH, as pip
installs one). The real executable, in a subprocess, sees it in ``horogen score --json``,
in the evaluation report (the per-text table, the strategies table, the version's tags)
and in the gate (its weight is part of the score the gate compares).

The module declares two metrics: ``brevity`` (by the module: its ``METRIC``), computed from
the text alone, and ``named_sign`` (by the object), which needs each text's request.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest

from horogen.evaluate import promote
from horogen.model import registry
from horogen.model.store import ModelStore
from horogen.signs import Sign
from model_support import register_versions, save_tiny_model

pytestmark = pytest.mark.slow

SOURCES = Path(__file__).parents[2] / "src"
BUILT_IN = ("acceptability", "diversity", "sentiment", "consistency", "novelty")

PLUGIN = '''
"""Two throwaway metrics: how short a text is, and whether it names its request's sign."""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from horogen.evaluate.metrics import Metric
from horogen.evaluate.scorers.base import Scorer


class BrevitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["words"] = "words"
    scale: float = 10.0


class Brevity(Scorer):
    def __init__(self, scale):
        self.scale = scale

    def score(self, texts, context=None):
        return [1 / (1 + len(text.split()) / self.scale) for text in texts]


METRIC = Metric(
    name="brevity",
    meaning="1 / (1 + words / scale), averaged",
    settings=BrevitySettings,
    backends={"words": lambda settings, device: Brevity(settings.scale)},
    offline_backend="words",
    weight=1.0,
)


class NamedSignSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["substring"] = "substring"


class NamedSign(Scorer):
    def score(self, texts, context=None):
        requests = context.requests
        return [float(r.sign.ru.lower() in t.lower()) for t, r in zip(texts, requests, strict=True)]


NAMED_SIGN = Metric(
    name="named_sign",
    meaning="share of texts that name their request's sign",
    settings=NamedSignSettings,
    backends={"substring": lambda settings, device: NamedSign()},
    offline_backend="substring",
    weight=0.0,
    needs=frozenset({"requests"}),
)
'''


def brevity(text: str, scale: float = 10.0) -> float:
    return 1 / (1 + len(text.split()) / scale)


@pytest.fixture(scope="module")
def plugin(tmp_path_factory) -> Path:
    """A folder holding the module and the distribution metadata that declares it."""
    folder = tmp_path_factory.mktemp("plugin")
    (folder / "throwaway_metrics.py").write_text(PLUGIN)
    info = folder / "throwaway_metrics-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: throwaway-metrics\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(
            """
            [horogen.metrics]
            brevity = throwaway_metrics
            named_sign = throwaway_metrics:NAMED_SIGN
            """
        )
    )
    return folder


def horogen(*args: str, plugin: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HOROGEN_", "MLFLOW_"))}
    path = os.pathsep.join([str(plugin), str(SOURCES)])
    done = subprocess.run(
        [sys.executable, "-m", "horogen", *args],
        capture_output=True,
        text=True,
        env={**clean, "PYTHONPATH": path, "COLUMNS": "200", **env},
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_horogen_score_shows_the_installed_metrics(plugin, tmp_path) -> None:
    texts = ["Сегодня звёзды благоволят вам.", "Не бойтесь перемен, они к лучшему, Лев!"]
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(texts) + "\n")
    scale = {"HOROGEN_EVALUATE__SCORERS__BREVITY__SCALE": "5"}
    summary = json.loads(
        horogen("score", str(path), "--offline", "--json", plugin=plugin, env=scale).stdout
    )
    assert list(summary) == [*BUILT_IN, "brevity", "named_sign", "novelty_copies", "n"]
    # Its settings section came from the environment, as a built-in metric's does.
    assert summary["brevity"] == pytest.approx(sum(brevity(t, 5.0) for t in texts) / 2)
    # No requests in a file of texts: named_sign is undefined, and its key stays.
    assert summary["named_sign"] is None and summary["n"] == 2
    table = horogen("score", str(path), "--offline", plugin=plugin, env={}).stdout
    assert "brevity" in table and "1 / (1 + words / scale), averaged" in table
    assert "n/a (needs requests)" in table


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[ModelStore]:
    """Two versions of one tiny model: version 1 the champion, version 2 the challenger."""
    root = tmp_path_factory.mktemp("plugin-lake")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        store = register_versions(root, 2, save_tiny_model(root / "tiny"))
        store.registry.set_alias(registry.CHAMPION, 1)
        store.registry.set_alias(registry.CHALLENGER, 2)
        yield store


#: One strategy, two texts per sign, short texts, the offline scorers.
EVALUATION = {
    "HOROGEN_EVALUATE__GRID__PAIRS": "[[0.9, 0.9]]",
    "HOROGEN_EVALUATE__GRID__TOP_P": "[]",
    "HOROGEN_EVALUATE__GRID__TEMPERATURE": "[]",
    "HOROGEN_EVALUATE__GRID__MAX_NEW_TOKENS": "24",
    "HOROGEN_EVALUATE__SAMPLES": "2",
    "HOROGEN_GENERATION__BACKEND": "transformers",
    "HOROGEN_EVALUATE__SCORERS__ACCEPTABILITY__BACKEND": "orthography",
    "HOROGEN_EVALUATE__SCORERS__DIVERSITY__BACKEND": "char-tfidf",
    "HOROGEN_EVALUATE__SCORERS__SENTIMENT__BACKEND": "lexicon",
}


def gate(store: ModelStore, plugin: Path, **weights: str) -> dict[str, str]:
    """``horogen promote`` with these weights; the challenger's tags afterwards, with the
    score the gate compared (``gate_challenger_score``)."""
    env = EVALUATION | {f"HOROGEN_EVALUATE__WEIGHTS__{k.upper()}": v for k, v in weights.items()}
    done = horogen("promote", "--lake", store.lake.uri, plugin=plugin, env=env)
    assert "version 2 not promoted" in done.stdout  # the same model: no better than itself
    store.connect()
    tags = dict(store.registry.version(2).tags)
    run = mlflow.MlflowClient().get_run(tags[promote.RUN_TAG])
    return tags | {"gate_challenger_score": str(run.data.metrics["gate_challenger_score"])}


def test_the_report_and_the_gate_include_the_installed_metrics(plugin, store) -> None:
    # Only brevity counts: the score the gate compares is the challenger's brevity.
    only = gate(store, plugin, acceptability="0", diversity="0", sentiment="0", brevity="1")
    assert float(only["gate_challenger_score"]) == pytest.approx(float(only[promote.SCORE_TAG]))
    assert float(only[promote.SCORE_TAG]) == pytest.approx(
        float(only["evaluation.brevity"]), abs=1e-4
    )

    # The report of that evaluation: a column per metric in both tables, values from the
    # installed scorers, named_sign scored against each text's request.
    parent = mlflow.MlflowClient().get_run(only[promote.RUN_TAG])
    strategies = mlflow.artifacts.load_dict(f"runs:/{parent.info.run_id}/strategies.json")
    shown = [*BUILT_IN, "brevity", "named_sign", "score"]
    assert strategies["columns"] == ["strategy", "top_p", "temperature", *shown]
    assert parent.data.tags["scorer.brevity"] == "words"
    (child,) = mlflow.MlflowClient().search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert {"brevity", "named_sign", "score"} <= set(child.data.metrics)
    table = mlflow.artifacts.load_dict(f"runs:/{child.info.run_id}/texts.json")
    rows = [dict(zip(table["columns"], row, strict=True)) for row in table["data"]]
    assert len(rows) == 12 * 2
    for row in rows:
        assert row["brevity"] == pytest.approx(brevity(row["text"]))
        named = Sign(row["sign"]).ru.lower() in row["text"].lower()
        assert row["named_sign"] == float(named)
    mean = sum(row["brevity"] for row in rows) / len(rows)
    assert float(only["evaluation.brevity"]) == pytest.approx(mean, abs=1e-4)
    assert "evaluation.named_sign" in only

    # Brevity weighing nothing: the gate compares the built-in metrics' weighted mean, and
    # the version was evaluated again (the weights are part of the fingerprint).
    without = gate(store, plugin, brevity="0")
    assert without[promote.FINGERPRINT_TAG] != only[promote.FINGERPRINT_TAG]
    weighted = ("acceptability", "diversity", "sentiment")  # novelty weighs 0
    values = {name: float(without[f"evaluation.{name}"]) for name in weighted}
    expected = (
        0.5 * values["acceptability"] + 0.25 * values["diversity"] + 0.25 * values["sentiment"]
    )
    assert float(without["gate_challenger_score"]) == pytest.approx(expected, abs=1e-3)
    assert float(without["gate_challenger_score"]) != pytest.approx(
        float(only["gate_challenger_score"]), abs=1e-3
    )
