"""horo.mail.ru: one page per sign and day, ``/prediction/{sign}/{yesterday|today|tomorrow}/``.

Two layouts are known: the newer one (``main[data-qa=ArticleLayout]``, the date in a
``span[data-qa=Text]`` such as "25 ноября 2026", the text in the paragraphs of the
``main``) and the older one (paragraphs in ``div.article__item_html``).

The newer layout nests its paragraphs in more than one way: inside an ``<article>``, in
``<div>`` blocks with generated class names directly under the ``main``, or as the
``main``'s own children. So the text is every paragraph of the ``main`` outside its
header, ratings and menus, with links dropped (what public scrapers of the layout take).
"""

from __future__ import annotations

import datetime as dt

from selectolax.lexbor import LexborHTMLParser, LexborNode

from horogen.collect.base import (
    Availability,
    Page,
    PageFacts,
    PageRequest,
    ParsedPage,
    require,
    require_match,
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

#: The newer layout's root.
CURRENT_ROOT = "main[data-qa=ArticleLayout]"
#: The newer layout's text paragraphs: any inside ``CURRENT_ROOT``, except in these parts.
CURRENT_TEXT = "p"
#: The parts of ``CURRENT_ROOT`` that are no text: its header (title, dates, tabs), the
#: ratings, menus.
CURRENT_NOT_TEXT = (
    "[data-qa=ArticleHeader], [data-qa=Rating], [data-qa=Tabs], [data-qa=Breadcrumbs], "
    "header, nav, aside, footer, figure"
)
#: Inside ``CURRENT_ROOT``: dropped from the text (a paragraph of links is no text).
CURRENT_DROPPED = "a"
#: The newer layout's date: the first of these spans that holds a date and nothing else.
CURRENT_DATE = "span[data-qa=Text]"
#: The older layout's text paragraphs.
LEGACY_TEXT = "div.article__item_html p"
#: The heading, which names the sign (the older layout also puts the date there).
HEADING_SELECTOR = "h1"

#: The URL slug of each day the site serves, by its offset from the site's today; the
#: source's availability is this window.
DAY_SLUGS: dict[int, str] = {-1: "yesterday", 0: "today", 1: "tomorrow"}


class MailRu(HtmlSource):
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
        day = _stated_date(tree, heading, requested) or requested
        root = tree.css_first(CURRENT_ROOT)
        if root is not None:
            where = f"{CURRENT_ROOT} {CURRENT_TEXT}"
            paragraphs = _current_paragraphs(root)
        else:
            where = LEGACY_TEXT
            paragraphs = tree.css(LEGACY_TEXT)
        require_match(
            paragraphs,
            f"no text: {where} matched nothing"
            + ("" if root is not None else f" (and there is no {CURRENT_ROOT})")
            + ": "
            + fix_hint(self),
        )
        text = text_of(paragraphs)
        require(text.strip(), f"no text: {where} matched {len(paragraphs)} empty paragraph(s)")
        return ParsedPage(records=[self.record(page, sign, text, day=day)])

    def page_facts(self, body: str, today: dt.date) -> PageFacts:
        tree = LexborHTMLParser(body)
        day = _stated_date(tree, heading_at(tree.root, HEADING_SELECTOR), today)
        return one_sign_facts(tree, HEADING_SELECTOR, day)


def _current_paragraphs(root: LexborNode) -> list[LexborNode]:
    """The text paragraphs of the newer layout's ``root`` (changed: its header, ratings and
    links are removed)."""
    for node in root.css(CURRENT_NOT_TEXT):
        node.decompose()
    for node in root.css(CURRENT_DROPPED):
        node.decompose()
    return root.css(CURRENT_TEXT)


def _stated_date(tree: LexborHTMLParser, heading: str | None, near: dt.date) -> dt.date | None:
    """The date the page states: the newer layout's date span, else its heading's date."""
    root = tree.css_first(CURRENT_ROOT)
    found = _current_date(root, near) if root is not None else None
    return found or parse_russian_date(heading, near.year, near=near)


def _current_date(root: LexborNode, requested: dt.date) -> dt.date | None:
    for span in root.css(CURRENT_DATE):
        found = parse_russian_date(one_line(span), requested.year, near=requested, whole=True)
        if found is not None:
            return found
    return None
