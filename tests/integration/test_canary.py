"""The canary, driven by simulated readers: a share of readers (sticky) reads the
challenger; their verdicts decide with the readers' rule whether it may take over. A
liked challenger passes, a disliked one is refused (and, promoted anyway, rolled back by
the check), and a stuffing client cannot move the result; verdicts from before the canary
window do not count."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from horogen.cli import app
from horogen.evaluate import promote
from horogen.evaluate.readers import ReadersSettings
from horogen.evaluate.settings import EvaluateSettings
from horogen.evaluate.stage import check_champion, readers_check
from horogen.model import registry
from horogen.model.store import ModelStore
from horogen.serve.app import build_app
from horogen.serve.cache import votes_table
from horogen.serve.feedback import ServedVerdicts
from serve_support import GENERATION, serve_settings, serving_store

READERS = 160
RULE = EvaluateSettings(readers=ReadersSettings(min_verdicts=40))


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[ModelStore]:
    root = tmp_path_factory.mktemp("canary")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        store = serving_store(root, versions=2)
        store.registry.set_alias(registry.CHALLENGER, 2)
        yield store


def run_canary(
    store: ModelStore, cache: Path, like: dict[int, float], stuffer: str | None = None
) -> tuple[dict[int, int], list[int]]:
    """``READERS`` readers, each from their own address, read today's leo and like it with
    the probability ``like`` gives for the version they were served; a ``stuffer`` (a
    verdict) sends 100 more from one address under fresh cookies. How many readers each
    version served, and the stuffer's answers."""
    settings = serve_settings(cache_url=f"sqlite:///{cache}", canary_share=0.5)
    app = build_app(settings, lake=store.lake, models=store, generation=GENERATION)
    chance = random.Random(16)
    served = {1: 0, 2: 0}
    stuffed: list[int] = []
    with TestClient(app, raise_server_exceptions=False) as main:
        service = app.state.service
        deadline = time.monotonic() + 240
        while not (service.slot.current and service.challenger.current):
            assert time.monotonic() < deadline, (service.slot.failure, service.challenger.failure)
            time.sleep(0.1)
        for number in range(READERS):
            address = (f"10.0.{number // 200}.{number % 200 + 1}", 40000)
            reader = TestClient(app, client=address)
            text = reader.get("/v1/horoscopes/leo").json()
            assert reader.get("/v1/horoscopes/leo").json()["version"] == text["version"]  # sticky
            served[text["version"]] += 1
            verdict = "like" if chance.random() < like[text["version"]] else "dislike"
            body = {"verdict": verdict, "ticket": text["ticket"], "model": text["model"]}
            answer = reader.post("/v1/horoscopes/leo/feedback", json=body)
            assert answer.status_code == 200, answer.text
            assert answer.json()["version"] == text["version"]
        if stuffer is not None:
            for _ in range(100):
                main.cookies.clear()  # a fresh reader each time, from one address
                text = main.get("/v1/horoscopes/leo").json()
                body = {"verdict": stuffer, "ticket": text["ticket"], "model": text["model"]}
                stuffed.append(main.post("/v1/horoscopes/leo/feedback", json=body).status_code)
            # A ticket is good only for the reader it was served to.
            text = main.get("/v1/horoscopes/leo").json()
            main.cookies.clear()
            body = {"verdict": stuffer, "ticket": text["ticket"], "model": text["model"]}
            assert main.post("/v1/horoscopes/leo/feedback", json=body).status_code == 403
    return served, stuffed


def add_earlier_dislikes(store: ModelStore, cache: Path, count: int) -> None:
    """``count`` dislikes of version 1's leo, by as many readers, over the 30 days before
    version 2 was registered."""
    opened = store.registry.version(2).created_at
    earlier = [
        {
            "model": "horogen/1", "day": opened.date() - dt.timedelta(days=1 + n % 30),
            "category": "general", "sign": "leo", "reader": f"earlier-{n}", "version": 1,
            "verdict": "dislike", "voted_at": opened - dt.timedelta(days=1 + n % 30),
        }
        for n in range(count)
    ]  # fmt: skip
    engine = sqlalchemy.create_engine(f"sqlite:///{cache}")
    with engine.begin() as connection:
        connection.execute(sqlalchemy.insert(votes_table), earlier)
    engine.dispose()


def gate_passed() -> promote.Decision:
    """What the metrics alone would decide: promote version 2."""
    return promote.Decision(
        challenger=2,
        champion=1,
        challenger_score=0.6,
        champion_score=0.5,
        margin=0.01,
        promoted=True,
        reason="score 0.6000 beats the champion's 0.5000 by more than 0.01",
    )


def test_a_liked_challenger_passes_the_readers_rule(store: ModelStore, tmp_path: Path) -> None:
    cache = tmp_path / "liked.db"
    served, _ = run_canary(store, cache, like={1: 0.45, 2: 0.85})
    assert min(served.values()) > READERS * 0.3  # about half each, sticky per reader
    verdicts = ServedVerdicts(serve_settings(cache_url=f"sqlite:///{cache}"), store.lake)
    decision = readers_check(gate_passed(), store, verdicts, RULE)
    assert decision.promoted, decision.reason
    assert "do not like version 2 less" in decision.reason


def test_a_disliked_challenger_is_refused_and_stuffing_cannot_save_it(
    store: ModelStore, tmp_path: Path
) -> None:
    cache = tmp_path / "disliked.db"
    _, stuffed = run_canary(store, cache, like={1: 0.75, 2: 0.25}, stuffer="like")
    assert stuffed.count(200) <= 10 and stuffed.count(429) >= 90  # per address, per minute
    verdicts = ServedVerdicts(serve_settings(cache_url=f"sqlite:///{cache}"), store.lake)
    counts = verdicts.per_version(store.name)
    assert counts[1].readers + counts[2].readers <= READERS + 10
    decision = readers_check(gate_passed(), store, verdicts, RULE)
    assert not decision.promoted
    assert "readers like version 2 less at 95% confidence" in decision.reason

    # Only the canary window counts: 600 dislikes of the champion from before version 2 was
    # registered (its earlier days, other readers) would make version 2 look the better.
    add_earlier_dislikes(store, cache, 600)
    everything = verdicts.per_version(store.name)
    assert everything[1].like_share < everything[2].like_share
    assert not readers_check(gate_passed(), store, verdicts, RULE).promoted

    # Promoted anyway (by hand): the check reports it, and rolls it back when asked.
    promote.make_champion(store.registry, 1, "gate", "the first champion")
    promote.make_champion(store.registry, 2, "forced", "promoted by hand")
    try:
        reported = check_champion(store, RULE, verdicts)
        assert reported.rejected and reported.rolled_back_to is None
        assert store.registry.champion().version == 2
        env = {
            "HOROGEN_SERVE__CACHE_URL": f"sqlite:///{cache}",
            "HOROGEN_EVALUATE__READERS__MIN_VERDICTS": "40",
        }
        lake = ["--lake", str(store.lake.root)]
        checked = CliRunner().invoke(app, ["promote", "--check", *lake], env=env)
        assert checked.exit_code == 1, checked.output
        assert "champion 2: rejected by readers" in " ".join(checked.stdout.split())
        assert store.registry.champion().version == 2  # reported, not rolled back
        rolled = CliRunner().invoke(
            app, ["promote", "--check", "--rollback-on-reject", *lake], env=env
        )
        assert rolled.exit_code == 0, rolled.output
        assert "champion is version 1" in rolled.stdout
        assert store.registry.champion().version == 1
    finally:
        store.registry.set_alias(registry.CHAMPION, 1)
        store.registry.set_alias(registry.CHALLENGER, 2)
