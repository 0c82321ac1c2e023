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
from horogen.serve.identity import with_ticket
from horogen.serve.schemas import Horoscope
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
            answer = self.answer(scope)
            if answer is not None:
                body, headers = answer
                scope["route"] = self.route
                length = (b"content-length", str(len(body)).encode())
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [*_HEADERS, *headers, length],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def answer(self, scope: dict) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
        """The body and extra headers of the answer for the reader of ``scope``'s cookie (a
        new reader and its cookie if none), if the text is in memory."""
        keys = self.service.keys
        if keys is None or not scope["path"].startswith(PREFIX):
            return None
        cookie = next((v for k, v in scope["headers"] if k == b"cookie"), None)
        reader = keys.reader_from_header(cookie.decode("latin-1")) if cookie else None
        headers: list[tuple[bytes, bytes]] = []
        if reader is None:
            reader = keys.new_reader()
            headers.append(
                (b"set-cookie", keys.set_cookie(reader, secure=scope["scheme"] == "https"))
            )
        found = self.cached(scope["path"], scope["query_string"], reader)
        if found is None:
            return None
        body, text = found
        ticket = keys.ticket(reader, text.model, text.date, text.category.value, text.sign.value)
        return with_ticket(body, ticket), headers

    def cached(
        self, path: str, query: bytes, reader: str | None = None
    ) -> tuple[bytes, Horoscope] | None:
        """The text's rendered JSON and the text for ``reader`` if the answer is certain and
        in memory, else ``None``."""
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
            found = self.service.remembered(day, category, reader)
        except (OutOfWindow, NoModel):
            return None
        return None if found is None else (found.json[sign], found.texts[sign])
