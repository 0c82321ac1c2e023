"""The cache and single flight, on SQLite and on PostgreSQL: concurrent first requests from
several processes generate a group once; a dead process's claim is taken over and a live
one waited for; votes replace and add up."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import pytest

from flight_support import CountingModel, fill_forever, fill_in_threads
from horogen.schema import Category
from horogen.serve.cache import open_stores
from horogen.serve.flight import Busy, fill
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import Group
from horogen.signs import Sign

POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
DAY = "2026-11-30"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    name = f"horogen_serve_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(dbname="postgres", **POSTGRES)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cache.db'}"
    return request.getfixturevalue("postgres_url")


def stampede(url: str, log: Path, processes: int = 3, threads: int = 4, **kw: bool) -> list[str]:
    open_stores(ServeSettings(cache_url=url)).create()
    start_at = time.time() + 4  # every process is up by then (spawn imports horogen)
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        jobs = [
            pool.apply_async(fill_in_threads, (url, str(log), start_at, threads, DAY), kw)
            for _ in range(processes)
        ]
        return [text for job in jobs for text in job.get(timeout=120)]


def test_concurrent_first_requests_from_three_processes_generate_once(
    url: str, tmp_path: Path
) -> None:
    log = tmp_path / "generations.log"
    texts = stampede(url, log)
    assert len(texts) == 12
    assert len(set(texts)) == 1  # every caller got the one stored group
    assert len(log.read_text().splitlines()) == 1


@pytest.mark.slow
def test_without_claims_the_same_stampede_generates_many_times(tmp_path: Path) -> None:
    """The check above can fail: the same stampede with claims switched off."""
    log = tmp_path / "generations.log"
    texts = stampede(f"sqlite:///{tmp_path / 'cache.db'}", log, processes=2, claim_always=True)
    assert len(log.read_text().splitlines()) > 1
    assert len(set(texts)) == 1  # the first stored text still wins for everyone


def test_a_dead_claim_is_taken_over_and_a_live_one_waited_for(url: str, tmp_path: Path) -> None:
    stores = open_stores(ServeSettings(cache_url=url))
    stores.create()
    cache = stores.texts
    model = CountingModel(tmp_path / "log", seconds=0)
    group = Group(model.label, dt.date.fromisoformat(DAY), Category.LOVE)
    assert cache.claim(group, "alive", lease=60)
    with pytest.raises(Busy):
        fill(cache, model, group, owner="me", lease=60, wait=0.3)  # type: ignore[arg-type]
    assert not (tmp_path / "log").exists()

    other = Group(model.label, dt.date.fromisoformat(DAY), Category.HEALTH)
    assert cache.claim(other, "dead", lease=0.05)
    time.sleep(0.1)
    texts, made = fill(cache, model, other, owner="me", lease=60, wait=5)  # type: ignore[arg-type]
    assert made == 12 and len(texts) == 12
    # Released: the next caller finds the texts without waiting or generating.
    assert fill(cache, model, other, owner="you", lease=60, wait=0.1)[1] == 0  # type: ignore[arg-type]
    stores.close()


def test_a_killed_claimants_group_is_taken_over_within_seconds(url: str, tmp_path: Path) -> None:
    """The probe: after ``kill -9`` of a process generating a group, a rerun used to wait
    for its whole lease (the 120 s of serve.wait_seconds); the heartbeat's short lease lets
    it take over within seconds."""
    open_stores(ServeSettings(cache_url=url)).create()
    log = tmp_path / "doomed.log"
    claimant = multiprocessing.get_context("spawn").Process(
        target=fill_forever, args=(url, str(log), DAY)
    )
    claimant.start()
    deadline = time.monotonic() + 60
    while not log.exists():  # it holds the claim once it generates
        assert time.monotonic() < deadline, "the claimant never started generating"
        time.sleep(0.1)
    claimant.kill()
    claimant.join()
    stores = open_stores(ServeSettings(cache_url=url))
    group = Group("fake/1", dt.date.fromisoformat(DAY), Category.BUSINESS)
    started = time.monotonic()
    model = CountingModel(tmp_path / "rerun.log", seconds=0)
    texts, made = fill(stores.texts, model, group, owner="rerun", lease=120, wait=120)  # type: ignore[arg-type]
    assert made == 12 and len(texts) == 12
    assert time.monotonic() - started < 10
    stores.close()


def test_a_long_generation_keeps_its_claim_by_heartbeat(url: str, tmp_path: Path) -> None:
    stores = open_stores(ServeSettings(cache_url=url))
    stores.create()
    slow = CountingModel(tmp_path / "slow.log", seconds=8)  # longer than the lease
    group = Group(slow.label, dt.date.fromisoformat(DAY), Category.COOK)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(fill, stores.texts, slow, group, owner="slow", lease=120, wait=30)
        time.sleep(6.5)  # past CLAIM_LEASE: only the heartbeat keeps the claim
        assert not stores.texts.claim(group, "thief", lease=5)
        assert first.result()[1] == 12
    assert len((tmp_path / "slow.log").read_text().splitlines()) == 1
    stores.close()


def test_votes_replace_and_add_up_per_model(url: str, tmp_path: Path) -> None:
    stores = open_stores(ServeSettings(cache_url=url))
    stores.create()
    cache, votes = stores.texts, stores.verdicts
    model = CountingModel(tmp_path / "log", seconds=0)
    day = dt.date.fromisoformat(DAY)
    cache.store(model.generate(day, Category.GENERAL))
    leo, virgo = (
        cache.group(Group(model.label, day, Category.GENERAL))[s] for s in (Sign.LEO, Sign.VIRGO)
    )
    assert votes.record(leo, "a", "like") == (1, 0)
    assert votes.record(leo, "b", "like") == (2, 0)
    assert votes.record(leo, "a", "dislike") == (1, 1)  # replaced, not added
    assert votes.record(virgo, "a", "like") == (1, 0)  # another text: its own count
    [verdict] = votes.per_model()
    assert (verdict.model, verdict.version, verdict.likes, verdict.dislikes) == ("fake/1", 1, 2, 1)
    # A stored text is never replaced by a later one for the same key.
    cache.store([leo.model_copy(update={"text": "другой"})])
    assert cache.group(Group(model.label, day, Category.GENERAL))[Sign.LEO].text == leo.text
    stores.close()


def test_votes_since_a_moment_leave_out_those_cast_before_it(url: str, tmp_path: Path) -> None:
    """The canary window: only verdicts cast (or last replaced) at or after `since`."""
    stores = open_stores(ServeSettings(cache_url=url))
    stores.create()
    cache, votes = stores.texts, stores.verdicts
    day = dt.date.fromisoformat(DAY)
    cache.store(CountingModel(tmp_path / "log", seconds=0).generate(day, Category.GENERAL))
    leo = cache.group(Group("fake/1", day, Category.GENERAL))[Sign.LEO]
    for reader in "abc":
        votes.record(leo, reader, "dislike")
    time.sleep(0.05)
    since = dt.datetime.now(dt.timezone(dt.timedelta(hours=3)))  # any zone: one moment
    time.sleep(0.05)
    votes.record(leo, "d", "like")
    votes.record(leo, "a", "like")  # replaced inside the window: counted, as a like
    assert votes.per_version("fake")[1].votes == 4
    window = votes.per_version("fake", since)[1]
    assert (window.likes, window.dislikes, window.readers) == (2, 0, 2)
    assert votes.per_version("fake", dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)) == {}
    stores.close()


def test_candidates_are_kept_with_their_text_and_never_replaced(url: str, tmp_path: Path) -> None:
    from horogen.serve.judge import Candidate

    stores = open_stores(ServeSettings(cache_url=url))
    stores.create()
    cache = stores.texts
    day = dt.date.fromisoformat(DAY)
    texts = CountingModel(tmp_path / "log", seconds=0).generate(day, Category.GENERAL)
    group = Group("fake/1", day, Category.GENERAL)
    drawn = [
        Candidate(
            model="fake/1", version=1, date=day, category=Category.GENERAL, sign=text.sign,
            sample=sample, text=text.text if sample == 1 else f"other {sample}",
            score=0.5 + sample / 10, values={"acceptability": 1.0, "diversity": None},
            failed=[] if sample else ["acceptability"], chosen=sample == 1,
        )
        for text in texts
        for sample in range(3)
    ]  # fmt: skip
    cache.store(texts, drawn)
    assert cache.candidates(group) == sorted(drawn, key=lambda c: (c.sign.value, c.sample))
    assert cache.candidates(group, Sign.LEO) == [c for c in drawn if c.sign is Sign.LEO]
    cache.store([], [drawn[0].model_copy(update={"score": 0.0})])  # the first one stays
    assert cache.candidates(group, drawn[0].sign)[0].score == drawn[0].score
    assert cache.candidates(Group("fake/2", day, Category.GENERAL)) == []
    stores.close()
