"""horoscopes.rambler.ru: one page per sign, today at ``/{sign}/``, an archive at
``/{sign}/{YYYY-MM-DD}/``.

The site is built with hashed CSS-module class names that change with redesigns: the
text was in ``div._1dQ3`` (older), later in several ``p._1RrZR`` paragraphs (current).
When neither matches, the parser falls back to the longest text block of the article,
but only to a block long enough to be a horoscope (otherwise the page is quarantined),
and says so in the page's problems, so the drift shows in the collection report.
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
    Source,
    require,
)
from horogen.collect.dates import parse_russian_date
from horogen.collect.sites._html import (
    fix_hint,
    heading_at,
    one_line,
    one_sign_facts,
    sign_page,
    sign_page_requests,
    text_of,
)

#: Where the text is, newest layout first.
TEXT_SELECTORS: tuple[str, ...] = (
    "p._1RrZR",  # current: one <p> per paragraph
    "div._1dQ3",  # older: one <div>, paragraphs inside it or plain text
)
#: The page's heading, which names the sign (and, on archive pages, the date).
HEADING_SELECTOR = "h1"
#: Elements that state the page's date, tried in order after the heading.
DATE_SELECTOR = "time[datetime]"
#: Where the fallback looks for the longest text block, first match wins.
FALLBACK_CONTAINERS: tuple[str, ...] = ("article", "main", "[role=main]")
#: The shortest block the fallback accepts as a horoscope (real ones run 200–700 chars).
FALLBACK_MIN_CHARS = 150
#: Never text: removed before the fallback measures blocks.
NOT_TEXT_TAGS: tuple[str, ...] = ("script", "style", "noscript", "template", "svg")

# Blocks inside a <div> that make it a container rather than a text block. (Lexbor's
# ``node.css`` also matches the node itself, hence the check on each child.)
_BLOCK_TAGS = "div, p, section, article, ul, ol, table"


class Rambler(Source):
    id = "rambler"
    title = "Рамблер/гороскопы"
    default_base_url = "https://horoscopes.rambler.ru"
    availability = Availability(past_days=None, future_days=1)

    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        suffix = "" if day == today else f"{day.isoformat()}/"
        return sign_page_requests(day, lambda sign: f"{self.base_url}/{sign.value}/{suffix}")

    def parse(self, page: Page) -> ParsedPage:
        sign, tree, heading = sign_page(self, page, HEADING_SELECTOR)
        parsed = ParsedPage()
        text = self._text(tree, parsed.problems)
        day = _stated_date(tree, heading, page.request.day) or page.request.day
        parsed.records.append(self.record(page, sign, text, day=day))
        return parsed

    def page_facts(self, body: str, today: dt.date) -> PageFacts:
        tree = LexborHTMLParser(body)
        day = _stated_date(tree, heading_at(tree.root, HEADING_SELECTOR), today)
        return one_sign_facts(tree, HEADING_SELECTOR, day)

    def _text(self, tree: LexborHTMLParser, problems: list[str]) -> str:
        """The text; a note in ``problems`` when only the fallback found it."""
        for selector in TEXT_SELECTORS:
            nodes = tree.css(selector)
            if nodes:
                text = text_of(nodes)
                require(text.strip(), f"{selector} matched {len(nodes)} element(s) with no text")
                return text
        tried = " or ".join(TEXT_SELECTORS)
        container = next(
            (node for selector in FALLBACK_CONTAINERS if (node := tree.css_first(selector))), None
        )
        require(
            container is not None,
            f"no text: {tried} matched nothing, and there is no "
            f"{' / '.join(FALLBACK_CONTAINERS)} to fall back to: " + fix_hint(self),
        )
        assert container is not None
        tree.strip_tags(list(NOT_TEXT_TAGS))
        block = _longest_block(container)
        require(
            len(block) >= FALLBACK_MIN_CHARS,
            f"no text: {tried} matched nothing, and the longest text block in "
            f"<{container.tag}> has {len(block)} characters (the fallback needs at least "
            f"{FALLBACK_MIN_CHARS}): " + fix_hint(self),
        )
        problems.append(
            f"text found by the longest-block fallback in <{container.tag}>: the selectors "
            f"{' / '.join(TEXT_SELECTORS)} matched nothing; " + fix_hint(self)
        )
        return block


def _longest_block(container: LexborNode) -> str:
    """The longest block of text in ``container``: the ``<p>`` children of one parent
    taken together, or a ``<div>`` holding text but no other blocks."""
    by_parent: dict[int, list[LexborNode]] = {}
    for p in container.css("p"):
        parent = p.parent
        by_parent.setdefault(parent.mem_id if parent is not None else p.mem_id, []).append(p)
    blocks = [text_of(paragraphs) for paragraphs in by_parent.values()]
    blocks += [
        text_of([div])
        for div in container.css("div")
        if not any(child.css_first(_BLOCK_TAGS) for child in div.iter())
    ]
    return max(blocks, key=len, default="")


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
