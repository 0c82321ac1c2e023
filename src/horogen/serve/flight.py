"""Single flight: a group of texts is generated once, however many requests, worker
processes and replicas want it at the same moment.

Across processes the cache's claim table decides who generates (one row per group, taken
by an atomic insert; a claim whose lease ran out may be taken over); the others poll the
cache until the texts are there. Within a process, :class:`Flights` lets concurrent
requests for one group share one such wait.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from typing import TYPE_CHECKING

from horogen.errors import HorogenError
from horogen.serve.cache import Cache, Group
from horogen.serve.schemas import Horoscope
from horogen.signs import Sign

if TYPE_CHECKING:  # the model stack (mlflow, torch) loads only where a model does
    from horogen.serve.swap import ServingModel

log = logging.getLogger(__name__)

#: How often a process waiting for another's generation looks at the cache.
POLL_SECONDS = 0.05


class Busy(HorogenError):
    """The texts did not appear within the wait (another process is still generating)."""


class GenerationFailed(HorogenError):
    """The model raised while generating."""


def new_owner() -> str:
    """A claim owner unique to this process and call site."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def fill(
    cache: Cache, model: ServingModel, group: Group, *, owner: str, lease: float, wait: float
) -> tuple[dict[Sign, Horoscope], int]:
    """The twelve texts of ``group``, generated here if no one has and no one is.

    Returns the texts as stored and how many this call generated (0 or 12). Raises
    :class:`Busy` after ``wait`` seconds of waiting for another process.
    """
    deadline = time.monotonic() + wait
    while True:
        found = cache.group(group)
        if len(found) == len(Sign):
            return found, 0
        if cache.claim(group, owner, lease):
            try:
                found = cache.group(group)  # finished between our look and our claim?
                if len(found) == len(Sign):
                    return found, 0
                try:
                    texts = model.generate(group.day, group.category)
                except Exception as error:
                    log.exception("generating %s failed", group)
                    raise GenerationFailed(f"{model.label} could not generate: {error}") from error
                cache.store(texts)
            finally:
                cache.release(group, owner)
            return cache.group(group), len(texts)
        if time.monotonic() > deadline:
            raise Busy(f"the texts of {group.category} for {group.day} are still being generated")
        time.sleep(POLL_SECONDS)


class Flights:
    """One :func:`fill` per group at a time in this process; callers share its result."""

    def __init__(self, cache: Cache, *, lease: float, wait: float) -> None:
        self.cache = cache
        self.lease = lease
        self.wait = wait
        self.owner = new_owner()
        self._running: dict[tuple[str, Group], asyncio.Future[dict[Sign, Horoscope]]] = {}

    async def texts(self, model: ServingModel, group: Group) -> dict[Sign, Horoscope]:
        key = (model.label, group)
        future = self._running.get(key)
        if future is None:
            future = asyncio.ensure_future(
                asyncio.to_thread(self._fill, model, group)  # blocking: a worker thread
            )
            self._running[key] = future
            future.add_done_callback(lambda _: self._running.pop(key, None))
        return await asyncio.shield(future)

    def _fill(self, model: ServingModel, group: Group) -> dict[Sign, Horoscope]:
        texts, _ = fill(
            self.cache, model, group, owner=self.owner, lease=self.lease, wait=self.wait
        )
        return texts
