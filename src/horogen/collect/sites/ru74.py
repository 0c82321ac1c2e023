"""74.ru: one React-rendered page with every sign's horoscope for today.

Its CSS-module class names change with each build; the selectors name the builds seen:
items of the known generated class (the sign and the text in their own classes), or
``forecastBlock_…`` blocks whose ``h2`` names the sign ("Гороскоп для овнов") and whose
text is the rest of the block.
"""

from __future__ import annotations

import datetime as dt

from selectolax.lexbor import LexborHTMLParser, LexborNode

from horogen.collect.base import Page, PageFacts, PageRequest, ParsedPage
from horogen.collect.dates import parse_russian_date
from horogen.collect.sites._fallback import HtmlSource
from horogen.collect.sites._html import (
    canonical_url,
    heading_at,
    item_records,
    parse_html,
    text_of,
)

# Generated CSS-module class names (2023–2024 builds), matched by class word in any order.
ITEM = '[class~="IGRa5"], [class*="forecastBlock_"]'
SIGN = (
    '[class~="_4K6U+"][class~="_9dcVo"], [class~="kO5pM"][class~="aTz6W"], '
    '[class*="forecastBlock_"] h2'
)
TEXT = '[class~="BDPZt"][class~="KUbeq"], [class~="_2j-zP"][class~="_1ylC5"]'
#: Items whose text is the item without its heading (no text class).
WHOLE_TEXT_ITEM = '[class*="forecastBlock_"]'
DATE_HEADING = "h1"  # "Гороскоп на 25 ноября"
TITLE = "title"  # "Гороскоп на сегодня, 25 ноября 2024 года, …": the date with its year
PATH = "/horoscope/daily/"


class Ru74(HtmlSource):
    id = "74ru"
    title = "74.ru — гороскоп на сегодня"
    default_base_url = "https://74.ru"

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        return [PageRequest(url=self.base_url + PATH, day=day, name="daily")]

    def parse(self, page: Page) -> ParsedPage:
        root = parse_html(page).root
        asked = page.request.day  # "25 ноября" without a year: the one nearest the asked day
        day = parse_russian_date(heading_at(root, DATE_HEADING), asked.year, near=asked)
        return item_records(
            self, page, root, item=ITEM, sign=SIGN, text=_text, text_selector=TEXT, day=day
        )

    def page_facts(self, body: str, today: dt.date) -> PageFacts:
        tree = LexborHTMLParser(body)
        day = None
        for selector in (TITLE, DATE_HEADING):
            day = day or parse_russian_date(heading_at(tree.root, selector), today.year, near=today)
        return PageFacts(url=canonical_url(tree), day=day)


def _text(item: LexborNode) -> str | None:
    """The item's text element; for a ``WHOLE_TEXT_ITEM``, the item without its heading."""
    if item.css_matches(WHOLE_TEXT_ITEM):
        return text_of([item])
    found = item.css_first(TEXT)
    return None if found is None else text_of([found])
