import asyncio
import time

import httpx
import pytest

from horogen.collect.fetch import Fetcher, retry_after_seconds
from horogen.collect.settings import CollectSettings
from horogen.errors import FetchError, SiteGivenUp

FAST = CollectSettings(
    retries=3,
    backoff_base=0.01,
    backoff_max=0.05,
    respect_robots=False,
    min_interval=0,
    concurrency_per_site=4,
)


class Site:
    """A scripted site: answers each path from a list of responses, then the last one."""

    def __init__(self, script: dict[str, list[httpx.Response | Exception]]) -> None:
        self.script = script
        self.calls: dict[str, int] = {}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        count = self.calls.get(path, 0)
        self.calls[path] = count + 1
        answers = self.script[path]
        answer = answers[min(count, len(answers) - 1)]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def fetch(site: Site, url: str, settings: CollectSettings = FAST) -> httpx.Response:
    async with Fetcher(settings, transport=httpx.MockTransport(site)) as fetcher:
        return await fetcher.get(url, site="test")


def test_retries_5xx_and_429_then_succeeds() -> None:
    site = Site({"/p": [httpx.Response(503), httpx.Response(429), httpx.Response(200, text="ok")]})
    response = asyncio.run(fetch(site, "https://example.test/p"))
    assert response.text == "ok"
    assert site.calls["/p"] == 3


def test_retries_timeouts_and_connection_errors() -> None:
    request = httpx.Request("GET", "https://example.test/p")
    site = Site(
        {
            "/p": [
                httpx.ReadTimeout("slow", request=request),
                httpx.ConnectError("refused", request=request),
                httpx.Response(200, text="ok"),
            ]
        }
    )
    assert asyncio.run(fetch(site, "https://example.test/p")).text == "ok"


def test_gives_up_after_the_configured_retries_with_a_clear_reason() -> None:
    site = Site({"/p": [httpx.Response(500)]})
    with pytest.raises(FetchError, match=r"HTTP 500 from https://example.test/p"):
        asyncio.run(fetch(site, "https://example.test/p"))
    assert site.calls["/p"] == FAST.retries + 1


@pytest.mark.parametrize("status", [400, 403, 404, 410])
def test_never_retries_other_client_errors(status: int) -> None:
    site = Site({"/p": [httpx.Response(status)]})
    with pytest.raises(FetchError, match=f"HTTP {status}"):
        asyncio.run(fetch(site, "https://example.test/p"))
    assert site.calls["/p"] == 1


def test_waits_as_long_as_retry_after_asks() -> None:
    site = Site({"/p": [httpx.Response(429, headers={"Retry-After": "0.3"}), httpx.Response(200)]})
    started = time.perf_counter()
    asyncio.run(fetch(site, "https://example.test/p", FAST.model_copy(update={"backoff_max": 1})))
    assert time.perf_counter() - started >= 0.3
    assert site.calls["/p"] == 2


def test_gives_up_at_once_when_retry_after_exceeds_the_backoff_cap() -> None:
    site = Site({"/p": [httpx.Response(503, headers={"Retry-After": "120"}), httpx.Response(200)]})
    with pytest.raises(FetchError, match=r"asks to wait 120 s, longer than backoff_max"):
        asyncio.run(fetch(site, "https://example.test/p"))
    assert site.calls["/p"] == 1


@pytest.mark.parametrize("status", [502, 507, 520, 599])
def test_every_server_error_is_retried(status: int) -> None:
    site = Site({"/p": [httpx.Response(status), httpx.Response(200, text="ok")]})
    assert asyncio.run(fetch(site, "https://example.test/p")).text == "ok"


def test_an_unsupported_url_is_not_retried() -> None:
    request = httpx.Request("GET", "https://example.test/p")
    site = Site({"/p": [httpx.UnsupportedProtocol("no", request=request), httpx.Response(200)]})
    with pytest.raises(FetchError):
        asyncio.run(fetch(site, "https://example.test/p"))
    assert site.calls["/p"] == 1


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "7"})) == 7
    past = httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_after_seconds(past) == 0
    assert retry_after_seconds(httpx.Response(503)) is None


def test_robots_txt_is_honoured_and_read_once() -> None:
    robots = "User-agent: *\nDisallow: /private/\n"
    site = Site(
        {
            "/robots.txt": [httpx.Response(200, text=robots)],
            "/open": [httpx.Response(200, text="ok")],
            "/private/x": [httpx.Response(200, text="secret")],
        }
    )
    settings = FAST.model_copy(update={"respect_robots": True})

    async def run() -> None:
        async with Fetcher(settings, transport=httpx.MockTransport(site)) as fetcher:
            assert (await fetcher.get("https://example.test/open", site="t")).text == "ok"
            with pytest.raises(FetchError, match=r"robots\.txt disallows"):
                await fetcher.get("https://example.test/private/x", site="t")

    asyncio.run(run())
    assert site.calls == {"/robots.txt": 1, "/open": 1}


