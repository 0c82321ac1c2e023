"""ignio.com's daily XML feeds, one per category, each with four days for all signs::

    <horo>
      <date yesterday="24.11.2026" today="25.11.2026" tomorrow="26.11.2026"
            tomorrow02="27.11.2026"/>
      <aries><yesterday>…</yesterday><today>…</today><tomorrow>…</tomorrow>
             <tomorrow02>…</tomorrow02></aries>
      …
    </horo>

A feed gives the records of the requested day only, dated by the ``<date>`` element.
An item with an empty text is kept (processing drops and counts those).
"""

from __future__ import annotations

import datetime as dt
import re

from lxml import etree

from horogen.collect.base import (
    Availability,
    Page,
    PageFacts,
    PageRequest,
    ParsedPage,
    Source,
    require,
)
from horogen.errors import LayoutChanged
from horogen.schema import Category
from horogen.signs import Sign

#: The feeds' path, by feed name.
FEED_PATH = "/r/export/utf/xml/daily/{feed}.xml"
#: ignio's daily feeds and the category each holds.
FEEDS: dict[Category, str] = {
    Category.GENERAL: "com",
    Category.LOVE: "lov",
    Category.BUSINESS: "bus",
    Category.HEALTH: "hea",
    Category.EROTIC: "ero",
    Category.ANTI: "anti",
    Category.COOK: "cook",
    Category.MOBILE: "mob",
}
ROOT_TAG = "horo"
DATE_TAG = "date"
#: The day elements inside each sign's element, in feed order; also ``<date>``'s attributes.
DAY_KEYS: tuple[str, ...] = ("yesterday", "today", "tomorrow", "tomorrow02")
DATE_FORMAT = "%d.%m.%Y"

# Safe settings: no entities resolved, no DTD loaded, nothing fetched from the network.
_PARSER_OPTIONS = {
    "resolve_entities": False,
    "load_dtd": False,
    "dtd_validation": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}
# lxml refuses a str that declares its encoding; the body is already decoded.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


class Ignio(Source):
    id = "ignio"
    title = "Ignio (XML feeds)"
    default_base_url = "https://ignio.com"
    categories = tuple(FEEDS)
    availability = Availability(past_days=1, future_days=2)
    page_suffix = "xml"

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        return [
            PageRequest(
                url=self.base_url + FEED_PATH.format(feed=feed),
                day=day,
                name=feed,
                category=category,
            )
            for category, feed in FEEDS.items()
        ]

    def parse(self, page: Page) -> ParsedPage:
        root = _parse_xml(page.body)
        require(root.tag == ROOT_TAG, f"root element is <{root.tag}>, expected <{ROOT_TAG}>")

        dates_node = root.find(DATE_TAG)
        require(dates_node is not None, f"no <{DATE_TAG}> element in <{ROOT_TAG}>")
        assert dates_node is not None
        dates = _feed_dates(dates_node)
        requested = page.request.day
        key = next((key for key, day in dates.items() if day == requested), None)
        if key is None:
            covered = ", ".join(f"{key}={day.isoformat()}" for key, day in dates.items())
            raise LayoutChanged(f"the feed does not cover {requested.isoformat()} ({covered})")

        parsed = ParsedPage()
        found_signs = 0
        for sign in Sign:
            node = root.find(sign.value)
            if node is None:
                parsed.problems.append(f"no <{sign.value}> element")
                continue
            found_signs += 1
            item = node.find(key)
            if item is None:
                parsed.problems.append(f"<{sign.value}> has no <{key}> element")
                continue
            text = "".join(item.itertext())
            parsed.records.append(self.record(page, sign, text, day=requested))
        require(found_signs, f"no sign elements (<aries> … <pisces>) in <{ROOT_TAG}>")
        require(
            parsed.records,
            f"no sign element has a <{key}> item for {requested.isoformat()}",
        )
        return parsed

    def page_facts(self, body: str, today: dt.date) -> PageFacts:
        """A feed dates its own days: its ``<date today=…>`` is the day it is for."""
        try:
            node = _parse_xml(body).find(DATE_TAG)
            dates = _feed_dates(node) if node is not None else {}
        except LayoutChanged:
            return PageFacts()
        return PageFacts(day=dates.get("today"))


def _parse_xml(body: str) -> etree._Element:
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(_XML_DECLARATION.sub("", body.lstrip("\ufeff"), count=1), parser)
    except etree.XMLSyntaxError as error:
        raise LayoutChanged(f"not well-formed XML: {error}") from None
    require(root is not None, "not XML: the feed is empty")
    return root


def _feed_dates(node: etree._Element) -> dict[str, dt.date]:
    dates: dict[str, dt.date] = {}
    for key in DAY_KEYS:
        value = node.get(key)
        if value is None:
            continue
        try:
            dates[key] = dt.datetime.strptime(value.strip(), DATE_FORMAT).date()
        except ValueError:
            raise LayoutChanged(
                f"<{DATE_TAG} {key}={value!r}> is not a date as {DATE_FORMAT}"
            ) from None
    require(dates, f"<{DATE_TAG}> has none of the attributes {', '.join(DAY_KEYS)}")
    return dates
