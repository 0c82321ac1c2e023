"""Politeness against a local site that records request times and headers: one request in
flight and at least a second between requests to a real site by default, robots.txt's
Crawl-delay, a User-Agent with the contact URL, conditional requests; the mirror keeps its
speed."""

from __future__ import annotations

import asyncio
from itertools import pairwise

from polite_server import PoliteSite

from horogen.collect.fetch import Fetcher
from horogen.collect.settings import POLITE_INTERVAL, CollectSettings


async def get_all(settings: CollectSettings, urls: list[str]) -> list[int]:
    async with Fetcher(settings) as fetcher:
        responses = await asyncio.gather(*(fetcher.get(url, site="site") for url in urls))
    return [response.status_code for response in responses]


def test_production_defaults_ask_one_page_at_a_time_a_second_apart() -> None:
    with PoliteSite(delay=0.2) as site:
        settings = CollectSettings()  # what production gets: no mirror
        statuses = asyncio.run(get_all(settings, [f"{site.url}/p{i}" for i in range(4)]))
        pages = site.pages()

    assert statuses == [200] * 4 and len(pages) == 4
    for before, after in pairwise(pages):
        assert after.started >= before.ended  # never two in flight
        # Arrivals at the site; scheduling may bring them a little closer than the client's.
        assert after.started - before.started >= POLITE_INTERVAL - 0.25
    assert settings.site_concurrency() == 1 and settings.site_interval() >= 1.0


def test_robots_txt_crawl_delay_is_honoured_over_a_shorter_interval() -> None:
    robots = "User-agent: *\nCrawl-delay: 2\nAllow: /\n"
    with PoliteSite(robots=robots, delay=0.01) as site:
        settings = CollectSettings(min_interval=0.1, concurrency_per_site=4)
        asyncio.run(get_all(settings, [f"{site.url}/p{i}" for i in range(3)]))
        pages = site.pages()

    starts = [seen.started for seen in pages]
    assert len(starts) == 3
    # The site sees arrivals, which the machine's scheduling may bring closer than the
    # client's 2 s by a little; the interval alone (0.1 s) would give 0.1 s.
    assert all(later - earlier >= 2 - 0.25 for earlier, later in pairwise(starts)), starts


def test_the_crawl_delay_of_another_agent_does_not_apply() -> None:
    robots = "User-agent: slowbot\nCrawl-delay: 5\n\nUser-agent: *\nAllow: /\n"
    with PoliteSite(robots=robots, delay=0.01) as site:
        settings = CollectSettings(min_interval=0.0, concurrency_per_site=4)
        asyncio.run(get_all(settings, [f"{site.url}/p{i}" for i in range(3)]))
        starts = [seen.started for seen in site.pages()]
    assert starts[-1] - starts[0] < 1


def test_the_user_agent_names_the_contact_url_from_the_settings() -> None:
    with PoliteSite() as site:
        settings = CollectSettings(contact_url="https://ops.example.org/horogen", min_interval=0)
        asyncio.run(get_all(settings, [f"{site.url}/p"]))
        agents = {seen.headers["User-Agent"] for seen in site.seen}
    assert agents == {"horogen/0.1 (+https://ops.example.org/horogen)"}


def test_a_conditional_request_sends_the_validators_and_gets_a_304() -> None:
    with PoliteSite() as site:
        settings = CollectSettings(min_interval=0)

        async def twice() -> tuple[int, int, dict[str, str]]:
            async with Fetcher(settings) as fetcher:
                first = await fetcher.get(f"{site.url}/p", site="site")
                validators = {
                    "etag": first.headers["ETag"],
                    "last-modified": first.headers["Last-Modified"],
                }
                second = await fetcher.get(f"{site.url}/p", site="site", validators=validators)
            return first.status_code, second.status_code, validators

        first, second, validators = asyncio.run(twice())
        asked = site.pages()[1].headers

    assert (first, second) == (200, 304)
    assert asked["If-None-Match"] == validators["etag"]
    assert asked["If-Modified-Since"] == validators["last-modified"]


def test_conditional_requests_can_be_turned_off() -> None:
    with PoliteSite() as site:
        settings = CollectSettings(min_interval=0, conditional_requests=False)

        async def once() -> int:
            async with Fetcher(settings) as fetcher:
                validators = {"etag": site.etag("/p")}
                return (
                    await fetcher.get(f"{site.url}/p", site="site", validators=validators)
                ).status_code

        assert asyncio.run(once()) == 200
        assert "If-None-Match" not in site.pages()[0].headers


def test_a_mirror_keeps_its_speed() -> None:
    with PoliteSite(delay=0.1) as site:
        settings = CollectSettings(mirror=site.url)
        asyncio.run(get_all(settings, [f"{site.url}/p{i}" for i in range(8)]))
        pages = site.pages()
    in_flight = max(
        sum(1 for other in pages if other.started <= seen.started < other.ended) for seen in pages
    )
    assert in_flight >= 2  # several requests at once
    assert pages[-1].started - pages[0].started < 1.0  # not a second apart
