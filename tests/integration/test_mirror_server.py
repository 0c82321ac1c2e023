"""The mirror server over real HTTP on 127.0.0.1, with a fake site (the real sites' mirrors
are tested with their adapters)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import urllib.robotparser

import httpx
import pytest

from horogen.mirror.base import Layout, Rendered, SiteMirror, TextFn
from horogen.mirror.faults import Fault
from horogen.mirror.run import MirrorServer
from horogen.mirror.texts import horoscope_text
from horogen.schema import Category
from horogen.signs import Sign

DAY = dt.date(2024, 3, 15)
PAGE = "horoscope/daily/"


class FakeMirror(SiteMirror):
    """One page, as JSON, saying what the server passed to ``render``."""

    source_id = "fake"

    def render(
        self, path: str, today: dt.date, site_url: str, layout: Layout, texts: TextFn
    ) -> Rendered | None:
        if path != PAGE:
            return None
        body = {
            "today": today.isoformat(),
            "site_url": site_url,
            "layout": layout,
            "text": texts(self.source_id, Sign.ARIES, Category.GENERAL, today),
        }
        return Rendered(json.dumps(body, ensure_ascii=False), "application/json")


class OtherMirror(FakeMirror):
    source_id = "other"


@pytest.fixture(scope="module")
def server():
    with MirrorServer(mirrors={"fake": FakeMirror(), "other": OtherMirror()}) as mirror:
        yield mirror


@pytest.fixture
def mirror(server: MirrorServer):
    server.faults.clear()
    server.log.clear()
    yield server
    server.faults.clear()


@pytest.fixture
def client(mirror: MirrorServer):
    with httpx.Client(base_url=mirror.url, timeout=5) as http:
        yield http


def page(client: httpx.Client, source: str = "fake", day: dt.date | None = DAY) -> httpx.Response:
    params = {"date": day.isoformat()} if day else {}
    return client.get(f"/{source}/{PAGE}", params=params)


def test_routes_to_the_site_with_the_date_the_site_url_and_the_texts(client, mirror):
    response = page(client)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body == {
        "today": "2024-03-15",
        "site_url": f"{mirror.url}/fake",
        "layout": "current",
        "text": horoscope_text("fake", Sign.ARIES, Category.GENERAL, DAY),
    }


def test_without_a_date_the_site_shows_the_real_today(client):
    assert page(client, day=None).json()["today"] == dt.date.today().isoformat()


def test_a_mirror_posing_as_the_live_sites_shows_its_own_today_without_a_date():
    with (
        MirrorServer(mirrors={"fake": FakeMirror()}, today=DAY) as mirror,
        httpx.Client(base_url=mirror.url, timeout=5) as client,
    ):
        assert page(client, day=None).json()["today"] == "2024-03-15"
        assert page(client, day=dt.date(2024, 1, 2)).json()["today"] == "2024-01-02"


def test_lag_serves_the_page_of_an_earlier_day(client, mirror):
    mirror.faults.set("fake", lag=2)
    assert [page(client).json()["today"] for _ in range(2)] == ["2024-03-13"] * 2
    assert page(client, "other").json()["today"] == "2024-03-15"


def test_the_redirect_route_sends_a_moved_site_on(client, mirror):
    response = client.get(f"/_redirect/fake/{PAGE}", params={"date": "2024-03-15"})
    assert response.status_code == 301
    assert response.headers["location"] == f"{mirror.url}/fake/{PAGE}?date=2024-03-15"
    followed = client.get(
        f"/_redirect/fake/{PAGE}", params={"date": "2024-03-15"}, follow_redirects=True
    )
    assert followed.json()["today"] == "2024-03-15"
    assert mirror.log.count("fake") == 1  # the redirect itself is no request to the site


def test_unknown_site_or_page_is_404(client):
    assert client.get("/nosuchsite/horoscope/daily/").status_code == 404
    response = client.get("/fake/no/such/page", params={"date": "2024-03-15"})
    assert response.status_code == 404
    assert "no page" in response.json()["detail"]


@pytest.mark.parametrize("bad", ["2024-13-01", "yesterday", "20240315", "2024-3-5", ""])
def test_a_bad_date_is_400_with_a_clear_message(client, bad):
    response = client.get(f"/fake/{PAGE}", params={"date": bad})
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.json()["detail"]


def test_status_fault_for_the_first_requests_then_recovers(client, mirror):
    mirror.faults.set("fake", status=503, times=2, retry_after=1)
    first, second, third = (page(client) for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
    assert first.headers["retry-after"] == "1"
    assert "retry-after" not in third.headers
    assert page(client, "other").status_code == 200  # other sites are unaffected
    assert mirror.log.count("fake") == 3
    assert mirror.log.count("fake", status=503) == 2


def test_status_fault_without_times_never_recovers(client, mirror):
    mirror.faults.set("fake", status=500)
    assert [page(client).status_code for _ in range(4)] == [500] * 4


def test_setting_a_fault_again_restarts_its_count(client, mirror):
    mirror.faults.set("fake", status=429, times=1)
    assert [page(client).status_code for _ in range(2)] == [429, 200]
    mirror.faults.set("fake", status=429, times=1)
    assert page(client).status_code == 429


def test_delay_slows_the_answer(client, mirror):
    mirror.faults.set("fake", delay=0.5)
    started = time.monotonic()
    assert page(client).status_code == 200
    assert time.monotonic() - started >= 0.5


def test_hang_outlasts_the_client_read_timeout(mirror):
    mirror.faults.set("fake", hang=True, times=1)
    with httpx.Client(base_url=mirror.url, timeout=httpx.Timeout(5, read=0.3)) as client:
        with pytest.raises(httpx.ReadTimeout):
            page(client)
        assert page(client, "other").status_code == 200  # the server still answers others
        assert page(client).status_code == 200  # times=1: the retry gets through
    assert mirror.log.count("fake") == 2


def test_stopping_does_not_wait_for_a_hanging_request():
    outcome: list[object] = []

    def hang(url: str) -> None:
        try:
            outcome.append(httpx.get(url, timeout=30).status_code)
        except httpx.TransportError as error:
            outcome.append(error)

    with MirrorServer(mirrors={"fake": FakeMirror()}) as mirror:
        mirror.faults.set("fake", hang=True)
        thread = threading.Thread(target=hang, args=(f"{mirror.url}/fake/{PAGE}",))
        thread.start()
        while not mirror.log.count("fake"):  # the request is hanging
            time.sleep(0.01)
    thread.join(timeout=10)
    assert outcome == [503]  # the server ended it: the hang itself lasts an hour


def test_clearing_a_hang_answers_the_requests_it_holds(mirror):
    mirror.faults.set("fake", hang=True)
    outcome: list[int] = []
    thread = threading.Thread(
        target=lambda: outcome.append(
            httpx.get(f"{mirror.url}/fake/{PAGE}", timeout=30).status_code
        )
    )
    thread.start()
    while not mirror.log.count("fake"):
        time.sleep(0.01)
    assert outcome == []
    mirror.faults.clear("fake")
    thread.join(timeout=10)
    assert outcome == [200]


@pytest.mark.parametrize("layout", ["legacy", "changed"])
def test_layout_fault_switches_the_layout(client, mirror, layout):
    mirror.faults.set("fake", layout=layout)
    assert page(client).json()["layout"] == layout
    assert page(client, "other").json()["layout"] == "current"


def robots(client: httpx.Client, path: str = "/robots.txt") -> urllib.robotparser.RobotFileParser:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(response.text.splitlines())
    return parser


def test_robots_txt_allows_everything_by_default(client, mirror):
    parser = robots(client)
    assert parser.can_fetch("horogen", f"{mirror.url}/fake/{PAGE}")
    assert parser.can_fetch("horogen", f"{mirror.url}/other/{PAGE}")


@pytest.mark.parametrize("path", ["/robots.txt", "/fake/robots.txt"])
def test_robots_txt_disallows_a_source(client, mirror, path):
    mirror.faults.set("fake", disallow=True)
    parser = robots(client, path)
    assert not parser.can_fetch("horogen", f"{mirror.url}/fake/{PAGE}")
    assert parser.can_fetch("horogen", f"{mirror.url}/other/{PAGE}")
    assert page(client).status_code == 200  # robots.txt is advice; the page is still there
    assert mirror.log.count("fake") == 1  # robots.txt is not counted as a page request


def test_request_log_counts_per_source(client, mirror):
    for _ in range(3):
        page(client)
    page(client, "other")
    assert mirror.log.counts() == {"fake": 3, "other": 1}
    assert client.get("/_requests").json() == {"fake": 3, "other": 1}
    entry = mirror.log.entries[0]
    assert (entry.source, entry.path, entry.date, entry.status) == ("fake", PAGE, "2024-03-15", 200)


def test_faults_can_be_set_over_http(client, mirror):
    response = client.put(
        "/_faults", json={"fake": {"status": 500, "times": 1}, "other": {"layout": "changed"}}
    )
    assert response.status_code == 200
    assert mirror.faults.get("fake") == Fault(status=500, times=1)
    assert client.get("/_faults").json()["other"]["layout"] == "changed"
    assert [page(client).status_code for _ in range(2)] == [500, 200]
    assert page(client, "other").json()["layout"] == "changed"

    client.put("/_faults", json={"other": {"delay": 0.1}})  # PUT replaces every fault
    assert mirror.faults.get("fake") == Fault()
    assert client.delete("/_faults").json() == {}
    assert mirror.faults.snapshot() == {}


@pytest.mark.parametrize(
    "bad", [{"fake": {"status": 200}}, {"fake": {"layout": "new"}}, {"fake": {"color": "red"}}]
)
def test_invalid_faults_are_rejected(client, mirror, bad):
    assert client.put("/_faults", json=bad).status_code == 422
    assert mirror.faults.snapshot() == {}


def test_index_lists_the_sites(client, mirror):
    mirror.faults.set("other", status=503)
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert f"{mirror.url}/fake/" in response.text
    assert "other" in response.text
    assert "503" in response.text
