"""The serving stores' interfaces: texts (with the candidates they were chosen from, and the
claims that make generation happen once) and readers' verdicts.
:func:`horogen.serve.cache.open_stores` builds both over one database; the rest of serving
sees only these interfaces and :class:`CacheError`.

A *group* is the twelve signs of one model, day and category: the unit of generation.
Generating a group in one call keeps the fast backend's texts reproducible, because
CTranslate2's texts depend on the rows of their call (see
:mod:`horogen.model.ctranslate2_backend`): the call is always the same twelve rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from horogen.errors import ConfigError, HorogenError
from horogen.schema import Category
from horogen.serve.judge import Candidate
from horogen.serve.schemas import Horoscope
from horogen.signs import Sign
from horogen.verdicts import Verdict, VerdictSource


class CacheError(HorogenError):
    """The serving database cannot be reached or refused a statement."""


class CacheURLError(CacheError, ConfigError):
    """``serve.cache_url`` names no database horogen can use (exit code: a setting)."""


@dataclass(frozen=True)
class Group:
    """The twelve texts of one model, day and category."""

    model: str
    day: dt.date
    category: Category


class TextStore(Protocol):
    """One text per (model, day, category, sign), and who is generating which group."""

    def create(self) -> None:
        """Make the store ready (several processes may race to do it)."""
        ...

    def close(self) -> None: ...

    def group(self, group: Group) -> dict[Sign, Horoscope]:
        """The texts of ``group`` that exist."""
        ...

    def store(self, texts: Iterable[Horoscope], candidates: Iterable[Candidate] = ()) -> None:
        """Keep ``texts`` and the ``candidates`` they were chosen from, together; a text or
        candidate already there for the same key wins (texts never change)."""
        ...

    def candidates(self, group: Group, sign: Sign | None = None) -> list[Candidate]:
        """The candidates drawn for ``group`` (of ``sign`` only, if given), by sign and
        sample."""
        ...

    def claim(self, group: Group, owner: str, lease: float) -> bool:
        """Whether ``owner`` now holds ``group``'s claim for ``lease`` seconds: it was free,
        or its holder's lease ran out (a process that died while generating)."""
        ...

    def renew(self, group: Group, owner: str, lease: float) -> bool:
        """Extend ``owner``'s claim on ``group`` by ``lease`` seconds from now (the
        generator's heartbeat); whether it still held it."""
        ...

    def release(self, group: Group, owner: str) -> None:
        """Give ``group``'s claim back if ``owner`` holds it."""
        ...


class VerdictStore(VerdictSource, Protocol):
    """Readers' verdicts on served texts: recorded by serving, read by anyone."""

    def create(self) -> None: ...

    def close(self) -> None: ...

    def secret(self) -> bytes:
        """The key readers' cookies and tickets are signed with, the same for every
        process on this store."""
        ...

    def record(self, text: Horoscope, reader: str, verdict: Verdict) -> tuple[int, int]:
        """Record ``reader``'s verdict on ``text`` (replacing their earlier one); the text's
        likes and dislikes after it."""
        ...


@dataclass(frozen=True)
class Stores:
    """The two stores over one database, opened and closed together."""

    texts: TextStore
    verdicts: VerdictStore
    #: Where they live, safe to print (no password).
    where: str

    def create(self) -> None:
        self.texts.create()
        self.verdicts.create()

    def close(self) -> None:
        self.texts.close()
        self.verdicts.close()
