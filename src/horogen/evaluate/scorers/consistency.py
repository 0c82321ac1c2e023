"""Is a text true to its request? It fails when it names a sign, weekday, day or month
other than its request's (in any case form, :mod:`horogen.mentions`), or holds a slot that
generation could not fill (``<sign:datv:dual>``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from horogen.evaluate.scorers.base import Request, Scorer, ScoringContext
from horogen.mentions import Mention, foreign_mentions
from horogen.model.pyfunc import SLOT

#: How a failure reads, by what it names.
_WHAT = {"sign": "another sign", "weekday": "another weekday", "day": "another day",
         "month": "another month"}  # fmt: skip


def problems(text: str, request: Request) -> list[str]:
    """What is wrong with ``text`` for ``request``, each naming the word: ``another sign
    'Ракам'``, ``unfilled slot '<sign:datv:dual>'``; empty when it is consistent."""
    found = [_problem(mention) for mention in foreign_mentions(text, request.sign, request.date)]
    found += [f"unfilled slot {match.group()!r}" for match in SLOT.finditer(text)]
    return found


def _problem(mention: Mention) -> str:
    return f"{_WHAT[mention.kind]} {mention.word!r}"


class ConsistencyScorer(Scorer):
    """1 for a text consistent with its request, 0 for one that is not; NaN without one."""

    def score(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[float]:
        return [
            math.nan if request is None else float(not problems(text, request))
            for text, request in zip(texts, _requests(texts, context), strict=True)
        ]

    def notes(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[str]:
        return [
            "" if request is None else ", ".join(problems(text, request))
            for text, request in zip(texts, _requests(texts, context), strict=True)
        ]


def _requests(texts: Sequence[str], context: ScoringContext | None) -> Sequence[Request | None]:
    if context is None or context.requests is None:
        return [None] * len(texts)
    return context.requests
