"""Light helpers for the single-flight tests: spawned processes import this module, so it
stays clear of the model stack (mlflow, torch)."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from horogen.model.strategy import Strategy
from horogen.schema import Category
from horogen.serve.schemas import Horoscope, horoscope
from horogen.signs import Sign

STRATEGY = Strategy(max_new_tokens=16)


class CountingModel:
    """Stands in for a ServingModel: slow, and leaves a line in ``log`` per generation."""

    def __init__(self, log: Path, seconds: float = 0.5) -> None:
        self.label = "fake/1"
        self.version = 1
        self.log = log
        self.seconds = seconds

    def generate(self, day: dt.date, category: Category) -> list[Horoscope]:
        with self.log.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        time.sleep(self.seconds)
        return [
            horoscope(
                s,
                category,
                day,
                f"{s.ru}: {os.getpid()}",
                model=self.label,
                version=1,
                strategy=STRATEGY,
            )
            for s in Sign
        ]


def fill_in_threads(
    url: str, log: str, start_at: float, threads: int, day: str, claim_always: bool = False
) -> list[str]:
    """One process's share of a stampede: ``threads`` threads fill the same group from
    ``start_at`` (wall clock); the texts each got. ``claim_always``: as if there were no
    claims (every caller generates)."""
    from concurrent.futures import ThreadPoolExecutor

    from horogen.serve.cache import open_stores
    from horogen.serve.flight import fill, new_owner
    from horogen.serve.settings import ServeSettings
    from horogen.serve.stores import Group

    stores = open_stores(ServeSettings(cache_url=url))
    cache = stores.texts
    if claim_always:
        cache.claim = lambda *args, **kwargs: True  # type: ignore[method-assign]
    model = CountingModel(Path(log))
    group = Group(model.label, dt.date.fromisoformat(day), Category.GENERAL)

    def one(_: int) -> str:
        time.sleep(max(0.0, start_at - time.time()))
        texts, _made = fill(cache, model, group, owner=new_owner(), lease=30, wait=30)  # type: ignore[arg-type]
        return "|".join(texts[s].text for s in sorted(texts))

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(one, range(threads)))
    stores.close()
    return results


def fill_forever(url: str, log: str, day: str) -> None:
    """Claim a group and generate it slowly (for a minute): a claimant to ``kill -9``."""
    from horogen.serve.cache import open_stores
    from horogen.serve.flight import fill
    from horogen.serve.settings import ServeSettings
    from horogen.serve.stores import Group

    stores = open_stores(ServeSettings(cache_url=url))
    group = Group("fake/1", dt.date.fromisoformat(day), Category.BUSINESS)
    fill(
        stores.texts, CountingModel(Path(log), seconds=60), group, owner="doomed", lease=120, wait=1
    )
