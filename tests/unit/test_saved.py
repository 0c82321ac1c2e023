"""Reading a saved page: the request it answers, from what is given and what it states."""

from __future__ import annotations

import datetime as dt

import pytest

from horogen.collect.saved import decode_page, saved_request
from horogen.collect.sites.astroscope import Astroscope
from horogen.collect.sites.ignio import Ignio
from horogen.collect.sites.mailru import MailRu
from horogen.collect.sites.newsler import Newsler
from horogen.collect.sites.rambler import Rambler
from horogen.errors import HorogenError
from horogen.schema import Category
from horogen.signs import Sign
from unit.sites_support import fixture_text

TODAY = dt.date(2026, 11, 30)  # none of the fixtures is for this day


def test_a_one_sign_page_is_its_headings_sign_at_its_canonical_address() -> None:
    request = saved_request(MailRu(), fixture_text("mailru", "saved_scorpio.html"), today=TODAY)
    assert (request.sign, request.day, request.name) == (
        Sign.SCORPIO,
        dt.date(2026, 11, 24),
        "scorpio",
    )
    assert request.url == "https://horo.mail.ru/prediction/scorpio/today/"


def test_a_canonical_link_for_tomorrow_matches_the_page_of_that_slug() -> None:
    request = saved_request(MailRu(), fixture_text("mailru", "legacy.html"), today=TODAY)
    assert (request.sign, request.url) == (
        Sign.PISCES,
        "https://horo.mail.ru/prediction/pisces/tomorrow/",
    )


def test_an_archive_page_is_for_the_day_it_states() -> None:
    request = saved_request(Rambler(), fixture_text("rambler", "current_archive.html"), today=TODAY)
    assert (request.sign, request.day) == (Sign.LEO, dt.date(2025, 3, 3))


def test_a_sign_page_of_a_site_whose_first_page_is_an_index() -> None:
    body = fixture_text("astroscope", "sign_skorpion.html")
    request = saved_request(Astroscope(), body, today=TODAY)
    assert (request.sign, request.day) == (Sign.SCORPIO, dt.date(2024, 11, 25))
    assert request.url == "https://astroscope.ru/horoskop/ejednevniy_goroskop/skorpion.html"
    index = saved_request(Astroscope(), fixture_text("astroscope", "index.html"), today=TODAY)
    assert (index.sign, index.name) == (None, "index")


def test_a_feed_is_for_its_own_today() -> None:
    request = saved_request(Ignio(), fixture_text("ignio", "com.xml"), today=TODAY)
    assert request.day == dt.date(2026, 11, 25)


def test_a_category_page_is_found_by_its_title() -> None:
    body = fixture_text("newsler", "good.html").replace(
        "<h1>Гороскоп на сегодня</h1>", "<h1>Любовный гороскоп</h1>"
    )
    request = saved_request(Newsler(), body, today=TODAY)
    assert (request.category, request.url) == (
        Category.LOVE,
        "https://www.newsler.ru/horoscope/love",
    )


def test_what_is_given_wins() -> None:
    body = fixture_text("ignio", "com.xml")
    url = "https://ignio.com/r/export/utf/xml/daily/lov.xml"
    request = saved_request(Ignio(), body, today=TODAY, url=url, day=dt.date(2026, 11, 26))
    assert (request.category, request.day) == (Category.LOVE, dt.date(2026, 11, 26))


def test_a_given_sign_the_heading_contradicts_is_an_error() -> None:
    body = fixture_text("mailru", "saved_scorpio.html")
    with pytest.raises(HorogenError, match=r"about Скорпион \(scorpio\), not Овен \(aries\)"):
        saved_request(MailRu(), body, today=TODAY, sign=Sign.ARIES)


def test_pages_are_decoded_as_they_declare() -> None:
    page = '<meta charset="windows-1251"><h1>Овен</h1>'
    assert decode_page(page.encode("cp1251")) == page
    assert decode_page("\ufeff<h1>Овен</h1>".encode()) == "<h1>Овен</h1>"
