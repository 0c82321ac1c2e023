"""horo.mail.ru: one page per sign and day, ``/prediction/{sign}/{yesterday|today|tomorrow}/``.

Two layouts are known: the newer one (``main[data-qa=ArticleLayout]``, the date in a
``span[data-qa=Text]`` such as "25 ноября 2026", the text in the article's paragraphs)
and the older one (paragraphs in ``div.article__item_html``).
"""

from __future__ import annotations

import datetime as dt

from selectolax.lexbor import LexborHTMLParser, LexborNode

from horogen.collect.base import Availability, Page, PageRequest, ParsedPage, Source, require
from horogen.collect.dates import parse_russian_date
from horogen.errors import LayoutChanged
from horogen.schema import Category
from horogen.signs import Sign, parse_sign

#: The newer layout's root.
CURRENT_ROOT = "main[data-qa=ArticleLayout]"
#: The newer layout's text paragraphs, inside ``CURRENT_ROOT``.
CURRENT_TEXT = "article p"
#: The newer layout's date: the first of these spans that holds a date and nothing else.
CURRENT_DATE = "span[data-qa=Text]"
#: The older layout's text paragraphs.
LEGACY_TEXT = "div.article__item_html p"
#: The heading, which names the sign (the older layout also puts the date there).
HEADING_SELECTOR = "h1"

#: URL slug for each day relative to the site's today.
DAY_SLUGS: dict[int, str] = {-1: "yesterday", 0: "today", 1: "tomorrow"}


class MailRu(Source):
    id = "mailru"
    title = "Гороскопы Mail"
    default_base_url = "https://horo.mail.ru"
    categories = (Category.GENERAL,)
    availability = Availability(past_days=1, future_days=1)

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        slug = DAY_SLUGS.get((day - today).days)
        if slug is None:
            return []
        return [
            PageRequest(
                url=f"{self.base_url}/prediction/{sign.value}/{slug}/",
                day=day,
                name=sign.value,
                sign=sign,
            )
            for sign in Sign
        ]

    def parse(self, page: Page) -> ParsedPage:
        sign = page.request.sign
        require(sign is not None, "mail.ru pages are per sign, but the request names no sign")
        assert sign is not None
        requested = page.request.day
        tree = LexborHTMLParser(page.body)

        heading_node = tree.css_first(HEADING_SELECTOR)
        heading = heading_node.text(deep=True).strip() if heading_node else ""
        named = parse_sign(heading)
        if named is not None and named != sign:
            raise LayoutChanged(
                f"heading {heading!r} names {named.value}, but the page was asked for {sign.value}"
            )

        root = tree.css_first(CURRENT_ROOT)
        if root is not None:
            where = f"{CURRENT_ROOT} {CURRENT_TEXT}"
            paragraphs = root.css(CURRENT_TEXT)
            day = _current_date(root, requested)
        else:
            where = LEGACY_TEXT
            paragraphs = tree.css(LEGACY_TEXT)
            day = None
        if day is None:
            day = parse_russian_date(heading, requested.year, near=requested) or requested

        require(
            paragraphs,
            f"no text: {where} matched nothing"
            + ("" if root is not None else f" (and there is no {CURRENT_ROOT})"),
        )
        text = "\n".join(_paragraph(p) for p in paragraphs)
        require(text.strip(), f"no text: {where} matched {len(paragraphs)} empty paragraph(s)")
        return ParsedPage(records=[self.record(page, sign, text, day=day)])


def _current_date(root: LexborNode, requested: dt.date) -> dt.date | None:
    for span in root.css(CURRENT_DATE):
        found = parse_russian_date(span.text(deep=True), requested.year, near=requested, whole=True)
        if found is not None:
            return found
    return None


def _paragraph(node: LexborNode) -> str:
    """A paragraph's text; line breaks inside it are HTML whitespace."""
    return node.text(deep=True).replace("\n", " ")
