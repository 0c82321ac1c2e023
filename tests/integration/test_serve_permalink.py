"""Permalinks (server-rendered pages of one horoscope) and categories in the API, in process
over a tiny champion."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from horogen.model.store import ModelStore
from horogen.schema import Category
from horogen.serve.app import build_app
from horogen.serve.schemas import horoscope
from horogen.serve.settings import ServeSettings
from horogen.signs import Sign
from serve_support import EVALUATED, GENERATION, serve_settings, serving_store

HOSTILE = '<script>alert("x")</script> & "кавычки" <b>жирный</b>'


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("serve-permalink")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        store: ModelStore = serving_store(root, versions=1)
    app = build_app(serve_settings(), lake=store.lake, models=store, generation=GENERATION)
    with TestClient(app, raise_server_exceptions=False) as client:
        deadline = time.monotonic() + 60
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the model never loaded"
            time.sleep(0.1)
        yield client


class Page(HTMLParser):
    """The parts of a page a preview or a reader without scripts sees."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[str] = []
        self.title = ""
        self.scripts = 0
        self.lang = ""
        self._in: list[str] = []
        self.text_of: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = found.get("lang", "")
        if tag == "meta" and "content" in found:
            self.meta[found.get("property") or found.get("name", "")] = found["content"]
        if tag == "a":
            self.links.append(found.get("href", ""))
        if tag == "script":
            self.scripts += 1
        self._in.append(found.get("id") or tag)

    def handle_endtag(self, tag: str) -> None:
        if self._in:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "title":
            self.title += data
        if self._in:
            self.text_of[self._in[-1]] = self.text_of.get(self._in[-1], "") + data


def test_a_permalink_is_a_page_readable_without_scripts(api: TestClient) -> None:
    today = ServeSettings().today()
    text = api.get(f"/v1/horoscopes/leo?date={today}&category=love").json()
    answer = api.get(f"/leo/{today}?category=love")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    page = Page(answer.text)
    assert page.lang == "ru" and page.scripts == 0
    assert page.text_of["text"] == text["text"]  # the same text as the API's
    words = f"{today.day} декабря" if today.month == 12 else str(today.day)
    assert page.title.startswith("Лев: любовный гороскоп на ") and words in page.title
    assert page.meta["og:title"] == page.title.removesuffix(" · horogen")
    assert page.meta["og:type"] == "article" and page.meta["og:locale"] == "ru_RU"
    assert page.meta["og:url"] == f"http://testserver/leo/{today}?category=love"
    described = " ".join(text["text"].split())
    assert page.meta["description"] == page.meta["og:description"]
    assert described.startswith(page.meta["description"].removesuffix("…"))
    # Every category of the day is one link away, and so is the interactive page.
    for category in Category:
        assert f"/leo/{today}?category={category.value}" in page.links
    assert f"/?sign=leo&category=love&date={today}" in page.links


def test_a_sign_in_russian_and_today_by_redirect(api: TestClient) -> None:
    today = ServeSettings().today()
    russian = api.get(f"/Лев/{today}")
    assert russian.status_code == 200 and "Лев: общий гороскоп" in russian.text
    moved = api.get("/лев?category=health", follow_redirects=False)
    assert moved.status_code == 307
    assert moved.headers["location"] == f"/leo/{today}?category=health"


def test_the_text_is_escaped(api: TestClient) -> None:
    service = api.app.state.service
    day = ServeSettings().today() + dt.timedelta(days=1)
    hostile = [
        horoscope(
            sign,
            Category.MOBILE,
            day,
            HOSTILE,
            model="horogen/1",
            version=1,
            strategy=EVALUATED,
        )
        for sign in Sign
    ]
    service.stores.texts.store(hostile)
    answer = api.get(f"/aries/{day}?category=mobile")
    assert answer.status_code == 200
    assert "<script>" not in answer.text and "<b>" not in answer.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp;" in answer.text
    page = Page(answer.text)
    assert page.text_of["text"] == HOSTILE and page.scripts == 0
    assert page.meta["og:description"] == HOSTILE


@pytest.mark.parametrize(
    "address",
    [
        "/unicorn/{today}",
        "/leo/{long_ago}",
        "/leo/{far_ahead}",
        "/leo/2026-02-30",
        "/leo/tomorrow",
        "/leo/{today}?category=gossip",
        "/leo/{today}?category=%3Cscript%3E",
        "/<script>/{today}",
    ],
)
def test_an_address_that_names_no_horoscope_is_a_404_page(api: TestClient, address: str) -> None:
    today = ServeSettings().today()
    answer = api.get(
        address.format(
            today=today,
            long_ago=today - dt.timedelta(days=30),
            far_ahead=today + dt.timedelta(days=30),
        )
    )
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "<script>" not in answer.text and 'lang="ru"' in answer.text
    assert "Такого" in answer.text and "/leo" in answer.text  # where the horoscopes are


def test_categories_in_the_api(api: TestClient) -> None:
    about = api.get("/v1/about").json()
    assert about["category_names"]["love"] == "Любовный" and len(about["category_names"]) == 8
    unknown = api.get("/v1/horoscopes/leo?category=gossip")
    assert unknown.status_code == 422
    assert "'love'" in unknown.text and "gossip" in unknown.text
    love = api.get("/v1/horoscopes/leo?category=love").json()
    general = api.get("/v1/horoscopes/leo").json()
    assert (love["category"], general["category"]) == ("love", "general")
    # The page's files are still served beside the two-segment permalinks.
    assert api.get("/static/app.js").status_code == 200
    assert api.get("/v1/nothing").status_code == 404
