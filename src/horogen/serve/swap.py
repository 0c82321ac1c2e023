"""The model that serves, and the watcher that swaps in a new one when its alias moves.

A swap never interrupts a request: a request takes the :class:`ServingModel` that is
current when it starts and finishes with it; the new model becomes current only once it
is loaded (converted, translator built), so there is always a model while there was one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from horogen.errors import HorogenError
from horogen.model import registry
from horogen.model.generate import HoroscopeGenerator, TextRequest
from horogen.model.settings import GenerationSettings
from horogen.model.store import ModelStore, ResolvedModel
from horogen.model.strategy import Strategy
from horogen.schema import Category
from horogen.serve import metrics
from horogen.serve.schemas import Horoscope, horoscope
from horogen.signs import Sign

log = logging.getLogger(__name__)

#: One model loads at a time in a process (a canary's two slots share the model cache,
#: and two conversions at once only halve each other's cores).
_LOADING = threading.Lock()


@dataclass(frozen=True)
class ServingModel:
    """A loaded model with the strategy and seed it serves with."""

    resolved: ResolvedModel
    generator: HoroscopeGenerator
    strategy: Strategy
    seed: int
    #: One generation at a time per model: the backends are not meant for parallel calls.
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False)

    @property
    def label(self) -> str:
        return self.resolved.label

    @property
    def version(self) -> int | None:
        return self.resolved.version.version if self.resolved.version else None

    def generate(self, day: dt.date, category: Category) -> list[Horoscope]:
        """The twelve signs' texts for ``day`` and ``category``, in one call."""
        return [text for _, text in self.draw(day, category, list(Sign), range(1))]

    def draw(
        self, day: dt.date, category: Category, signs: Sequence[Sign], samples: range
    ) -> list[tuple[int, Horoscope]]:
        """``samples`` of each of ``signs`` (each sample its own seed), in one call; as
        ``(sample, text)``, sign by sign."""
        requests = [
            TextRequest(sign=sign, category=category, date=day, sample=sample)
            for sign in signs
            for sample in samples
        ]
        with self.lock, metrics.GENERATION_SECONDS.time():
            texts = self.generator.generate(requests, self.strategy, seed=self.seed)
        metrics.GENERATED_TEXTS.inc(len(texts))
        return [
            (
                text.sample,
                horoscope(
                    text.sign,
                    text.category,
                    text.date,
                    text.text,
                    model=self.label,
                    version=self.version,
                    strategy=self.strategy,
                ),
            )
            for text in texts
        ]


Loader = Callable[[ResolvedModel], ServingModel]


def loader(generation: GenerationSettings) -> Loader:
    """Loads a resolved model with ``generation``'s backend, decoded with the strategy
    evaluation stored on its version (else ``generation.strategy``)."""

    def load(resolved: ResolvedModel) -> ServingModel:
        generator = HoroscopeGenerator.load(resolved, generation)
        return ServingModel(
            resolved, generator, resolved.strategy(generation.strategy), generation.seed
        )

    return load


class ModelSlot:
    """The model ``reference`` names, kept current."""

    def __init__(self, store: ModelStore, reference: str, load: Loader) -> None:
        self.store = store
        self.reference = reference
        self._load = load
        self.current: ServingModel | None = None
        self._refresh_lock = threading.Lock()
        #: The last failure logged (None: the last look succeeded), so a failure that
        #: repeats every poll is logged once, and its end once.
        self.failure: str | None = None

    def refresh(self) -> bool:
        """Resolve the reference again; load and swap in what it names if that changed.
        Whether a swap happened. Raises what resolving or loading raised (the current model
        stays); :meth:`watch` survives it."""
        with self._refresh_lock:
            resolved = self.store.resolve(self.reference)
            current = self.current
            if current is not None and _same(current.resolved, resolved):
                return False
            with _LOADING:
                loaded = self._load(resolved)
            self.current = loaded
        if self.reference == registry.CHAMPION or current is None:
            metrics.SERVED_VERSION.set(loaded.version or 0)
        old = current.label if current else "nothing"
        log.info("serving %s (was %s), strategy %s", loaded.label, old, loaded.strategy.label())
        return True

    def look(self) -> bool:
        """:meth:`refresh`, whatever it raises: a failure is logged once per change of
        state (and its end once); whether the look succeeded."""
        try:
            self.refresh()
        except Exception as error:  # the watcher must outlive every error of the store
            expected = isinstance(error, HorogenError)
            failure = f"{type(error).__name__}: {error}" if not expected else str(error)
            if failure != self.failure:
                still = "; still serving " + self.current.label if self.current else ""
                log.warning("model %r: %s%s (retrying)", self.reference, failure, still)
                if not expected:
                    log.debug("the failure's traceback", exc_info=True)
            self.failure = failure
            return False
        if self.failure is not None:
            log.info("model %r: the registry answers again", self.reference)
            self.failure = None
        return True

    async def watch(self, interval: float, max_backoff: float = 60.0) -> None:
        """Look every ``interval`` seconds until cancelled; after failures, back off
        (doubling, up to ``max_backoff`` or ``interval`` if longer) and retry."""
        delay = interval
        while True:
            ok = await asyncio.to_thread(self.look)
            delay = interval if ok else min(max(delay * 2, interval), max(max_backoff, interval))
            if not ok and self.current is None:
                delay = min(delay, max(interval, 5.0))  # nothing served yet: keep trying
            await asyncio.sleep(delay)


def _same(a: ResolvedModel, b: ResolvedModel) -> bool:
    """The same version with the same evaluated strategy (other tags may change freely)."""
    return a.label == b.label and Strategy.of_version(a.tags) == Strategy.of_version(b.tags)
