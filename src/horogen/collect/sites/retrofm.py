"""retrofm.ru: one page with every sign's horoscope for today."""

from __future__ import annotations

import datetime as dt

from selectolax.lexbor import LexborNode

from horogen.collect.base import Availability, Page, PageRequest, ParsedPage, Source, require
from horogen.collect.sites._html import (
    block_text,
    heading_at,
    nothing_matched,
    parse_html,
    sign_records,
)

ITEM = ".text_box"
SIGN = "h6"  # the text is whatever follows the heading inside the item
PATH = "/goroskop"


class RetroFM(Source):
    id = "retrofm"
    title = "Ретро FM — гороскоп"
    default_base_url = "https://retrofm.ru"
    availability = Availability()

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        if not self.availability.serves(day, today):
            return []
        return [PageRequest(url=self.base_url + PATH, day=day, name="goroskop")]

    def parse(self, page: Page) -> ParsedPage:
        items = parse_html(page).css(ITEM)
        require(items, nothing_matched(self, page, ITEM, "item"))
        pairs = [(heading_at(item, SIGN), _after_heading(item)) for item in items]
        require(
            any(heading is not None for heading, _ in pairs),
            nothing_matched(self, page, f"{ITEM} {SIGN}", "sign heading"),
        )
        return sign_records(self, page, pairs, text_selector=f"{ITEM} {SIGN} + …")


def _after_heading(item: LexborNode) -> str | None:
    """The text of what follows the item's heading (bare text, ``<p>``s, ``<br>``s), or
    ``None`` when the item has no heading. Nodes holding the heading are skipped."""
    children = list(item.iter(include_text=True))
    holder = next((i for i, child in enumerate(children) if _holds_heading(child)), None)
    return None if holder is None else block_text(children[holder + 1 :])


def _holds_heading(node: LexborNode) -> bool:
    return node.is_element_node and node.css_matches(SIGN)  # the heading or its wrapper
