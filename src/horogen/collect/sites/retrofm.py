"""retrofm.ru: one page with every sign's horoscope for today."""

from __future__ import annotations

import datetime as dt

from selectolax.lexbor import LexborNode

from horogen.collect.base import Page, PageRequest, ParsedPage
from horogen.collect.sites._fallback import HtmlSource
from horogen.collect.sites._html import item_records, parse_html, text_of

ITEM = ".text_box"
SIGN = "h6"  # the text is whatever follows the heading inside the item
PATH = "/goroskop"


class RetroFM(HtmlSource):
    id = "retrofm"
    title = "Ретро FM — гороскоп"
    default_base_url = "https://retrofm.ru"

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        return [PageRequest(url=self.base_url + PATH, day=day, name="goroskop")]

    def parse(self, page: Page) -> ParsedPage:
        return item_records(
            self,
            page,
            parse_html(page).root,
            item=ITEM,
            sign=SIGN,
            text=_after_heading,
            text_selector=f"{ITEM} {SIGN} + …",
        )


def _after_heading(item: LexborNode) -> str | None:
    """The text of what follows the item's heading (bare text, ``<p>``s, ``<br>``s), or
    ``None`` when the item has no heading. Nodes holding the heading are skipped."""
    children = list(item.iter(include_text=True))
    holder = next((i for i, child in enumerate(children) if _holds_heading(child)), None)
    return None if holder is None else text_of(children[holder + 1 :])


def _holds_heading(node: LexborNode) -> bool:
    return node.is_element_node and node.css_matches(SIGN)  # the heading or its wrapper
