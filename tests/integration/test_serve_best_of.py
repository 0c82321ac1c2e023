"""Best of k over a tiny champion, wired as a deployment wires it: precompute and the API's
cold path draw k candidates per text, keep them with their scores beside the served text,
draw more up to the cap when none passes, and count what passed nothing in ``/metrics``;
``horogen candidates`` shows the choice."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cli_support import horogen, one_error_line
from horogen import pipeline
from horogen.config import Settings
from horogen.deployment import Deployment
from horogen.evaluate.metrics import names
from horogen.evaluate.settings import EvaluateSettings, ScorersSettings, offline
from horogen.model.store import ModelStore
from horogen.schema import Category
from horogen.serve.app import build_app
from horogen.serve.cache import open_stores
from horogen.serve.judge import Candidate
from horogen.serve.stores import Group
from horogen.signs import Sign
from serve_support import GENERATION, horogen_env, serve_settings, serving_store

DAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[ModelStore]:
    root = tmp_path_factory.mktemp("best-of")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield serving_store(root, versions=1)


def deployment(store: ModelStore, cache: str, **serve: object) -> Deployment:
    """The store's lake with the offline scorers, its own serving database ``cache``."""
    settings = Settings(
        lake=store.lake.uri,
        generation=GENERATION,
        evaluate=EvaluateSettings(scorers=offline(ScorersSettings())),
        serve=serve_settings(cache_url=cache, categories=[Category.LOVE], **serve),
    )
    return Deployment(settings)


def kept(deployment: Deployment, day: dt.date, category: Category) -> list[Candidate]:
    stores = open_stores(deployment.settings.serve)
    try:
        return stores.texts.candidates(Group("horogen/1", day, category))
    finally:
        stores.close()


def served(deployment: Deployment, day: dt.date, category: Category) -> dict[Sign, str]:
    stores = open_stores(deployment.settings.serve)
    try:
        return {s: t.text for s, t in stores.texts.group(Group("horogen/1", day, category)).items()}
    finally:
        stores.close()


