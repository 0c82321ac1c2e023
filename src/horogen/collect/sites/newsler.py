"""newsler.ru: one page per category, each with every sign's horoscope for today."""

from __future__ import annotations

import datetime as dt

from horogen.collect.base import Availability, Page, PageRequest, ParsedPage, Source, require
from horogen.collect.sites._html import (
    heading_at,
    nothing_matched,
    parse_html,
    sign_records,
    text_at,
)
from horogen.schema import Category

# Bootstrap grid columns: other blocks of the page share the item's classes, so only
# columns that hold a sign heading count as items.
ITEM = ".col-xs-12.col-md-6"
SIGN = ".t"
TEXT = ".text"

#: Category → path of its page.
PATHS: dict[Category, str] = {
    Category.GENERAL: "/horoscope",
    Category.EROTIC: "/horoscope/erotic",
    Category.ANTI: "/horoscope/anti",
    Category.BUSINESS: "/horoscope/business",
    Category.HEALTH: "/horoscope/health",
    Category.COOK: "/horoscope/cook",
    Category.LOVE: "/horoscope/love",
    Category.MOBILE: "/horoscope/mobile",
}


class Newsler(Source):
    id = "newsler"
    title = "Newsler.ru — гороскопы"
    default_base_url = "https://www.newsler.ru"
    categories = tuple(PATHS)
    availability = Availability()

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        if not self.availability.serves(day, today):
            return []
        return [
            PageRequest(url=self.base_url + path, day=day, name=category.value, category=category)
            for category, path in PATHS.items()
        ]

    def parse(self, page: Page) -> ParsedPage:
        columns = parse_html(page).css(ITEM)
        require(columns, nothing_matched(self, page, ITEM, "item"))
        innermost = [column for column in columns if len(column.css(ITEM)) == 1]  # css() has self
        pairs = [(heading_at(column, SIGN), text_at(column, TEXT)) for column in innermost]
        pairs = [pair for pair in pairs if pair[0] is not None]
        require(pairs, nothing_matched(self, page, f"{ITEM} {SIGN}", "sign heading"))
        return sign_records(self, page, pairs, text_selector=TEXT)
