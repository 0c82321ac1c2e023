"""Readers' verdicts: taken in by :class:`Ballot` (who may vote, on what, how often), read
outside serving (``horogen models``, the evaluation report, the promotion gate) through
:class:`ServedVerdicts`, a :class:`~horogen.verdicts.VerdictSource`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from horogen.errors import HorogenError
from horogen.lake import Lake
from horogen.serve import metrics
from horogen.serve.cache import nothing_served, open_stores
from horogen.serve.ratelimit import RateLimit, check
from horogen.serve.schemas import Vote, VoteCount
from horogen.serve.service import HoroscopeService
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import Group, VerdictStore
from horogen.signs import Sign
from horogen.verdicts import ReaderVerdict

Answer = TypeVar("Answer")


class ServedVerdicts:
    """The verdicts in the serving database of ``serve`` and ``lake``, opened for each
    question; none when nothing was served yet (no database is created for asking).
    Raises :class:`~horogen.serve.stores.CacheError` when the database does not answer."""

    def __init__(self, serve: ServeSettings, lake: Lake) -> None:
        self.serve = serve
        self.lake = lake

    def per_model(self) -> list[ReaderVerdict]:
        return self._ask(lambda verdicts: verdicts.per_model(), [])

    def per_version(self, name: str, since: dt.datetime | None = None) -> dict[int, ReaderVerdict]:
        return self._ask(lambda verdicts: verdicts.per_version(name, since), {})

    def _ask(self, question: Callable[[VerdictStore], Answer], nothing: Answer) -> Answer:
        if nothing_served(self.serve, self.lake):
            return nothing
        stores = open_stores(self.serve, self.lake)
        try:
            stores.verdicts.create()
            return question(stores.verdicts)
        finally:
            stores.close()


class NotServed(HorogenError):
    """A verdict on a text the server did not serve to this reader."""


class NoReader(HorogenError):
    """A verdict without the reader cookie the server issues with a text."""


class Ballot:
    """Readers' verdicts into the verdict store: only a reader's own (the reader comes from
    the server, never the body), only on a text served to them (its ticket), at most
    ``serve.verdicts_per_minute`` a minute per address and per reader."""

    def __init__(self, service: HoroscopeService) -> None:
        self.service = service
        per_minute = service.settings.verdicts_per_minute
        self.limits = {"address": RateLimit(per_minute), "reader": RateLimit(per_minute)}

    def vote(self, sign: Sign, vote: Vote, *, reader: str | None, address: str) -> VoteCount:
        """Record ``reader``'s ``vote`` on ``sign``'s text; :class:`NoReader`,
        :class:`NotServed`, :class:`~horogen.serve.ratelimit.RateLimited` when it does not
        count."""
        service = self.service
        if reader is None:
            raise NoReader("no reader cookie: read the text first (GET it), then give a verdict")
        day = service.day(vote.date)
        keys = service.keys
        served = keys is not None and keys.valid_ticket(
            vote.ticket, reader, vote.model, day, vote.category.value, sign.value
        )
        if not served:
            raise NotServed(f"this reader was not served that text of {sign.value} on {day}")
        check(self.limits, {"address": address, "reader": reader})
        text = service.stores.texts.group(Group(vote.model, day, vote.category)).get(sign)
        if text is None:
            raise NotServed(f"no text of {vote.model} was served for {sign.value}, {day}")
        likes, dislikes = service.stores.verdicts.record(text, reader, vote.verdict)
        metrics.VOTES.labels(vote.verdict).inc()
        return VoteCount(
            sign=sign,
            date=day,
            category=vote.category,
            model=vote.model,
            version=text.version,
            verdict=vote.verdict,
            likes=likes,
            dislikes=dislikes,
        )
