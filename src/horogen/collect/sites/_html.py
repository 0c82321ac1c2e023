"""What the HTML adapters share: a page's text as a reader sees it, the loop that turns
a multi-sign page's items into records, and the checks of a one-sign page.

The selectors stay in each site's module; nothing here knows a site's layout.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence

from selectolax.lexbor import LexborHTMLParser, LexborNode

from horogen.collect.base import (
    Page,
    PageFacts,
    PageRequest,
    ParsedPage,
    Source,
    require,
    require_match,
)
from horogen.errors import LayoutChanged
from horogen.schema import normalize_whitespace
from horogen.signs import Sign, parse_sign

_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # what HTML collapses; not the non-breaking space
_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "-comment"})
#: Headings: inside a horoscope's element they name the sign (or the day), never the text.
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
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


def canonical_url(tree: LexborHTMLParser) -> str | None:
    """The address a page gives for itself: ``<link rel=canonical>``, else ``og:url``
    (a protocol-relative one taken as https)."""
    for selector, attribute in (
        ('link[rel="canonical"]', "href"),
        ('meta[property="og:url"]', "content"),
    ):
        node = tree.css_first(selector)
        value = (node.attributes.get(attribute) or "").strip() if node is not None else ""
        if value:
            return "https:" + value if value.startswith("//") else value
    return None


def one_sign_facts(tree: LexborHTMLParser, heading_selector: str, day: dt.date | None) -> PageFacts:
    """The facts of a page about one sign: its canonical address, the sign its heading
    names and ``day``."""
    return PageFacts(
        url=canonical_url(tree),
        sign=parse_sign(heading_at(tree.root, heading_selector)),
        day=day,
    )


def sign_page_requests(day: dt.date, url: Callable[[Sign], str]) -> list[PageRequest]:
    """For a site with a page per sign: each sign's page (at ``url(sign)``) for ``day``."""
    return [PageRequest(url=url(sign), day=day, name=sign.value, sign=sign) for sign in Sign]


def sign_page(
    source: Source, page: Page, heading_selector: str
) -> tuple[Sign, LexborHTMLParser, str | None]:
    """A page about one sign: the sign it was asked for, its tree, and its heading (the first
    ``heading_selector``; ``None`` when there is none). Raises ``LayoutChanged`` when the
    request names no sign or the heading names another sign (:func:`check_heading`)."""
    sign = page.request.sign
    require(sign is not None, f"{source.id} pages are per sign, but the request names no sign")
    assert sign is not None
    tree = parse_html(page)
    heading = heading_at(tree.root, heading_selector)
    check_heading(source, page, heading, sign)
    return sign, tree, heading


def check_heading(source: Source, page: Page, heading: str | None, expected: Sign) -> None:
    """Raise ``LayoutChanged`` when a one-sign page's heading names a sign other than the
    one the page was asked for (a redirect, a shifted layout); a heading that names no
    sign, or no heading, leaves the asked sign standing."""
    named = parse_sign(heading)
    if named is not None and named is not expected:
        raise LayoutChanged(
            f"{page.url} was asked for {expected.ru} ({expected.value}), but its heading "
            f"{heading!r} names {named.ru} ({named.value}): " + fix_hint(source)
        )


def block_text(nodes: Iterable[LexborNode]) -> str:
    """The text of ``nodes`` as a browser lays it out: source whitespace (tabs, newlines of
    the markup) collapsed, a line break between block elements and at ``<br>``."""
    return _laid_out(nodes, _SKIP)


def text_of(nodes: Iterable[LexborNode]) -> str:
    """A horoscope's text in ``nodes``: :func:`block_text` without the headings (``h1`` …
    ``h6``) among or inside them."""
    return _laid_out(nodes, _SKIP | _HEADINGS)


def _laid_out(nodes: Iterable[LexborNode], skip: frozenset[str]) -> str:
    parts: list[str] = []
    for node in nodes:
        _walk(node, parts, skip)
    return normalize_whitespace("".join(parts))


def _walk(node: LexborNode, parts: list[str], skip: frozenset[str]) -> None:
    tag = node.tag
    if tag == "-text":
        parts.append(_HTML_SPACE.sub(" ", node.text_content or ""))
    elif tag == "br":
        parts.append("\n")
    elif tag not in skip:
        block = tag in _BLOCKS
        if block:
            parts.append("\n")
        for child in node.iter(include_text=True):
            _walk(child, parts, skip)
        if block:
            parts.append("\n")


def text_at(node: LexborNode, selector: str) -> str | None:
    """The text (:func:`text_of`) of the first element under ``node`` matching ``selector``;
    ``None`` if none."""
    found = node.css_first(selector)
    return None if found is None else text_of([found])


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


def missing_signs(found: Iterable[Sign], what: str = "item") -> list[str]:
    """A problem for each sign a multi-sign page should have but does not name."""
    seen = set(found)
    return [f"no {what} for {sign.value}" for sign in Sign if sign not in seen]


def item_records(
    source: Source,
    page: Page,
    root: LexborNode,
    *,
    item: str,
    sign: str,
    text: str | Callable[[LexborNode], str | None],
    text_selector: str | None = None,
    day: dt.date | None = None,
) -> ParsedPage:
    """Records from a page whose items (``item``) each hold a sign heading (``sign``) and a
    text: the element ``text`` selects inside the item, or what the function ``text`` reads
    from it (``text_selector`` then names it in problems).

    Only the innermost elements matching ``item`` that hold a sign heading are items:
    other blocks of a page may share the item's classes. Raises ``SelectorsMissed`` when
    ``item`` or ``sign`` matches nothing; the rest is :func:`sign_records`.
    """
    nodes = root.css(item)
    require_match(nodes, nothing_matched(source, page, item, "item"))
    items = [
        (heading_at(node, sign), text_at(node, text) if isinstance(text, str) else text(node))
        for node in nodes
        if len(node.css(item)) == 1 and node.css_first(sign) is not None  # css() has the node
    ]
    require_match(items, nothing_matched(source, page, f"{item} {sign}", "sign heading"))
    label = text if isinstance(text, str) else text_selector or text.__name__
    return sign_records(source, page, items, text_selector=label, day=day)


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
    element, repeated signs (the first is kept) and signs no item names go to ``problems``;
    an empty text is kept as a record with an empty text. Raises ``LayoutChanged`` when no
    record is left.
    """
    parsed = ParsedPage()
    first: dict[Sign, int] = {}
    named: set[Sign] = set()
    without_text = 0
    for number, (heading, text) in enumerate(items, start=1):
        sign = parse_sign(heading)
        if sign is None:
            if not is_not_a_sign(heading):
                parsed.problems.append(f"item {number}: heading {heading!r} names no sign")
            continue
        named.add(sign)
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
        require_match(False, nothing_matched(source, page, text_selector, "text element"))
    require(
        parsed.records,
        f"no item of {page.url} names a sign ({'; '.join(parsed.problems) or 'no headings'}): "
        + fix_hint(source),
    )
    parsed.problems += missing_signs(named)
    return parsed
