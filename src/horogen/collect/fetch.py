"""Polite async HTTP: per-site concurrency and pacing (a minimum interval between requests,
robots.txt ``Crawl-delay``), timeouts, retries with backoff, robots.txt rules, conditional
requests."""

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
    wait_random_exponential,
)

from horogen.collect.breaker import Breaker
from horogen.collect.settings import CollectSettings
from horogen.errors import FetchError, SiteGivenUp


def _is_retryable(error: BaseException) -> bool:
    """Timeouts, broken connections, 429 and 5xx are worth another try; nothing else is."""
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        return status == 429 or 500 <= status < 600
    return isinstance(
        error, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError
    )


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


class Pacer:
    """Spaces the requests to one site: each starts at least ``interval`` seconds after the
    one before it (retries and robots.txt included)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = 0.0
        self._lock = asyncio.Lock()

    def at_least(self, interval: float) -> None:
        """Never space requests less than ``interval`` from now on (a ``Crawl-delay``)."""
        self.interval = max(self.interval, interval)

    async def wait(self) -> None:
        async with self._lock:
            delay = self._next - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next = time.monotonic() + self.interval


#: The archived validators of a page, as conditional request headers.
VALIDATOR_HEADERS = {"etag": "If-None-Match", "last-modified": "If-Modified-Since"}


class Fetcher:
    """Fetches pages for the collector.

    Requests to one site never run more than ``concurrency_per_site`` at a time, and each
    starts at least ``min_interval`` seconds (or the site's robots.txt ``Crawl-delay``, if
    longer) after the one before; each is
    retried on timeouts, broken connections, 5xx and 429 with exponential backoff and full
    jitter, or after the server's ``Retry-After`` (giving up at once when that is longer
    than ``backoff_max``), and never on other 4xx. robots.txt is read once per origin and
    honoured unless ``respect_robots`` is off. A site that failed ``breaker_threshold``
    requests in a row (timeouts, broken connections, 5xx, 429, each after its retries) is
    not asked again: its other requests raise :class:`SiteGivenUp` without being sent, and
    those retrying stop. Given a page's archived validators (``ETag``, ``Last-Modified``),
    the request is conditional: a ``304 Not Modified`` comes back as it is, for the caller
    to reuse the archived page.
    """

    def __init__(
        self, settings: CollectSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.user_agent = settings.agent()
        self._client = httpx.AsyncClient(
            headers={"User-Agent": self.user_agent},
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            follow_redirects=True,
            transport=transport,
        )
        self._site_limits: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.site_concurrency())
        )
        self._pacers: defaultdict[str, Pacer] = defaultdict(lambda: Pacer(settings.site_interval()))
        self._breakers: dict[str, Breaker] = {}
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
        self,
        url: str,
        *,
        site: str,
        params: dict[str, Any] | None = None,
        validators: dict[str, str] | None = None,
    ) -> httpx.Response:
        """GET ``url`` for ``site`` (the concurrency and pacing key), conditionally when
        ``validators`` (an archived response's ``etag`` / ``last-modified``) are given and
        ``conditional_requests`` is on: then a 304 is returned, not raised. Raises
        ``FetchError`` once retries are spent, on a non-retryable status, or when robots.txt
        disallows the URL, and ``SiteGivenUp`` when the site's breaker is open."""
        breaker = self.breaker(site)
        _check(breaker)
        if self.settings.respect_robots and not await self._allowed(url, site):
            raise FetchError(f"robots.txt disallows {url} for {self.user_agent!r}")
        headers = {}
        if self.settings.conditional_requests:
            headers = {
                VALIDATOR_HEADERS[name]: value
                for name, value in (validators or {}).items()
                if name in VALIDATOR_HEADERS and value
            }
        async with self._site_limits[site]:
            _check(breaker)  # it may have opened while this request waited for a slot
            return await self._get_with_retries(url, params, breaker, site, headers)

    def breaker(self, site: str) -> Breaker:
        """``site``'s circuit breaker (open: the site is not asked again in this run)."""
        if site not in self._breakers:
            self._breakers[site] = Breaker(site, self.settings.breaker_threshold)
        return self._breakers[site]

    async def _get_with_retries(
        self,
        url: str,
        params: dict[str, Any] | None,
        breaker: Breaker,
        site: str,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            stop=lambda state: self._stop(state) or breaker.open,
            wait=self._wait,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self._pacers[site].wait()
                    response = await self._client.get(url, params=params, headers=headers)
                    if not (headers and response.status_code == 304):
                        response.raise_for_status()
        except httpx.HTTPError as error:
            reason = describe(error)
            asked = _asked_delay(error)
            if asked is not None and asked > self.settings.backoff_max:
                reason += (
                    f"; it asks to wait {asked:.0f} s, longer than backoff_max "
                    f"({self.settings.backoff_max:.0f} s)"
                )
            if _is_retryable(error):  # the site itself is unwell, not this one page
                breaker.failed(reason)
            else:
                breaker.succeeded()
            raise FetchError(reason) from error
        breaker.succeeded()
        return response

    def _stop(self, state: RetryCallState) -> bool:
        """Stop when the retries are spent, or when the server asks for a longer wait than
        ``backoff_max`` (retrying sooner than it allows would only earn another refusal)."""
        if state.attempt_number > self.settings.retries:
            return True
        asked = _asked_delay(state.outcome.exception() if state.outcome else None)
        return asked is not None and asked > self.settings.backoff_max

    def _wait(self, state: RetryCallState) -> float:
        asked = _asked_delay(state.outcome.exception() if state.outcome else None)
        return asked if asked is not None else self._backoff(state)

    async def _allowed(self, url: str, site: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        async with self._robots_locks[origin]:
            if origin not in self._robots:
                self._robots[origin] = await self._read_robots(origin, site)
        return self._robots[origin].can_fetch(self.user_agent, url)

    async def _read_robots(self, origin: str, site: str) -> RobotFileParser:
        """robots.txt as RFC 9309 reads it: a 4xx allows everything; a server or network
        error after retries disallows everything for now, so the page's fetch fails with
        that reason (and is not remembered: the next page asks again). Its ``Crawl-delay``
        for our user agent (or ``*``) spaces the site's requests from then on."""
        parser = RobotFileParser(f"{origin}/robots.txt")
        breaker = self.breaker(site)
        try:
            async with self._site_limits[site]:
                _check(breaker)
                response = await self._get_with_retries(f"{origin}/robots.txt", None, breaker, site)
        except SiteGivenUp:
            raise
        except FetchError as error:
            cause = error.__cause__
            if isinstance(cause, httpx.HTTPStatusError) and cause.response.status_code < 500:
                parser.parse([])
                return parser
            raise FetchError(f"robots.txt unreachable: {error}") from error
        parser.parse(response.text.splitlines())
        delay = parser.crawl_delay(self.user_agent)
        if self.settings.respect_robots and delay is not None:
            self._pacers[site].at_least(float(delay))
        return parser


def _check(breaker: Breaker) -> None:
    if breaker.reason is not None:
        raise SiteGivenUp(breaker.reason)


def _asked_delay(error: BaseException | None) -> float | None:
    """The ``Retry-After`` delay of a failed response, if it carries one."""
    if isinstance(error, httpx.HTTPStatusError):
        return retry_after_seconds(error.response)
    return None
