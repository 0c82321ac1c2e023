"""Polite async HTTP: per-site concurrency, timeouts, retries with backoff, robots.txt."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from horogen.collect.settings import CollectSettings
from horogen.errors import FetchError

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def _is_retryable(error: BaseException) -> bool:
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code in RETRYABLE_STATUS
    return isinstance(error, httpx.TransportError)  # timeouts, refused and reset connections


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The delay a ``Retry-After`` header asks for (seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def describe(error: BaseException) -> str:
    """A one-line account of why a request failed, for reports."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code} from {error.request.url}"
    if isinstance(error, httpx.TimeoutException):
        return f"timed out ({type(error).__name__}) on {error.request.url}"
    if isinstance(error, httpx.RequestError):
        return f"{type(error).__name__} on {error.request.url}: {error}".rstrip(": ")
    return str(error)


class Fetcher:
    """Fetches pages for the collector.

    Requests to one site never run more than ``concurrency_per_site`` at a time; each is
    retried on timeouts, connection errors, 5xx and 429 with exponential backoff and full
    jitter (or the server's ``Retry-After``, capped at ``backoff_max``), and never on other
    4xx. robots.txt is read once per origin and honoured unless ``respect_robots`` is off.
    """

    def __init__(
        self, settings: CollectSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._client = httpx.AsyncClient(
            headers={"User-Agent": settings.user_agent},
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            follow_redirects=True,
            transport=transport,
        )
        self._site_limits: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.concurrency_per_site)
        )
        self._robots: dict[str, RobotFileParser] = {}
        self._robots_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._backoff = wait_random_exponential(
            multiplier=settings.backoff_base, max=settings.backoff_max
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._client.aclose()

    async def get(
        self, url: str, *, site: str, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        """GET ``url`` for ``site`` (the concurrency key); raises ``FetchError`` once retries
        are spent, on a non-retryable status, or when robots.txt disallows the URL."""
        if self.settings.respect_robots and not await self._allowed(url, site):
            raise FetchError(f"robots.txt disallows {url} for {self.settings.user_agent!r}")
        async with self._site_limits[site]:
            return await self._get_with_retries(url, params)

    async def _get_with_retries(self, url: str, params: dict[str, Any] | None) -> httpx.Response:
        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            stop=stop_after_attempt(self.settings.retries + 1),
            wait=self._wait,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._client.get(url, params=params)
                    response.raise_for_status()
        except httpx.HTTPError as error:
            raise FetchError(describe(error)) from error
        return response

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, httpx.HTTPStatusError):
            asked = retry_after_seconds(error.response)
            if asked is not None:
                return min(asked, self.settings.backoff_max)
        return self._backoff(state)

    async def _allowed(self, url: str, site: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        async with self._robots_locks[origin]:
            if origin not in self._robots:
                self._robots[origin] = await self._read_robots(origin, site)
        return self._robots[origin].can_fetch(self.settings.user_agent, url)

    async def _read_robots(self, origin: str, site: str) -> RobotFileParser:
        """robots.txt as RFC 9309 reads it: a 4xx allows everything; a server or network
        error after retries disallows everything (the site is then reported as failed)."""
        parser = RobotFileParser(f"{origin}/robots.txt")
        try:
            async with self._site_limits[site]:
                response = await self._get_with_retries(f"{origin}/robots.txt", None)
        except FetchError as error:
            cause = error.__cause__
            if isinstance(cause, httpx.HTTPStatusError) and cause.response.status_code < 500:
                parser.parse([])
            else:
                parser.disallow_all = True
            return parser
        parser.parse(response.text.splitlines())
        return parser
