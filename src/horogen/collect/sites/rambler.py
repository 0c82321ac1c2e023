"""horoscopes.rambler.ru: one page per sign, today at ``/{sign}/``, an archive at
``/{sign}/{YYYY-MM-DD}/``.

The site is built with hashed CSS-module class names that change with redesigns (the
text was in ``div._1dQ3``, later in ``p._1RrZR`` paragraphs, and in other hashed classes
since); what stays is the schema.org markup, ``[itemprop=articleBody]``, whose paragraphs
are the text. When no selector matches, the HTML adapters' fallback (the largest text
block, ``_fallback.py``) takes over and the report says so.
"""

from __future__ import annotations

import datetime as dt

from selectolax.lexbor import LexborHTMLParser

from horogen.collect.base import (
    Availability,
    Page,
    PageFacts,
    PageRequest,
    ParsedPage,
    require,
)
from horogen.collect.dates import parse_russian_date
from horogen.collect.sites._fallback import HtmlSource
from horogen.collect.sites._html import (
    fix_hint,
    heading_at,
    one_line,
    one_sign_facts,
    sign_page,
    sign_page_requests,
    text_of,
)
from horogen.errors import SelectorsMissed

#: Where the text is, the first that matches: the schema.org article body's paragraphs
#: (at any depth), the hashed classes of known layouts, the article body's own text.
TEXT_SELECTORS: tuple[str, ...] = (
    "[itemprop=articleBody] p",
    "p._1RrZR",  # one <p> per paragraph
    "div._1dQ3",  # older: one <div>, paragraphs inside it or plain text
    "[itemprop=articleBody]",
)
#: The page's heading, which names the sign (and, on archive pages, the date).
HEADING_SELECTOR = "h1"
#: Elements that state the page's date, tried in order after the heading.
DATE_SELECTOR = "time[datetime]"


class Rambler(HtmlSource):
    id = "rambler"
    title = "Рамблер/гороскопы"
    default_base_url = "https://horoscopes.rambler.ru"
    availability = Availability(past_days=None, future_days=1)

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        suffix = "" if day == today else f"{day.isoformat()}/"
        return sign_page_requests(day, lambda sign: f"{self.base_url}/{sign.value}/{suffix}")

    def parse(self, page: Page) -> ParsedPage:
        sign, tree, heading = sign_page(self, page, HEADING_SELECTOR)
        text = self._text(tree)
        day = _stated_date(tree, heading, page.request.day) or page.request.day
        return ParsedPage(records=[self.record(page, sign, text, day=day)])

    def page_facts(self, body: str, today: dt.date) -> PageFacts:
        tree = LexborHTMLParser(body)
        day = _stated_date(tree, heading_at(tree.root, HEADING_SELECTOR), today)
        return one_sign_facts(tree, HEADING_SELECTOR, day)

    def _text(self, tree: LexborHTMLParser) -> str:
        for selector in TEXT_SELECTORS:
            nodes = tree.css(selector)
            if nodes:
                text = text_of(nodes)
                require(text.strip(), f"{selector} matched {len(nodes)} element(s) with no text")
                return text
        tried = " or ".join(TEXT_SELECTORS)
        raise SelectorsMissed(f"no text: {tried} matched nothing: " + fix_hint(self))


def _stated_date(tree: LexborHTMLParser, heading: str | None, near: dt.date) -> dt.date | None:
    """The date the page states, in its heading or a ``<time>`` (a date without a year is
    taken nearest ``near``)."""
    found = parse_russian_date(heading, near.year, near=near)
    if found is not None:
        return found
    time = tree.css_first(DATE_SELECTOR)
    if time is not None:
        for candidate in (time.attributes.get("datetime"), one_line(time)):
            found = parse_russian_date(candidate, near.year, near=near)
            if found is not None:
                return found
    return None
