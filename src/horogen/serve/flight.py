"""Single flight: a group of texts is generated once, however many requests, worker
processes and replicas want it at the same moment.

Across processes the text store's claims decide who generates (one claim per group, taken
atomically; a claim whose lease ran out may be taken over); the others poll the store
until the texts are there. Within a process, :class:`Flights` lets concurrent
requests for one group share one such wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

from horogen.errors import HorogenError
from horogen.serve import metrics
from horogen.serve.judge import BestOf, Candidate
from horogen.serve.schemas import Horoscope
from horogen.serve.stores import Group, TextStore
from horogen.signs import Sign

if TYPE_CHECKING:  # the model stack (mlflow, torch) loads only where a model does
    from horogen.serve.swap import ServingModel

log = logging.getLogger(__name__)

#: How often a process waiting for another's generation looks at the text store.
POLL_SECONDS = 0.05
#: The longest a claim is held without a heartbeat: the generator renews it every third of
#: this, so a claimant that died (``kill -9``) is taken over within these seconds.
CLAIM_LEASE = 5.0


class Busy(HorogenError):
    """The texts did not appear within the wait (another process is still generating)."""


class GenerationFailed(HorogenError):
    """The model raised while generating."""


def new_owner() -> str:
    """A claim owner unique to this process and call site."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def fill(
    texts: TextStore,
    model: ServingModel,
    group: Group,
    *,
    owner: str,
    lease: float,
    wait: float,
    best_of: BestOf | None = None,
) -> tuple[dict[Sign, Horoscope], int]:
    """The twelve texts of ``group``, generated here if no one has and no one is: with
    ``best_of``, each chosen among its candidates (kept beside it), else one draw.

    Returns the texts as stored and how many this call generated (0 or 12). Raises
    :class:`Busy` after ``wait`` seconds of waiting for another process. A claim is taken
    for at most :data:`CLAIM_LEASE` seconds and renewed while this process generates.
    """
    lease = min(lease, CLAIM_LEASE)
    deadline = time.monotonic() + wait
    while True:
        found = texts.group(group)
        if len(found) == len(Sign):
            return found, 0
        if texts.claim(group, owner, lease):
            try:
                found = texts.group(group)  # finished between our look and our claim?
                if len(found) == len(Sign):
                    return found, 0
                try:
                    with _heartbeat(texts, group, owner, lease):
                        generated, candidates = _generate(model, group, best_of)
                except Exception as error:
                    log.exception("generating %s failed", group)
                    raise GenerationFailed(f"{model.label} could not generate: {error}") from error
                texts.store(generated, candidates)
            finally:
                texts.release(group, owner)
            return texts.group(group), len(generated)
        if time.monotonic() > deadline:
            raise Busy(f"the texts of {group.category} for {group.day} are still being generated")
        time.sleep(POLL_SECONDS)


@contextlib.contextmanager
def _heartbeat(texts: TextStore, group: Group, owner: str, lease: float) -> Iterator[None]:
    """Renew ``owner``'s claim every third of ``lease`` until the block ends."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(lease / 3):
            try:
                texts.renew(group, owner, lease)
            except HorogenError as error:  # the store is away: the next beat tries again
                log.warning("could not renew the claim on %s: %s", group, error)

    thread = threading.Thread(target=beat, name="claim-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _generate(
    model: ServingModel, group: Group, best_of: BestOf | None
) -> tuple[list[Horoscope], Sequence[Candidate]]:
    """The texts of ``group`` and the candidates they were chosen from (none without
    ``best_of``); a text that passed no check is counted (``/metrics``)."""
    if best_of is None:
        return model.generate(group.day, group.category), ()
    choice = best_of.choose(partial(model.draw, group.day, group.category), list(Sign))
    if choice.unpassed:
        log.warning(
            "%s, %s, %s: %d of %d texts served although none of their %d candidates passed "
            "the checks (%s); `horogen candidates` shows them",
            group.model,
            group.day,
            group.category.value,
            len(choice.unpassed),
            len(Sign),
            best_of.cap,
            ", ".join(sign.value for sign in choice.unpassed),
        )
        metrics.UNPASSED.inc(len(choice.unpassed))
    return choice.served, choice.candidates


class Flights:
    """One :func:`fill` per group at a time in this process; callers share its result."""

    def __init__(
        self, texts: TextStore, *, lease: float, wait: float, best_of: BestOf | None = None
    ) -> None:
        self.text_store = texts
        self.lease = lease
        self.wait = wait
        self.best_of = best_of
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
            self.text_store,
            model,
            group,
            owner=self.owner,
            lease=self.lease,
            wait=self.wait,
            best_of=self.best_of,
        )
        return texts
