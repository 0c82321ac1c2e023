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
from horogen.model.settings import GenerationSettings
from horogen.model.store import ModelStore
from horogen.schema import Category
from horogen.serve import metrics
from horogen.serve.cache import open_stores
from horogen.serve.flight import Flights
from horogen.serve.judge import BestOf, Judge, best_of_for
from horogen.serve.schemas import Horoscope, Horoscopes, Vote, VoteCount
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


class NotServed(HorogenError):
    """A vote for a text that was never served."""


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
        best_of: BestOf | None = None,
    ) -> None:
        self.settings = settings
        self.stores = stores
        self.slot = slot
        self.flights = Flights(
            stores.texts, lease=settings.wait_seconds, wait=settings.wait_seconds, best_of=best_of
        )
        self._memory: dict[Group, Rendered] = {}
        self._memory_model: str | None = None

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
        slot = ModelSlot(models, settings.model, loader(generation))
        return cls(settings, stores, slot, best_of_for(settings, judge))

    def model(self) -> ServingModel:
        model = self.slot.current
        if model is None:
            raise NoModel("no model is loaded yet")
        return model

    def day(self, day: dt.date | None) -> dt.date:
        """``day`` (default today) if it is servable, else :class:`OutOfWindow`."""
        today = self.settings.today()
        first, last = self.settings.window(today)
        day = day or today
        if not first <= day <= last:
            raise OutOfWindow(f"{day} is outside the served days {first} … {last}")
        return day

    def remembered(self, day: dt.date | None, category: Category) -> Rendered | None:
        """The group for ``day`` (validated) and ``category`` from the current model if this
        process has it in memory (a cache hit), else ``None``."""
        day = self.day(day)
        model = self.model()
        if self._memory_model != model.label:  # a swap: the old model's answers go
            self._memory.clear()
            self._memory_model = model.label
        found = self._memory.get(Group(model.label, day, category))
        if found is not None:
            HIT.inc()
        return found

    async def rendered(self, day: dt.date | None, category: Category) -> Rendered:
        """The group for ``day`` (validated) and ``category`` from the current model: from
        memory, else the text store, else generated once."""
        found = self.remembered(day, category)
        if found is not None:
            return found
        MISS.inc()
        day, model = self.day(day), self.model()
        group = Group(model.label, day, category)
        texts = await self.flights.texts(model, group)
        found = self._memory[group] = render(texts, model, day, category)
        self._forget_before(self.settings.window()[0])
        return found

    def _forget_before(self, first: dt.date) -> None:
        """Drop the answers of days that can no longer be asked for."""
        for group in [group for group in self._memory if group.day < first]:
            del self._memory[group]

    async def horoscope(self, sign: Sign, day: dt.date | None, category: Category) -> bytes:
        return (await self.rendered(day, category)).json[sign]

    async def text(self, sign: Sign, day: dt.date | None, category: Category) -> Horoscope:
        return (await self.rendered(day, category)).texts[sign]

    def vote(self, sign: Sign, vote: Vote) -> VoteCount:
        """Record ``vote`` on the text served for ``sign``; :class:`NotServed` if none was."""
        day = self.day(vote.date)
        label = vote.model or self.model().label
        text = self.stores.texts.group(Group(label, day, vote.category)).get(sign)
        if text is None:
            raise NotServed(
                f"no text of {label} was served for {sign.value}, {vote.category}, {day}"
            )
        likes, dislikes = self.stores.verdicts.record(text, vote.reader, vote.verdict)
        metrics.VOTES.labels(vote.verdict).inc()
        return VoteCount(
            sign=sign,
            date=day,
            category=vote.category,
            model=label,
            verdict=vote.verdict,
            likes=likes,
            dislikes=dislikes,
        )


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
