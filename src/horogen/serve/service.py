"""Texts for the API and the bot: from this process's memory, else the text store, else
generated once (:mod:`horogen.serve.flight`), each the best of k candidates
(:mod:`horogen.serve.judge`); readers' verdicts into the verdict store.

A text never changes once stored (its key holds the model), so each process keeps the
answers it has read, already rendered as JSON: a cached request touches neither the
database nor pydantic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from horogen.errors import HorogenError
from horogen.lake import Lake
from horogen.model import registry
from horogen.model.settings import GenerationSettings
from horogen.model.store import ModelStore
from horogen.schema import Category
from horogen.serve import metrics
from horogen.serve.cache import open_stores
from horogen.serve.flight import Flights
from horogen.serve.identity import ReaderKeys
from horogen.serve.judge import BestOf, Judge, best_of_for
from horogen.serve.schemas import Horoscope, Horoscopes
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import Group, Stores
from horogen.serve.swap import ModelSlot, ServingModel, loader
from horogen.signs import Sign

HIT = metrics.CACHE.labels("hit")
MISS = metrics.CACHE.labels("miss")


class NoModel(HorogenError):
    """No model is loaded yet."""


class OutOfWindow(HorogenError):
    """A day outside the servable window."""


@dataclass
class Rendered:
    """A group as the API answers it: each sign's JSON and the whole group's."""

    texts: dict[Sign, Horoscope]
    json: dict[Sign, bytes]
    group_json: bytes


class HoroscopeService:
    def __init__(
        self,
        settings: ServeSettings,
        stores: Stores,
        slot: ModelSlot,
        challenger: ModelSlot | None = None,
        best_of: BestOf | None = None,
    ) -> None:
        self.settings = settings
        self.stores = stores
        self.slot = slot
        #: The canary's model (``serve.canary_share`` of readers), when there is a canary.
        self.challenger = challenger
        #: Signs readers' cookies and tickets; set by :meth:`open` from the store's key.
        self.keys: ReaderKeys | None = None
        self.flights = Flights(
            stores.texts, lease=settings.wait_seconds, wait=settings.wait_seconds, best_of=best_of
        )
        self._memory: dict[Group, Rendered] = {}
        self._memory_models: set[str] = set()

    @classmethod
    def build(
        cls,
        settings: ServeSettings,
        *,
        lake: Lake,
        models: ModelStore,
        generation: GenerationSettings,
        judge: Judge | None = None,
    ) -> HoroscopeService:
        """The service for ``settings``: the stores of ``settings`` and ``lake``, the model
        ``settings.model`` names in ``models``, generated with ``generation``; with a
        ``judge``, each text the best of ``settings.best_of`` candidates."""
        stores = open_stores(settings, lake)
        load = loader(generation)
        challenger = None
        if settings.canary_share > 0 and settings.model != registry.CHALLENGER:
            challenger = ModelSlot(models, registry.CHALLENGER, load)
        slot = ModelSlot(models, settings.model, load)
        return cls(settings, stores, slot, challenger, best_of_for(settings, judge))

    def open(self) -> None:
        """Make the stores ready and take the readers' key (blocking: a worker thread)."""
        self.stores.create()
        secret = self.settings.reader_secret
        key = secret.get_secret_value().encode() if secret else self.stores.verdicts.secret()
        self.keys = ReaderKeys(key)

    def slots(self) -> list[ModelSlot]:
        return [self.slot] if self.challenger is None else [self.slot, self.challenger]

    def model(self, reader: str | None = None) -> ServingModel:
        """The model that serves ``reader``: the challenger for the canary's readers once it
        is loaded (and differs from the champion), else the champion."""
        model = self.slot.current
        if model is None:
            raise NoModel("no model is loaded yet")
        canary = self.challenger.current if self.challenger is not None else None
        if (
            canary is not None
            and reader is not None
            and self.keys is not None
            and canary.label != model.label
            and self.keys.in_canary(reader, self.settings.canary_share)
        ):
            return canary
        return model

    def day(self, day: dt.date | None) -> dt.date:
        """``day`` (default today) if it is servable, else :class:`OutOfWindow`."""
        today = self.settings.today()
        first, last = self.settings.window(today)
        day = day or today
        if not first <= day <= last:
            raise OutOfWindow(f"{day} is outside the served days {first} … {last}")
        return day

    def remembered(
        self, day: dt.date | None, category: Category, reader: str | None = None
    ) -> Rendered | None:
        """The group for ``day`` (validated) and ``category`` from the model serving
        ``reader`` if this process has it in memory (a cache hit), else ``None``."""
        day = self.day(day)
        model = self.model(reader)
        live = {slot.current.label for slot in self.slots() if slot.current is not None}
        if live != self._memory_models:  # a swap: the old model's answers go
            for group in [group for group in self._memory if group.model not in live]:
                del self._memory[group]
            self._memory_models = live
        found = self._memory.get(Group(model.label, day, category))
        if found is not None:
            HIT.inc()
        return found

    async def rendered(
        self, day: dt.date | None, category: Category, reader: str | None = None
    ) -> Rendered:
        """The group for ``day`` (validated) and ``category`` from the model serving
        ``reader``: from memory, else the text store, else generated once."""
        found = self.remembered(day, category, reader)
        if found is not None:
            return found
        MISS.inc()
        day, model = self.day(day), self.model(reader)
        group = Group(model.label, day, category)
        texts = await self.flights.texts(model, group)
        found = self._memory[group] = render(texts, model, day, category)
        self._forget_before(self.settings.window()[0])
        return found

    def _forget_before(self, first: dt.date) -> None:
        """Drop the answers of days that can no longer be asked for."""
        for group in [group for group in self._memory if group.day < first]:
            del self._memory[group]

    async def horoscope(
        self, sign: Sign, day: dt.date | None, category: Category, reader: str | None = None
    ) -> bytes:
        return (await self.rendered(day, category, reader)).json[sign]

    async def text(
        self, sign: Sign, day: dt.date | None, category: Category, reader: str | None = None
    ) -> Horoscope:
        return (await self.rendered(day, category, reader)).texts[sign]


def render(
    texts: dict[Sign, Horoscope], model: ServingModel, day: dt.date, category: Category
) -> Rendered:
    ordered = [texts[sign] for sign in Sign]
    group = Horoscopes(
        date=day,
        category=category,
        model=model.label,
        version=model.version,
        horoscopes=ordered,
    )
    return Rendered(
        texts,
        {text.sign: text.model_dump_json().encode() for text in ordered},
        group.model_dump_json().encode(),
    )
