"""astroscope.ru: an index of today's horoscope links, one page per sign."""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from horogen.collect.base import (
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
    is_not_a_sign,
    missing_signs,
    nothing_matched,
    one_line,
    one_sign_facts,
    parse_html,
    sign_page,
    text_of,
)
from horogen.errors import SelectorsMissed
from horogen.signs import Sign, parse_sign

INDEX_PATH = "/horoskop/ejednevniy_goroskop/"
SIGN_LINK = "a.col-6.col-md-4.d-block.text-center.p-2"  # href="//astroscope.ru/…/oven.html"
SIGN_HEADING = "h1"  # "Гороскоп на сегодня для Овна"
DATE = "h1 + .text-muted"  # "25.11.2024", under the heading
#: The text: the first of these after the heading that is not links (a ``<div>`` of
#: paragraphs, or one ``<p>``); other blocks, and the sidebar further down, share the class.
TEXT = ".p-3"

#: The transliterated names the site uses in its URLs, for links that show no sign name.
SLUGS: dict[str, Sign] = dict(
    zip(
        ("oven", "telec", "bliznecy", "rak", "lev", "deva",
         "vesy", "skorpion", "strelec", "kozerog", "vodoley", "ryby"),
        Sign,
        strict=True,
    )
)  # fmt: skip
SLUG_OF: dict[Sign, str] = {sign: slug for slug, sign in SLUGS.items()}


class Astroscope(HtmlSource):
    id = "astroscope"
    title = "Astroscope.ru — ежедневный гороскоп"
    default_base_url = "https://astroscope.ru"

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        return [PageRequest(url=self.base_url + INDEX_PATH, day=day, name="index")]

    def parse(self, page: Page) -> ParsedPage:
        if page.request.sign is None:
            return self._parse_index(page)
        return self._parse_sign_page(page)

    def page_facts(self, body: str, today: dt.date) -> PageFacts:
        """A sign page's heading names its sign ("Гороскоп на сегодня для Овна"); its
        address is where the site serves that sign's page. The index names no sign."""
        tree = LexborHTMLParser(body)
        facts = one_sign_facts(tree, SIGN_HEADING, _stated_date(tree, today))
        if facts.sign is None or facts.url is not None:
            return facts
        url = f"{self.base_url}{INDEX_PATH}{SLUG_OF[facts.sign]}.html"
        return dataclasses.replace(facts, url=url)

    def _parse_index(self, page: Page) -> ParsedPage:
        links = parse_html(page).css(SIGN_LINK)
        require_match(links, nothing_matched(self, page, SIGN_LINK, "sign link"))
        return self._follow_links(page, links)

    def fallback(self, page: Page, missed: SelectorsMissed) -> ParsedPage:
        """An index: its links to the sign pages, whatever their classes; a sign page: the
        HTML adapters' fallback."""
        if page.request.sign is not None:
            return super().fallback(page, missed)
        links = [
            link
            for link in parse_html(page).css("a[href]")
            if INDEX_PATH in (link.attributes.get("href") or "")
            and _sign_from_href(link.attributes.get("href") or "") is not None
        ]
        require(links, f"{missed}; nor does any link lead to a sign's page: {fix_hint(self)}")
        return self._follow_links(page, links)

    def _follow_links(self, page: Page, links: list[LexborNode]) -> ParsedPage:
        parsed = ParsedPage()
        named: set[Sign] = set()
        for number, link in enumerate(links, start=1):
            name, href = one_line(link), (link.attributes.get("href") or "").strip()
            sign = parse_sign(name) or _sign_from_href(href)
            if sign is None:
                if not is_not_a_sign(name):
                    parsed.problems.append(f"link {number} {name!r} ({href}) names no sign")
                continue
            named.add(sign)
            if any(request.sign is sign for request in parsed.follow):
                parsed.problems.append(f"link {number} ({href}): {sign.ru} again; kept the first")
            elif not href:
                parsed.problems.append(f"link {number} ({sign.ru}) has no href")
            else:
                parsed.follow.append(
                    PageRequest(
                        url=urljoin(page.url, href),
                        day=page.request.day,
                        name=sign.value,
                        category=page.request.category,
                        sign=sign,
                    )
                )
        require(
            parsed.follow,
            f"no link of {page.url} names a sign ({'; '.join(parsed.problems)}): " + fix_hint(self),
        )
        parsed.problems += missing_signs(named, "link")
        return parsed

    def _parse_sign_page(self, page: Page) -> ParsedPage:
        sign, tree, heading = sign_page(self, page, SIGN_HEADING)
        # Without its h1 the page is not a sign page: the first .p-3 would be the sidebar.
        require_match(
            heading is not None, nothing_matched(self, page, SIGN_HEADING, "sign heading")
        )
        text = _text_after_heading(tree)
        require_match(text is not None, nothing_matched(self, page, TEXT, "text element"))
        assert text is not None
        day = _stated_date(tree, page.request.day)
        return ParsedPage(records=[self.record(page, sign, text, day=day)])


def _stated_date(tree: LexborHTMLParser, near: dt.date) -> dt.date | None:
    """The date under a sign page's heading, if it shows one and nothing else."""
    shown = heading_at(tree.root, DATE)
    return parse_russian_date(shown, near.year, near=near, whole=True)


def _sign_from_href(href: str) -> Sign | None:
    """The sign a link's last path segment names: the site's transliteration ("oven") or
    the English slug ("aries") of other builds."""
    slug = urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html").lower()
    return SLUGS.get(slug) or next((sign for sign in Sign if sign.value == slug), None)


def _text_after_heading(tree: LexborHTMLParser) -> str | None:
    """The text of the first ``TEXT`` element after the ``SIGN_HEADING`` that is not mostly
    links (an empty one included: an empty text is reported, not replaced by another
    block); ``None`` when there is none."""
    heading = tree.css_first(SIGN_HEADING)
    if heading is None:
        return None
    passed = False
    for node in tree.root.traverse():
        if node.mem_id == heading.mem_id:
            passed = True
        elif passed and node.css_matches(TEXT):
            text = text_of([node])
            links = sum(len(one_line(link)) for link in node.css("a"))
            if links <= len(text) / 2:
                return text
    return None
