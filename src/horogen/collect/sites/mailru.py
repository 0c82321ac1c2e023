"""horo.mail.ru: one page per sign and day, ``/prediction/{sign}/{yesterday|today|tomorrow}/``.

Two layouts are known: the newer one (``main[data-qa=ArticleLayout]``, the date in a
``span[data-qa=Text]`` such as "25 ноября 2026", the text in the article's paragraphs)
and the older one (paragraphs in ``div.article__item_html``).
"""

from __future__ import annotations

import datetime as dt

from selectolax.lexbor import LexborNode

from horogen.collect.base import Availability, Page, PageRequest, ParsedPage, Source, require
from horogen.collect.dates import parse_russian_date
from horogen.collect.sites._html import (
    block_text,
    fix_hint,
    one_line,
    sign_page,
    sign_page_requests,
)

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

#: The URL slug of each day the site serves, by its offset from the site's today; the
#: source's availability is this window.
DAY_SLUGS: dict[int, str] = {-1: "yesterday", 0: "today", 1: "tomorrow"}


class MailRu(Source):
    id = "mailru"
    title = "Гороскопы Mail"
    default_base_url = "https://horo.mail.ru"
    availability = Availability(past_days=-min(DAY_SLUGS), future_days=max(DAY_SLUGS))

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        slug = DAY_SLUGS[(day - today).days]
        return sign_page_requests(
            day, lambda sign: f"{self.base_url}/prediction/{sign.value}/{slug}/"
        )

    def parse(self, page: Page) -> ParsedPage:
        sign, tree, heading = sign_page(self, page, HEADING_SELECTOR)
        requested = page.request.day
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
            + ("" if root is not None else f" (and there is no {CURRENT_ROOT})")
            + ": "
            + fix_hint(self),
        )
        text = block_text(paragraphs)
        require(text.strip(), f"no text: {where} matched {len(paragraphs)} empty paragraph(s)")
        return ParsedPage(records=[self.record(page, sign, text, day=day)])


def _current_date(root: LexborNode, requested: dt.date) -> dt.date | None:
    for span in root.css(CURRENT_DATE):
        found = parse_russian_date(one_line(span), requested.year, near=requested, whole=True)
        if found is not None:
            return found
    return None
