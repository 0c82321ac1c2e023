"""Readers' verdicts for readers outside serving: ``horogen models`` and the evaluation
report read them through :class:`ServedVerdicts`, a
:class:`~horogen.verdicts.VerdictSource`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from horogen.lake import Lake
from horogen.serve.cache import nothing_served, open_stores
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import VerdictStore
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

    def per_version(self, name: str) -> dict[int, ReaderVerdict]:
        return self._ask(lambda verdicts: verdicts.per_version(name), {})

    def _ask(self, question: Callable[[VerdictStore], Answer], nothing: Answer) -> Answer:
        if nothing_served(self.serve, self.lake):
            return nothing
        stores = open_stores(self.serve, self.lake)
        try:
            stores.verdicts.create()
            return question(stores.verdicts)
        finally:
            stores.close()
