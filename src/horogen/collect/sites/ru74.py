"""74.ru: one React-rendered page with every sign's horoscope for today."""

from __future__ import annotations

import datetime as dt

from selectolax.lexbor import LexborHTMLParser

from horogen.collect.base import Page, PageFacts, PageRequest, ParsedPage, Source
from horogen.collect.dates import parse_russian_date
from horogen.collect.sites._html import canonical_url, heading_at, item_records, parse_html

# Generated CSS-module class names (March 2024), matched by class word in any order.
ITEM = '[class~="IGRa5"]'
SIGN = '[class~="_4K6U+"][class~="_9dcVo"]'
TEXT = '[class~="BDPZt"][class~="KUbeq"]'
DATE_HEADING = "h1"  # "Гороскоп на 25 ноября"
TITLE = "title"  # "Гороскоп на сегодня, 25 ноября 2024 года, …": the date with its year
PATH = "/horoscope/daily/"


class Ru74(Source):
    id = "74ru"
    title = "74.ru — гороскоп на сегодня"
    default_base_url = "https://74.ru"

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        return [PageRequest(url=self.base_url + PATH, day=day, name="daily")]

    def parse(self, page: Page) -> ParsedPage:
        root = parse_html(page).root
        asked = page.request.day  # "25 ноября" without a year: the one nearest the asked day
        day = parse_russian_date(heading_at(root, DATE_HEADING), asked.year, near=asked)
        return item_records(self, page, root, item=ITEM, sign=SIGN, text=TEXT, day=day)

    def page_facts(self, body: str, today: dt.date) -> PageFacts:
        tree = LexborHTMLParser(body)
        day = None
        for selector in (TITLE, DATE_HEADING):
            day = day or parse_russian_date(heading_at(tree.root, selector), today.year, near=today)
        return PageFacts(url=canonical_url(tree), day=day)