def test_an_unreachable_robots_txt_fails_the_page_and_is_asked_again() -> None:
    site = Site(
        {
            "/robots.txt": [httpx.Response(503), httpx.Response(200, text="User-agent: *\n")],
            "/p": [httpx.Response(200, text="ok")],
        }
    )
    settings = FAST.model_copy(update={"respect_robots": True, "retries": 0})

    async def run() -> None:
        async with Fetcher(settings, transport=httpx.MockTransport(site)) as fetcher:
            with pytest.raises(FetchError, match=r"robots\.txt unreachable: HTTP 503"):
                await fetcher.get("https://example.test/p", site="t")
            assert (await fetcher.get("https://example.test/p", site="t")).text == "ok"

    asyncio.run(run())
    assert site.calls == {"/robots.txt": 2, "/p": 1}


def test_missing_robots_txt_allows_everything() -> None:
    site = Site({"/robots.txt": [httpx.Response(404)], "/p": [httpx.Response(200, text="ok")]})
    settings = FAST.model_copy(update={"respect_robots": True})
    assert asyncio.run(fetch(site, "https://example.test/p", settings)).text == "ok"


def test_sends_the_configured_user_agent() -> None:
    seen: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["User-Agent"])
        return httpx.Response(200)

    settings = FAST.model_copy(update={"user_agent": "horogen-test/1"})

    async def run() -> None:
        async with Fetcher(settings, transport=httpx.MockTransport(handler)) as fetcher:
            await fetcher.get("https://example.test/", site="t")

    asyncio.run(run())
    assert seen == ["horogen-test/1"]


def test_concurrency_per_site_is_limited() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return httpx.Response(200)

    settings = FAST.model_copy(update={"concurrency_per_site": 2})

    async def run() -> None:
        async with Fetcher(settings, transport=httpx.MockTransport(handler)) as fetcher:
            await asyncio.gather(
                *(fetcher.get(f"https://example.test/{i}", site="t") for i in range(8))
            )

    asyncio.run(run())
    assert peak == 2


# --- the circuit breaker -----------------------------------------------------------------


async def fetch_all(site: Site, paths: list[str], settings: CollectSettings) -> list[object]:
    """Fetch ``paths`` from one site one after another: each outcome, response or error."""
    outcomes: list[object] = []
    async with Fetcher(settings, transport=httpx.MockTransport(site)) as fetcher:
        for path in paths:
            try:
                outcomes.append(await fetcher.get(f"https://example.test{path}", site="test"))
            except FetchError as error:
                outcomes.append(error)
    return outcomes


def test_a_site_failing_requests_in_a_row_is_given_up_without_asking_it_again() -> None:
    request = httpx.Request("GET", "https://example.test/")
    site = Site({f"/{n}": [httpx.ConnectError("refused", request=request)] for n in range(5)})
    settings = FAST.model_copy(update={"retries": 1, "breaker_threshold": 2})
    outcomes = asyncio.run(fetch_all(site, [f"/{n}" for n in range(5)], settings))

    assert site.calls == {"/0": 2, "/1": 2}  # two requests of two attempts each, then none
    assert [type(outcome) for outcome in outcomes] == [FetchError] * 2 + [SiteGivenUp] * 3
    assert str(outcomes[2]) == (
        "test failed 2 request(s) in a row (last: ConnectError on https://example.test/1: "
        "refused); not asked again in this run"
    )


def test_an_answer_between_failures_keeps_the_site_in() -> None:
    # A 404 is the site answering: only failures in a row (5xx, timeouts, …) count.
    script = {"/a": [httpx.Response(500)], "/b": [httpx.Response(404)], "/c": [httpx.Response(500)]}
    site = Site(script | {"/d": [httpx.Response(200)]})
    settings = FAST.model_copy(update={"retries": 0, "breaker_threshold": 2})
    outcomes = asyncio.run(fetch_all(site, ["/a", "/b", "/c", "/d"], settings))
    assert isinstance(outcomes[-1], httpx.Response)
    assert site.calls == {"/a": 1, "/b": 1, "/c": 1, "/d": 1}


def test_threshold_zero_never_gives_up() -> None:
    site = Site({f"/{n}": [httpx.Response(503)] for n in range(4)})
    settings = FAST.model_copy(update={"retries": 0, "breaker_threshold": 0})
    outcomes = asyncio.run(fetch_all(site, [f"/{n}" for n in range(4)], settings))
    assert not any(isinstance(outcome, SiteGivenUp) for outcome in outcomes)
    assert sum(site.calls.values()) == 4


def test_a_request_still_retrying_stops_once_the_breaker_opens() -> None:
    site = Site({"/slow": [httpx.Response(503, headers={"Retry-After": "0.2"})]})
    site.script["/fast"] = [httpx.Response(500)]
    settings = FAST.model_copy(update={"retries": 5, "backoff_max": 1, "breaker_threshold": 1})
    attempts_when_open = 0

    async def both() -> None:
        nonlocal attempts_when_open
        async with Fetcher(settings, transport=httpx.MockTransport(site)) as fetcher:
            slow = asyncio.create_task(fetcher.get("https://example.test/slow", site="test"))
            while not site.calls.get("/slow"):
                await asyncio.sleep(0.01)
            with pytest.raises(FetchError):  # its sixth failed attempt opens the breaker
                await fetcher.get("https://example.test/fast", site="test")
            attempts_when_open = site.calls["/slow"]
            with pytest.raises(FetchError, match="HTTP 503"):
                await slow

    asyncio.run(both())
    assert site.calls["/fast"] == 6
    assert site.calls["/slow"] <= attempts_when_open + 1  # the attempt under way, no more
