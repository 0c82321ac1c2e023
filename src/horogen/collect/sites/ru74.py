"""74.ru: one React-rendered page with every sign's horoscope for today."""

from __future__ import annotations

import datetime as dt

from horogen.collect.base import Availability, Page, PageRequest, ParsedPage, Source, require
from horogen.collect.dates import parse_russian_date
from horogen.collect.sites._html import (
    heading_at,
    nothing_matched,
    parse_html,
    sign_records,
    text_at,
)

# Generated CSS-module class names (March 2024), matched by class word in any order.
ITEM = '[class~="IGRa5"]'
SIGN = '[class~="_4K6U+"][class~="_9dcVo"]'
TEXT = '[class~="BDPZt"][class~="KUbeq"]'
DATE_HEADING = "h1"  # "Гороскоп на 25 ноября"
PATH = "/horoscope/daily/"


class Ru74(Source):
    id = "74ru"
    title = "74.ru — гороскоп на сегодня"
    default_base_url = "https://74.ru"
    availability = Availability()

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        if not self.availability.serves(day, today):
            return []
        return [PageRequest(url=self.base_url + PATH, day=day, name="daily")]

    def parse(self, page: Page) -> ParsedPage:
        tree = parse_html(page)
        items = tree.css(ITEM)
        require(items, nothing_matched(self, page, ITEM, "item"))
        pairs = [(heading_at(item, SIGN), text_at(item, TEXT)) for item in items]
        require(
            any(heading is not None for heading, _ in pairs),
            nothing_matched(self, page, f"{ITEM} {SIGN}", "sign heading"),
        )
        asked = page.request.day  # "25 ноября" without a year: the one nearest the asked day
        day = parse_russian_date(heading_at(tree.root, DATE_HEADING), asked.year, near=asked)
        return sign_records(self, page, pairs, text_selector=TEXT, day=day)
