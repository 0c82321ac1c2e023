"""Strict JSON in, bounded errors out.

Python's ``json`` accepts ``NaN``, ``Infinity`` and lone surrogates (``"\\ud800"``), none of
which is JSON and none of which can be written back out: FastAPI's 422 handler then fails
on its own answer (a 500). Bodies are parsed here with pydantic-core's parser, which
refuses all three; a 422 echoes at most :data:`EXCERPT` characters of what it refused, as
plain text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic_core import from_json

#: The most characters of a refused input a 422 shows.
EXCERPT = 80


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                parsed = from_json(body, allow_inf_nan=False)
            except ValueError as error:
                raise json.JSONDecodeError(str(error), body.decode("utf-8", "replace"), 0) from None
            if _has_infinity(parsed):  # 1e999 overflows to inf even with allow_inf_nan off
                raise json.JSONDecodeError("numbers must be finite", "", 0)
            self._json = parsed
        return self._json


class StrictJSONRoute(APIRoute):
    """A route whose JSON body is parsed by :class:`StrictJSONRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict


def _has_infinity(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_infinity(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_infinity(item) for item in value)
    return False


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """At most ``limit`` characters of ``value`` as safe text (no lone surrogates)."""
    shown = value if isinstance(value, str) else repr(value)
    if len(shown) > limit:
        shown = shown[:limit] + "…"
    return shown.encode("utf-8", "backslashreplace").decode("utf-8")


async def validation_failed(request: Request, error: RequestValidationError) -> JSONResponse:
    """A 422 naming each problem, with a bounded excerpt of the refused input."""
    problems = [
        {
            "type": problem.get("type"),
            "loc": [excerpt(part) if isinstance(part, str) else part for part in problem["loc"]],
            "msg": excerpt(problem.get("msg", ""), 200),
            "input": excerpt(problem.get("input")),
        }
        for problem in error.errors()[:10]
    ]
    return JSONResponse({"detail": problems}, status_code=422)
