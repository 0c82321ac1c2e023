"""newsler.ru: one page per category, each with every sign's horoscope for today."""

from __future__ import annotations

import datetime as dt

from selectolax.lexbor import LexborHTMLParser

from horogen.collect.base import Page, PageFacts, PageRequest, ParsedPage
from horogen.collect.dates import parse_russian_date
from horogen.collect.sites._fallback import HtmlSource
from horogen.collect.sites._html import canonical_url, heading_at, item_records, parse_html
from horogen.schema import Category

TITLE = "h1"  # "Любовный гороскоп": the page's category
DATE = "title"  # "Любовный гороскоп на 25.11.2024 — Newsler.ru": the page's date
# Bootstrap grid columns: other blocks of the page share the item's classes, so only the
# innermost columns that hold a sign heading (at any depth: ``.horoscope-block .ico .t``)
# count as items.
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
#: The word (its stem) that names each category in a page's title; the others are general.
TITLE_WORDS: dict[Category, str] = {
    Category.EROTIC: "эротич",
    Category.ANTI: "антигороскоп",
    Category.BUSINESS: "бизнес",
    Category.HEALTH: "здоров",
    Category.COOK: "кулинар",
    Category.LOVE: "любов",
    Category.MOBILE: "мобил",
}


class Newsler(HtmlSource):
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
        tree = parse_html(page)
        day = _stated_date(tree, page.request.day)
        return item_records(self, page, tree.root, item=ITEM, sign=SIGN, text=TEXT, day=day)

    def page_facts(self, body: str, today: dt.date) -> PageFacts:
        """The page's heading names its category ("Любовный гороскоп"); its title, the day."""
        tree = LexborHTMLParser(body)
        title = (heading_at(tree.root, TITLE) or "").lower()
        category = next((c for c, word in TITLE_WORDS.items() if word in title), None)
        if category is None and "гороскоп" in title:
            category = Category.GENERAL
        day = _stated_date(tree, today)
        return PageFacts(url=canonical_url(tree), category=category, day=day)


def _stated_date(tree: LexborHTMLParser, near: dt.date) -> dt.date | None:
    return parse_russian_date(heading_at(tree.root, DATE), near.year, near=near)
