"""The hot path: ``GET /v1/horoscopes/{sign}`` answered from the worker's memory without
FastAPI's parameter machinery, which costs about three times a bare endpoint (measured:
docs/benchmarks.md).

It answers only what it is sure of: a known sign, at most a strict ``date=YYYY-MM-DD``
and a known ``category``, a day in the window, a text this worker already holds. Anything
else — an error, a miss, an odd query — goes on to the FastAPI route, which validates,
generates and documents; so the answers are the route's answers, only sooner.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qsl

from horogen.schema import Category
from horogen.serve.service import HoroscopeService, NoModel, OutOfWindow
from horogen.signs import Sign

PREFIX = "/v1/horoscopes/"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: What a reader may type for a sign (as ``lookup_sign`` accepts it), lower-cased.
_SIGNS = {name: sign for sign in Sign for name in (sign.value, sign.ru.lower().replace("ё", "е"))}
_CATEGORIES = {category.value: category for category in Category}
_HEADERS = [(b"content-type", b"application/json")]


class FastPath:
    """ASGI middleware in front of the routes; ``route`` labels its answers' metrics."""

    def __init__(self, app: Any, service: HoroscopeService, route: Any) -> None:
        self.app = app
        self.service = service
        self.route = route

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            body = self.cached(scope["path"], scope["query_string"])
            if body is not None:
                scope["route"] = self.route
                length = (b"content-length", str(len(body)).encode())
                await send(
                    {"type": "http.response.start", "status": 200, "headers": [*_HEADERS, length]}
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def cached(self, path: str, query: bytes) -> bytes | None:
        """The answer's body if it is certain and in memory, else ``None``."""
        if not path.startswith(PREFIX):
            return None
        sign = _SIGNS.get(path[len(PREFIX) :].lower().replace("ё", "е"))
        if sign is None:
            return None
        day: dt.date | None = None
        category = Category.GENERAL
        seen: set[str] = set()
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if name in seen:
                return None
            seen.add(name)
            if name == "date" and _DATE.fullmatch(value):
                try:
                    day = dt.date.fromisoformat(value)
                except ValueError:
                    return None
            elif name == "category" and value in _CATEGORIES:
                category = _CATEGORIES[value]
            else:
                return None
        try:
            found = self.service.remembered(day, category)
        except (OutOfWindow, NoModel):
            return None
        return None if found is None else found.json[sign]
