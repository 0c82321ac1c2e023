"""What the HTML adapters share: a page's text as a reader sees it, and the loop that turns
a multi-sign page's items into records.

The selectors stay in each site's module; nothing here knows a site's layout.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from selectolax.lexbor import LexborHTMLParser, LexborNode

from horogen.collect.base import Page, ParsedPage, Source, require
from horogen.schema import normalize_whitespace
from horogen.signs import Sign, parse_sign

_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # what HTML collapses; not the non-breaking space
_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "-comment"})
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
        "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip

#: Headings of blocks that share a sign list but are no sign: an intro, a general forecast.
_NOT_A_SIGN = re.compile(
    r"гороскоп|знак|зодиак|для всех|всем|общий|сегодня|завтра|недел|месяц", re.IGNORECASE
)

#: An item as a multi-sign page shows it: its heading and text, ``None`` where the item
#: has no such element.
Item = tuple[str | None, str | None]


def parse_html(page: Page) -> LexborHTMLParser:
    return LexborHTMLParser(page.body)


def block_text(nodes: Iterable[LexborNode]) -> str:
    """The text of ``nodes`` as a browser lays it out: source whitespace (tabs, newlines of
    the markup) collapsed, a line break between block elements and at ``<br>``."""
    parts: list[str] = []
    for node in nodes:
        _walk(node, parts)
    return normalize_whitespace("".join(parts))


def _walk(node: LexborNode, parts: list[str]) -> None:
    tag = node.tag
    if tag == "-text":
        parts.append(_HTML_SPACE.sub(" ", node.text_content or ""))
    elif tag == "br":
        parts.append("\n")
    elif tag not in _SKIP:
        block = tag in _BLOCKS
        if block:
            parts.append("\n")
        for child in node.iter(include_text=True):
            _walk(child, parts)
        if block:
            parts.append("\n")


def text_at(node: LexborNode, selector: str) -> str | None:
    """The text of the first element under ``node`` matching ``selector``; ``None`` if none."""
    found = node.css_first(selector)
    return None if found is None else block_text([found])


def heading_at(node: LexborNode, selector: str) -> str | None:
    """Like :func:`text_at`, on one line."""
    found = node.css_first(selector)
    return None if found is None else one_line(found)


def one_line(node: LexborNode) -> str:
    return block_text([node]).replace("\n", " ")


def is_not_a_sign(heading: str | None) -> bool:
    """Whether a heading is a known block that is no sign ("Гороскоп на сегодня",
    "Для всех знаков зодиака."), as opposed to a sign slot whose name we cannot read."""
    return bool(heading and _NOT_A_SIGN.search(heading.replace("ё", "е")))


def fix_hint(source: Source) -> str:
    """The end of every layout-change reason: where to fix it."""
    return f"the {source.id} layout changed; update the selectors in {type(source).__module__}"


def nothing_matched(source: Source, page: Page, selector: str, what: str) -> str:
    return f"no {what} matches {selector!r} on {page.url}: {fix_hint(source)}"


def sign_records(
    source: Source,
    page: Page,
    items: Sequence[Item],
    *,
    text_selector: str,
    day: dt.date | None = None,
) -> ParsedPage:
    """Records from a page with many signs.

    Known non-sign blocks are skipped; unreadable sign headings, items without a text
    element and repeated signs (the first is kept) go to ``problems``; an empty text is
    kept as a record with an empty text. Raises ``LayoutChanged`` when no record is left.
    """
    parsed = ParsedPage()
    first: dict[Sign, int] = {}
    without_text = 0
    for number, (heading, text) in enumerate(items, start=1):
        sign = parse_sign(heading)
        if sign is None:
            if not is_not_a_sign(heading):
                parsed.problems.append(f"item {number}: heading {heading!r} names no sign")
            continue
        if sign in first:
            parsed.problems.append(
                f"item {number}: {sign.ru} again (first in item {first[sign]}); kept the first"
            )
            continue
        if text is None:
            without_text += 1
            parsed.problems.append(
                f"item {number} ({heading!r}): no text element matches {text_selector!r}"
            )
            continue
        first[sign] = number
        parsed.records.append(source.record(page, sign, text, day=day))
    if without_text and not parsed.records:
        require(False, nothing_matched(source, page, text_selector, "text element"))
    require(
        parsed.records,
        f"no item of {page.url} names a sign ({'; '.join(parsed.problems) or 'no headings'}): "
        + fix_hint(source),
    )
    return parsed
