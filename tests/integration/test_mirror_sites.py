"""Every source's adapter against the real site mirrors: each page its plan asks for is
served (the adapters' parsing is tested in the collection tests)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from horogen.collect.sites import SOURCES
from horogen.mirror.run import MirrorServer
from horogen.mirror.sites import MIRRORS

DAYS = [dt.date(2024, 3, 15), dt.date(2023, 12, 31)]


@pytest.fixture(scope="module")
def mirror():
    with MirrorServer() as server:
        yield server


def test_every_source_has_a_mirror():
    assert set(SOURCES) <= set(MIRRORS)


@pytest.mark.parametrize("day", DAYS, ids=str)
@pytest.mark.parametrize("source_id", sorted(SOURCES))
def test_the_mirror_serves_every_page_a_source_plans(mirror, source_id, day):
    source = SOURCES[source_id](base_url=f"{mirror.url}/{source_id}")
    requests = source.plan(day, today=day)
    assert requests, f"{source_id} plans no pages for {day}"
    with httpx.Client(timeout=10, follow_redirects=True) as client:
        for request in requests:
            response = client.get(request.url, params={"date": day.isoformat()})
            assert response.status_code == 200, f"{request.url}: {response.status_code}"
            assert response.text.strip(), f"{request.url}: empty body"
