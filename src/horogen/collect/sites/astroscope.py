"""astroscope.ru: an index of today's horoscope links, one page per sign."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urljoin, urlsplit

from horogen.collect.base import Availability, Page, PageRequest, ParsedPage, Source, require
from horogen.collect.sites._html import (
    fix_hint,
    heading_at,
    is_not_a_sign,
    nothing_matched,
    one_line,
    parse_html,
    text_at,
)
from horogen.signs import Sign, parse_sign

INDEX_PATH = "/horoskop/ejednevniy_goroskop/"
SIGN_LINK = "a.col-6.col-md-4.d-block.text-center.p-2"  # href="//astroscope.ru/…/oven.html"
SIGN_HEADING = "h1"  # "Гороскоп на сегодня для Овна"
TEXT = ".p-3"  # the first one: sidebars use the same utility class further down

#: The transliterated names the site uses in its URLs, for links that show no sign name.
SLUGS: dict[str, Sign] = dict(
    zip(
        ("oven", "telec", "bliznecy", "rak", "lev", "deva",
         "vesy", "skorpion", "strelec", "kozerog", "vodoley", "ryby"),
        Sign,
        strict=True,
    )
)  # fmt: skip


class Astroscope(Source):
    id = "astroscope"
    title = "Astroscope.ru — ежедневный гороскоп"
    default_base_url = "https://astroscope.ru"
    availability = Availability()

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        if not self.availability.serves(day, today):
            return []
        return [PageRequest(url=self.base_url + INDEX_PATH, day=day, name="index")]

    def parse(self, page: Page) -> ParsedPage:
        if page.request.sign is None:
            return self._parse_index(page)
        return self._parse_sign_page(page, page.request.sign)

    def _parse_index(self, page: Page) -> ParsedPage:
        links = parse_html(page).css(SIGN_LINK)
        require(links, nothing_matched(self, page, SIGN_LINK, "sign link"))
        parsed = ParsedPage()
        for number, link in enumerate(links, start=1):
            name, href = one_line(link), (link.attributes.get("href") or "").strip()
            sign = parse_sign(name) or _sign_from_href(href)
            if sign is None:
                if not is_not_a_sign(name):
                    parsed.problems.append(f"link {number} {name!r} ({href}) names no sign")
            elif any(request.sign is sign for request in parsed.follow):
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
        return parsed

    def _parse_sign_page(self, page: Page, expected: Sign) -> ParsedPage:
        tree = parse_html(page)
        heading = heading_at(tree.root, SIGN_HEADING)
        require(heading is not None, nothing_matched(self, page, SIGN_HEADING, "sign heading"))
        sign = parse_sign(heading)
        require(
            sign is expected,
            f"{page.url} was asked for {expected.ru} but its {SIGN_HEADING} {heading!r} "
            f"names {sign.ru if sign else 'no sign'}: " + fix_hint(self),
        )
        text = text_at(tree.root, TEXT)
        require(text is not None, nothing_matched(self, page, TEXT, "text element"))
        return ParsedPage(records=[self.record(page, expected, text)])


def _sign_from_href(href: str) -> Sign | None:
    slug = urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html")
    return SLUGS.get(slug)
