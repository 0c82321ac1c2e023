"""ignio.com's daily XML feeds as the mirror serves them:
``r/export/utf/xml/daily/{feed}.xml``, yesterday to the day after tomorrow relative to
the mirror's today.

Layouts: ``current`` and ``legacy`` are the same (the feed has not changed in years);
``changed`` is a redesigned feed (``<horoscope><day date=…><sign id=…>``) that the
adapter does not know.
"""

from __future__ import annotations

import datetime as dt
import re

from lxml import etree

from horogen.mirror.base import Layout, Rendered, SiteMirror, TextFn
from horogen.schema import Category
from horogen.signs import Sign

#: Feed file name → category (the site's names, kept apart from the adapter's on purpose).
FEEDS: dict[str, Category] = {
    "com": Category.GENERAL,
    "lov": Category.LOVE,
    "bus": Category.BUSINESS,
    "hea": Category.HEALTH,
    "ero": Category.EROTIC,
    "anti": Category.ANTI,
    "cook": Category.COOK,
    "mob": Category.MOBILE,
}
FEED_PREFIX = "r/export/utf/xml/daily/"
#: The day elements and their offset from today.
DAYS: dict[str, int] = {"yesterday": -1, "today": 0, "tomorrow": 1, "tomorrow02": 2}

# Characters XML 1.0 cannot carry: vertical tab and form feed become spaces (as the
# adapter's whitespace normalization would treat them), the rest are dropped.
_XML_SPACE = re.compile(r"[\x0b\x0c]")
_XML_INVALID = re.compile(r"[\x00-\x08\x0e-\x1f\ufffe\uffff]")
_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


class IgnioMirror(SiteMirror):
    source_id = "ignio"

    def render(
        self, path: str, today: dt.date, site_url: str, layout: Layout, texts: TextFn
    ) -> Rendered | None:
        if not path.startswith(FEED_PREFIX) or not path.endswith(".xml"):
            return None
        category = FEEDS.get(path[len(FEED_PREFIX) : -len(".xml")])
        if category is None:
            return None
        days = {key: today + dt.timedelta(days=offset) for key, offset in DAYS.items()}
        if layout == "changed":
            root = _changed(category, days, texts)
        else:
            root = _feed(category, days, texts)
        body = _DECLARATION + etree.tostring(root, encoding="unicode", pretty_print=True)
        return Rendered(body, media_type="text/xml; charset=utf-8")


def _feed(category: Category, days: dict[str, dt.date], texts: TextFn) -> etree._Element:
    root = etree.Element("horo")
    etree.SubElement(root, "date", {key: day.strftime("%d.%m.%Y") for key, day in days.items()})
    for sign in Sign:
        node = etree.SubElement(root, sign.value)
        for key, day in days.items():
            item = etree.SubElement(node, key)
            item.text = "\n" + _xml_safe(texts(IgnioMirror.source_id, sign, category, day)) + "\n"
    return root


def _changed(category: Category, days: dict[str, dt.date], texts: TextFn) -> etree._Element:
    root = etree.Element("horoscope", version="2", type=category.value)
    for day in days.values():
        day_node = etree.SubElement(root, "day", date=day.isoformat())
        for sign in Sign:
            item = etree.SubElement(day_node, "sign", id=sign.value)
            item.text = _xml_safe(texts(IgnioMirror.source_id, sign, category, day))
    return root


def _xml_safe(text: str) -> str:
    return _XML_INVALID.sub("", _XML_SPACE.sub(" ", text))
