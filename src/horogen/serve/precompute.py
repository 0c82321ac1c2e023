"""``horogen precompute``: fill the text store with every sign and category of a day, so that
no reader waits for generation. The same claims as the server's keep the two from
generating a group twice when they run at once."""

from __future__ import annotations

import datetime as dt
import time

from pydantic import BaseModel

from horogen.lake import Lake
from horogen.model.settings import GenerationSettings
from horogen.model.store import ModelStore
from horogen.schema import Category
from horogen.serve.cache import open_stores
from horogen.serve.flight import fill, new_owner
from horogen.serve.judge import Judge, best_of_for
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import Group
from horogen.serve.swap import loader


class PrecomputeRecord(BaseModel):
    """What a precompute did (JSON-safe: an Airflow task's XCom)."""

    date: dt.date
    model: str
    version: int | None
    categories: list[Category]
    #: Texts generated now.
    generated: int
    #: Texts that were in the cache already.
    cached: int
    #: Candidates kept for the day's texts (best of k; 0 without a judge).
    candidates: int = 0
    #: The day's texts none of whose candidates passed the checks (served all the same).
    unpassed: int = 0
    seconds: float


def precompute_day(
    serve: ServeSettings,
    *,
    lake: Lake,
    models: ModelStore,
    generation: GenerationSettings,
    day: dt.date | None = None,
    judge: Judge | None = None,
) -> PrecomputeRecord:
    """Generate and store the texts of ``day`` (default: today in ``serve.timezone``) for
    every sign and each of ``serve.categories``, with the model ``serve.model`` names;
    with a ``judge``, each the best of ``serve.best_of`` candidates, kept beside it.
    Idempotent: a second run generates nothing."""
    started = time.perf_counter()
    day = day or serve.today()
    model = loader(generation)(models.resolve(serve.model))
    stores = open_stores(serve, lake)
    owner = new_owner()
    best_of = best_of_for(serve, judge)
    generated = cached = drawn = unpassed = 0
    try:
        stores.create()
        for category in serve.categories:
            group = Group(model.label, day, category)
            texts, made = fill(
                stores.texts,
                model,
                group,
                owner=owner,
                lease=serve.wait_seconds,
                wait=serve.wait_seconds,
                best_of=best_of,
            )
            generated += made
            cached += len(texts) - made
            candidates = stores.texts.candidates(group)
            drawn += len(candidates)
            unpassed += sum(1 for c in candidates if c.chosen and not c.passed)
    finally:
        stores.close()
    return PrecomputeRecord(
        date=day,
        model=model.label,
        version=model.version,
        categories=list(serve.categories),
        generated=generated,
        cached=cached,
        candidates=drawn,
        unpassed=unpassed,
        seconds=round(time.perf_counter() - started, 2),
    )
