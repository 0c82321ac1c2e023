"""newsler.ru: one page per category, each with every sign's horoscope for today."""

from __future__ import annotations

import datetime as dt

from horogen.collect.base import Page, PageRequest, ParsedPage, Source
from horogen.collect.sites._html import item_records, parse_html
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

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        return [
            PageRequest(url=self.base_url + path, day=day, name=category.value, category=category)
            for category, path in PATHS.items()
        ]

    def parse(self, page: Page) -> ParsedPage:
        return item_records(self, page, parse_html(page).root, item=ITEM, sign=SIGN, text=TEXT)
