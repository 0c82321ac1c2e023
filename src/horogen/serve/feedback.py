"""Readers' verdicts per model, for ``horogen models`` and the evaluation report."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from horogen.errors import HorogenError
from horogen.lake import Lake
from horogen.serve.cache import Cache, CacheError
from horogen.serve.schemas import ReaderVerdict
from horogen.serve.settings import CACHE_FILE, ServeSettings

log = logging.getLogger(__name__)


def reader_verdicts(serve: ServeSettings, lake: Lake) -> list[ReaderVerdict]:
    """Likes and dislikes per model, most voted first; empty when nothing was served yet.
    Raises :class:`~horogen.serve.cache.CacheError` when the cache database does not answer."""
    if serve.cache_url:
        url = make_url(serve.cache_url)
        if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
            return []
    elif not (lake.is_local and (Path(lake.root) / CACHE_FILE).is_file()):
        return []
    cache = Cache(serve.database_url(lake))
    try:
        cache.create()
        return cache.verdicts()
    except SQLAlchemyError as error:
        raise CacheError(f"the serving cache does not answer: {error}") from error
    finally:
        cache.close()


def verdicts_by_version(serve: ServeSettings, lake: Lake, name: str) -> dict[int, ReaderVerdict]:
    """Readers' verdicts on the registered versions of model ``name``, by version."""
    prefix = f"{name}/"
    return {
        verdict.version: verdict
        for verdict in reader_verdicts(serve, lake)
        if verdict.version is not None and verdict.model.startswith(prefix)
    }


def verdicts_if_available(serve: ServeSettings, lake: Lake, name: str) -> dict[int, ReaderVerdict]:
    """:func:`verdicts_by_version`, or none (with a warning) when the serving cache does
    not answer: a report or a listing goes on without them."""
    try:
        return verdicts_by_version(serve, lake, name)
    except HorogenError as error:  # the cache is down, or there is none for this lake
        log.warning("readers' verdicts unavailable: %s", error)
        return {}