def assert_best_of(
    candidates: list[Candidate], texts: dict[Sign, str], k: int, cap: int
) -> list[Sign]:
    """Each sign drew k, and k more while none passed, up to ``cap``; its served text is its
    best passing candidate (else its best); the signs that passed nothing."""
    unpassed = []
    for sign in Sign:
        mine = [c for c in candidates if c.sign is sign]
        samples = [c.sample for c in mine]
        first_pass = next((c.sample for c in mine if c.passed), None)
        drawn = cap if first_pass is None else min(cap, (first_pass // k + 1) * k)
        assert samples == list(range(drawn)), (sign, samples)
        (chosen,) = [c for c in mine if c.chosen]
        assert chosen.text == texts[sign]
        pool = [c for c in mine if c.passed] or mine
        assert chosen.score == max(c.score for c in pool)
        assert set(chosen.values) == set(names())  # every metric, scored as evaluation does
        if not chosen.passed:
            unpassed.append(sign)
    return unpassed


def test_precompute_keeps_k_candidates_per_text_and_serves_the_best(store, tmp_path) -> None:
    # No checks: k candidates each, the highest score served.
    easy = deployment(store, f"sqlite:///{tmp_path / 'easy.db'}", best_of=3, checks={})
    record = pipeline.precompute(DAY, deployment=easy)
    assert (record.generated, record.candidates, record.unpassed) == (12, 36, 0)
    candidates = kept(easy, DAY, Category.LOVE)
    assert_best_of(candidates, served(easy, DAY, Category.LOVE), k=3, cap=12)
    assert {c.sample for c in candidates} == {0, 1, 2}
    again = pipeline.precompute(DAY, deployment=easy)  # idempotent: nothing drawn again
    assert (again.generated, again.cached, again.candidates) == (0, 12, 36)

    # The tiny untrained model writes no dictionary Russian: acceptability fails, so each
    # sign draws up to the cap and is served with its failure recorded.
    strict = deployment(
        store, f"sqlite:///{tmp_path / 'strict.db'}", best_of=2, best_of_cap=5,
        checks={"acceptability": 0.5, "sentiment": 0.5},
    )  # fmt: skip
    record = pipeline.precompute(DAY, deployment=strict)
    candidates = kept(strict, DAY, Category.LOVE)
    unpassed = assert_best_of(candidates, served(strict, DAY, Category.LOVE), k=2, cap=5)
    assert record.unpassed == len(unpassed) and record.candidates == len(candidates)
    assert unpassed, "the tiny model's texts were expected to fail the orthography check"
    for candidate in candidates:
        assert ("acceptability" in candidate.failed) == (candidate.values["acceptability"] < 0.5)


def test_horogen_candidates_shows_the_audit(store, tmp_path) -> None:
    cache = f"sqlite:///{tmp_path / 'audit.db'}"
    pipeline.precompute(DAY, deployment=deployment(store, cache, best_of=2, checks={}))
    env = horogen_env(HOROGEN_SERVE__CACHE_URL=cache, HOROGEN_SERVE__CHECKS="{}")
    args = ("--date", DAY.isoformat(), "--category", "love", "--lake", store.lake.uri)
    done = horogen("candidates", "Лев", *args, "--json", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [Candidate.model_validate_json(line) for line in done.stdout.splitlines()]
    assert [(r.sign, r.sample) for r in rows] == [(Sign.LEO, 0), (Sign.LEO, 1)]
    assert sum(r.chosen for r in rows) == 1
    table = horogen("candidates", "leo", *args, env=env | {"COLUMNS": "200"})
    assert table.returncode == 0 and "acceptability" in table.stdout and "✓" in table.stdout
    nothing = horogen("candidates", "leo", "--date", "2026-12-02", *args[2:], env=env)
    assert "no candidates of horogen/1 for leo, love, 2026-12-02" in nothing.stdout
    # Checks that name no metric: precompute refuses before it loads a model.
    bad = horogen(
        "precompute", *args[:2], "--lake", store.lake.uri,
        env=env | {"HOROGEN_SERVE__CHECKS": '{"nope": 1}'},
    )  # fmt: skip
    assert bad.returncode == 3
    assert "serve.checks names 'nope', which is no registered metric" in one_error_line(bad)


def metric(exposition: str, name: str) -> float:
    for line in exposition.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_the_cold_path_draws_k_and_counts_what_passed_nothing(store, tmp_path) -> None:
    wired = deployment(
        store, f"sqlite:///{tmp_path / 'cold.db'}", best_of=2, best_of_cap=4,
        checks={"acceptability": 0.5},
    )  # fmt: skip
    serve = wired.settings.serve
    app = build_app(
        serve, lake=wired.lake, models=wired.models, generation=GENERATION, judge=wired.judge
    )
    day = serve.today()
    with TestClient(app) as api:
        deadline = time.monotonic() + 60
        while api.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the model never loaded"
            time.sleep(0.1)
        before = metric(api.get("/metrics").text, "horogen_best_of_unpassed_total")
        answer = api.get(f"/v1/horoscopes?date={day}&category=business")
        assert answer.status_code == 200
        texts = {Sign(h["sign"]): h["text"] for h in answer.json()["horoscopes"]}
        candidates = kept(wired, day, Category.BUSINESS)
        unpassed = assert_best_of(candidates, texts, k=2, cap=4)
        counted = metric(api.get("/metrics").text, "horogen_best_of_unpassed_total")
        assert counted - before == len(unpassed) > 0
        # Cached now: the same texts, nothing drawn or counted again.
        assert api.get(f"/v1/horoscopes?date={day}&category=business").json() == answer.json()
        assert metric(api.get("/metrics").text, "horogen_best_of_unpassed_total") == counted
    assert json.loads(answer.text)["model"] == "horogen/1"


def test_horogen_generate_best_of_prints_what_precompute_serves(store, tmp_path) -> None:
    """`horogen generate --best-of K` chooses as serving does: the same candidates drawn
    (more up to the cap while none passes), the same text for each sign, its failures."""
    cache = f"sqlite:///{tmp_path / 'generate.db'}"
    env = horogen_env(
        HOROGEN_SERVE__CACHE_URL=cache,
        HOROGEN_SERVE__BEST_OF_CAP="4",
        HOROGEN_SERVE__CHECKS='{"acceptability": 0.5}',
        HOROGEN_GENERATION__BACKEND=GENERATION.backend,
    )
    scorers = ScorersSettings.model_validate(
        {
            name: {"backend": env[f"HOROGEN_EVALUATE__SCORERS__{name.upper()}__BACKEND"]}
            for name in ("acceptability", "diversity", "sentiment")
        }
    )
    serving = Deployment(
        deployment(store, cache, best_of=2, best_of_cap=4, checks={"acceptability": 0.5})
        .settings.model_copy(update={"evaluate": EvaluateSettings(scorers=scorers)})
    )  # fmt: skip
    pipeline.precompute(DAY, deployment=serving)
    chosen = {c.sign: c for c in kept(serving, DAY, Category.LOVE) if c.chosen}
    args = ("--date", DAY.isoformat(), "--category", "love", "--lake", store.lake.uri)
    done = horogen("generate", "leo", "Дева", "aries", *args, "--best-of", "2", "--json", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["sign"] for row in rows] == ["leo", "virgo", "aries"]
    for row in rows:
        served_one = chosen[Sign(row["sign"])]
        assert (row["text"], row["sample"], row["failed"]) == (
            served_one.text, served_one.sample, served_one.failed,
        )  # fmt: skip
    assert any(row["failed"] for row in rows)  # the tiny model's Russian: drawn to the cap
    both = horogen("generate", "leo", *args, "--best-of", "2", "--samples", "2", env=env)
    assert both.returncode == 2 and "give --samples or --best-of, not both" in both.stderr
