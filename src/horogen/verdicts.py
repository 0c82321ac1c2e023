"""Readers' verdicts on served texts: the record and the interface of the store they are
read from. Serving records them (:mod:`horogen.serve.stores`); evaluation and ``horogen
models`` read them through :class:`VerdictSource` and never import serving.

A verdict is one reader's like or dislike of one served text; a repeat replaces it. The
counts are per model (a registered version or a directory) and, for a registered model,
per version: what a readers' table or a promotion rule needs, whatever the store behind.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal, Protocol

from pydantic import BaseModel

from horogen.errors import HorogenError

log = logging.getLogger(__name__)

Verdict = Literal["like", "dislike"]


class ReaderVerdict(BaseModel):
    """Readers' verdicts on one model's texts."""

    model: str
    version: int | None
    likes: int
    dislikes: int
    #: Distinct readers behind the verdicts (one verdict per reader and text).
    readers: int = 0

    @property
    def votes(self) -> int:
        return self.likes + self.dislikes

    @property
    def like_share(self) -> float | None:
        return self.likes / self.votes if self.votes else None


class VerdictSource(Protocol):
    """Where readers' verdicts are read. Both answers are empty when nothing was served;
    a store that does not answer raises a :class:`~horogen.errors.HorogenError`."""

    def per_model(self) -> list[ReaderVerdict]:
        """Verdicts per model (directories included), most voted first."""
        ...

    def per_version(self, name: str, since: dt.datetime | None = None) -> dict[int, ReaderVerdict]:
        """Verdicts on the registered versions of model ``name``, by version; with
        ``since``, only those cast (or last replaced) at or after it."""
        ...


def verdicts_per_version(
    source: VerdictSource, name: str, since: dt.datetime | None = None
) -> dict[int, ReaderVerdict]:
    """``source``'s verdicts on the versions of ``name`` (since ``since``), or none (with
    a warning) when it does not answer: a report or a listing goes on without them."""
    try:
        return source.per_version(name, since)
    except HorogenError as error:
        log.warning("readers' verdicts unavailable: %s", error)
        return {}
