"""The fallback of the HTML adapters: when a site's selectors match nothing, the largest
block of text on the page is taken for the horoscope, so a redesign degrades a source
(its records marked ``extraction = fallback`` in the report) instead of stopping it.

Nothing here knows a site's layout. What is never text is removed first: scripts and
styles, ``nav``/``header``/``footer``/``aside``/forms, and elements whose class, id, role
or ``data-qa`` names a menu, breadcrumbs, tabs, sharing, ratings, ads or related links. A
block is the text units (paragraphs, or elements holding text and no other block) of one
parent, together with those of the parent's siblings; a block must be long enough, mostly
not links, and not a list of signs ("other signs" lists), so navigation and footers are
never taken for a horoscope.

- :func:`one_sign_text`: a page about one sign: the largest block.
- :func:`sign_items`: a page with every sign: each element whose short text names a sign
  (a heading), and the text of the largest element around it that names no other sign.

:class:`HtmlSource` is the base of the HTML adapters: its :meth:`~HtmlSource.fallback` uses
the first for a page asked for one sign and the second for the others.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from horogen.collect.base import Page, ParsedPage, Source, require
from horogen.collect.dates import parse_russian_date
from horogen.collect.sites._html import (
    Item,
    block_text,
    check_heading,
    fix_hint,
    heading_at,
    one_line,
    sign_records,
    text_of,
)
from horogen.errors import SelectorsMissed
from horogen.signs import Sign, is_sign_word, parse_sign

#: Never the text: removed, with everything inside them, before blocks are measured.
NOT_TEXT_TAGS: tuple[str, ...] = (
    "script", "style", "noscript", "template", "svg", "iframe", "nav", "header", "footer",
    "aside", "form", "button", "select", "figure", "menu",
)  # fmt: skip
#: Class, id, role or data-qa words of page furniture, removed like the tags above.
FURNITURE = re.compile(
    r"menu|navig|breadcrumb|footer|share|social|subscri|rating|banner|advert|adfox|reklam|"
    r"promo|related|comment|cookie|sidebar|\btabs?\b|topline|toolbar|pagination",
    re.IGNORECASE,
)
#: The shortest text taken for a one-sign page's horoscope (real ones run 150–1,500 chars).
MIN_CHARS = 80
#: The shortest text of one sign on a page with every sign (some sites print 60-char ones).
MIN_ITEM_CHARS = 40
#: A block whose share of characters inside links is above this is navigation.
MAX_LINK_SHARE = 0.3
#: A block or item naming this many signs in its own short elements is a list of signs.
SIGN_LIST = 3
#: A heading is short: at most this many characters ("Овен (21.03 – 20.04)").
MAX_HEADING_CHARS = 60

_UNIT_TAGS = frozenset({"p", "div", "section", "article", "td", "dd", "li", "blockquote"})
#: Elements furniture words never remove: they hold the page (or its heading).
_PAGE_TAGS = frozenset({"html", "body", "main", "article", "h1"})
_BLOCK_CHILDREN = "p, div, section, article, ul, ol, table, h1, h2, h3, h4, h5, h6, dl, li"
_HEADING_TAGS = frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "span", "div", "p", "dt", "a", "i"}
)
_SENTENCE_END = re.compile(r"[.!?…]")


def cleaned(body: str) -> LexborHTMLParser:
    """The page without what is never its text (see the module's docstring)."""
    tree = LexborHTMLParser(body)
    tree.strip_tags(list(NOT_TEXT_TAGS))
    for node in tree.css("[class], [id], [role], [data-qa], [aria-hidden]"):
        if _holds_the_page(node):
            continue  # a generated class name may contain any word ("navigationContainer")
        if node.attributes.get("aria-hidden") == "true" or _is_furniture(node):
            node.decompose()
    return tree


def one_sign_text(tree: LexborHTMLParser) -> str | None:
    """The largest text block of a cleaned page about one sign, if one is long enough."""
    blocks = [text for text in _blocks(tree) if _is_prose(text, MIN_CHARS)]
    return max(blocks, key=len, default=None)


def sign_items(tree: LexborHTMLParser) -> list[Item]:
    """(heading, text) for each element of a cleaned page with every sign whose short text
    names one sign, with the text around it (``None`` when there is none worth taking)."""
    headings = _sign_headings(tree)
    items: list[Item] = []
    for heading, sign in headings:
        item = _item_of(heading, sign, headings)
        items.append((one_line(heading), _item_text(item, heading)))
    return items


@dataclass
class _Unit:
    node: LexborNode
    text: str
    links: int  # characters inside links


def _holds_the_page(node: LexborNode) -> bool:
    return node.tag in _PAGE_TAGS or node.css_first(", ".join(_PAGE_TAGS - {"body"})) is not None


def _is_furniture(node: LexborNode) -> bool:
    attributes = node.attributes
    words = " ".join(str(attributes.get(name) or "") for name in ("class", "id", "role", "data-qa"))
    return bool(FURNITURE.search(words))


def _units(tree: LexborHTMLParser) -> Iterator[_Unit]:
    """Paragraphs, and elements holding text but no other block, never one inside another."""
    body = tree.body or tree.root
    for node in body.css(", ".join(sorted(_UNIT_TAGS))):
        if node.tag != "p" and any(
            child.css_first(_BLOCK_CHILDREN) for child in _element_children(node)
        ):  # a container, not a unit (css() also matches the node itself: hence its children)
            continue
        if _inside_a_unit(node):
            continue
        text = text_of([node])
        if text.strip():
            yield _Unit(node, text, _link_chars(node))


def _inside_a_unit(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == "p":
            return True
        parent = parent.parent
    return False


def _blocks(tree: LexborHTMLParser) -> list[str]:
    """The text of each block: the units of one parent and of the parent's siblings (one
    grandparent), in page order, unless they are mostly links or a list of signs."""
    groups: dict[int, list[_Unit]] = {}
    for unit in _units(tree):
        parent = unit.node.parent
        owner = parent.parent if parent is not None and parent.parent is not None else parent
        if owner is not None:
            groups.setdefault(owner.mem_id, []).append(unit)
    texts = []
    for units in groups.values():
        total = sum(len(unit.text) for unit in units)
        links = sum(unit.links for unit in units)
        parents = {unit.node.parent.mem_id: unit.node.parent for unit in units if unit.node.parent}
        if links > MAX_LINK_SHARE * total or _lists_signs(list(parents.values())):
            continue
        texts.append("\n".join(unit.text for unit in units if _is_a_line_of_text(unit)))
    return texts


def _is_a_line_of_text(unit: _Unit) -> bool:
    """Not a link, and a sentence or a long line (not a label such as "Реклама")."""
    text = unit.text.strip()
    return unit.links < len(text) and (len(text) >= 40 or bool(_SENTENCE_END.search(text)))


def _sign_headings(tree: LexborHTMLParser) -> list[tuple[LexborNode, Sign]]:
    """The innermost short elements whose text names exactly one sign."""
    found: list[tuple[LexborNode, Sign]] = []
    body = tree.body or tree.root
    for node in body.css(", ".join(sorted(_HEADING_TAGS))):
        text = one_line(node)
        if not text or len(text) > MAX_HEADING_CHARS:
            continue
        sign = parse_sign(text)
        if sign is None or not _names_only_a_sign(text):
            continue
        if any(one_line(child) == text for child in node.traverse() if child.mem_id != node.mem_id):
            continue  # a wrapper of the heading: the innermost element is the heading
        found.append((node, sign))
    return found


def _item_of(
    heading: LexborNode, sign: Sign, headings: list[tuple[LexborNode, Sign]]
) -> LexborNode:
    """The largest element around ``heading`` that holds no other sign's heading."""
    others = {node.mem_id for node, other in headings if node.mem_id != heading.mem_id}
    item = heading
    parent = heading.parent
    while parent is not None and parent.tag not in ("body", "html"):
        if any(node.mem_id in others for node in parent.traverse()):
            break
        item, parent = parent, parent.parent
    return item


def _item_text(item: LexborNode, heading: LexborNode) -> str | None:
    """The text of ``item`` without its heading, when it is prose and not links."""
    if item.mem_id == heading.mem_id:
        return None
    heading_text = one_line(heading)
    total_links = _link_chars(item) - _link_chars(heading)
    lines = [line for line in text_of([item]).split("\n") if line.strip() != heading_text]
    text = "\n".join(lines).strip()
    if not _is_prose(text, MIN_ITEM_CHARS) or total_links > MAX_LINK_SHARE * len(text):
        return None
    return text


def _names_only_a_sign(text: str) -> bool:
    """Whether a short text is a sign's heading ("Овен", "♈ Овен (21.03–20.04)", "Гороскоп
    для Овна") rather than a sentence that happens to name a sign."""
    words = re.findall(r"[а-яёa-z]+", text.lower())
    return len([word for word in words if not is_sign_word(word)]) <= 3


def _lists_signs(nodes: list[LexborNode]) -> bool:
    """Whether the short elements (links, headings, list items) of ``nodes`` name several
    signs: an "other signs" list or a sign menu, not one sign's text."""
    named = set()
    for node in nodes:
        for child in node.css("a, li, h1, h2, h3, h4, h5, h6, dt, strong, b, span"):
            text = one_line(child)
            if len(text) <= MAX_HEADING_CHARS and (sign := parse_sign(text)) is not None:
                named.add(sign)
    return len(named) >= SIGN_LIST


def _is_prose(text: str | None, min_chars: int) -> bool:
    """Long enough, mostly letters, with at least one sentence in it."""
    if not text or len(text) < min_chars:
        return False
    letters = sum(char.isalpha() for char in text)
    return letters >= 0.6 * len(text.replace(" ", "")) and bool(_SENTENCE_END.search(text))


def _link_chars(node: LexborNode) -> int:
    return sum(len(block_text([link])) for link in node.css("a"))


def _element_children(node: LexborNode) -> Iterator[LexborNode]:
    for child in node.iter():
        if child.is_element_node:
            yield child


class HtmlSource(Source):
    """A source whose pages are HTML: when its selectors match nothing, the largest text
    block of a page is its horoscope (:func:`one_sign_text`, :func:`sign_items`)."""

    def fallback(self, page: Page, missed: SelectorsMissed) -> ParsedPage:
        original = LexborHTMLParser(page.body)
        day = self.page_facts(page.body, page.request.day).day or stated_date(
            original, page.request.day
        )
        tree = cleaned(page.body)
        sign = page.request.sign
        if sign is not None:
            check_heading(self, page, heading_at(original.root, "h1"), sign)
            text = one_sign_text(tree)
            require(
                text,
                f"{missed}; nor did the fallback find a text block of {MIN_CHARS}+ "
                f"characters that is not navigation: {fix_hint(self)}",
            )
            assert text is not None
            return ParsedPage(records=[self.record(page, sign, text, day=day)])
        items = [item for item in sign_items(tree) if item[1] is not None]
        require(
            items,
            f"{missed}; nor did the fallback find a sign heading with a text of "
            f"{MIN_ITEM_CHARS}+ characters around it: {fix_hint(self)}",
        )
        return sign_records(self, page, items, text_selector="the fallback", day=day)


#: Where a page states its date, for the fallback: ``<time datetime>``, the heading, the title.
DATE_PLACES: tuple[tuple[str, str | None], ...] = (
    ("time[datetime]", "datetime"),
    ("h1", None),
    ("title", None),
)


def stated_date(tree: LexborHTMLParser, near: dt.date) -> dt.date | None:
    """The first date the page states in one of :data:`DATE_PLACES` (a date without a year
    is taken nearest ``near``)."""
    for selector, attribute in DATE_PLACES:
        node = tree.css_first(selector)
        if node is None:
            continue
        text = node.attributes.get(attribute) if attribute else one_line(node)
        found = parse_russian_date(text, near.year, near=near)
        if found is not None:
            return found
    return None
