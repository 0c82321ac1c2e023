"""What a source adapter is: it plans which pages give a day's horoscopes and parses them.

Adapters do no I/O. The collector (``collect/run.py``) fetches what ``plan`` asks for,
hands each page to ``parse``, fetches any pages a parse asks to ``follow`` (an index's
links), and quarantines pages whose parse raises :class:`~horogen.errors.LayoutChanged`.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from horogen.collect.labels import without_labels
from horogen.errors import LayoutChanged, SelectorsMissed
from horogen.schema import Category, Record, normalize_whitespace
from horogen.signs import Sign


@dataclass(frozen=True)
class Availability:
    """Which days a source serves on the real web, relative to its today.

    ``past_days=None`` means an archive with no known start.
    """

    past_days: int | None = 0
    future_days: int = 0

    def serves(self, day: dt.date, today: dt.date) -> bool:
        offset = (day - today).days
        if offset > self.future_days:
            return False
        return self.past_days is None or -offset <= self.past_days

    def describe(self) -> str:
        if self.past_days is None:
            return "archive" + (f" to +{self.future_days}d" if self.future_days else "")
        if self.past_days == 0 and self.future_days == 0:
            return "today only"
        return f"-{self.past_days}d … +{self.future_days}d"


@dataclass(frozen=True)
class PageRequest:
    """A page to fetch and what it should hold."""

    url: str
    day: dt.date
    name: str  # short and unique within a source and day: names the quarantine files
    category: Category = Category.GENERAL
    sign: Sign | None = None  # for pages about one sign: the sign the URL asks for


@dataclass(frozen=True)
class Page:
    """A fetched page."""

    request: PageRequest
    url: str  # after redirects
    body: str
    collected_at: dt.datetime


@dataclass(frozen=True)
class PageFacts:
    """What a page states about itself (``None`` where it says nothing): enough to parse a
    saved page without the request it answered (``collect/saved.py``)."""

    url: str | None = None  # its address: the canonical link, or where the site serves it
    sign: Sign | None = None  # the sign of a page about one sign
    category: Category | None = None
    day: dt.date | None = None  # the day it is for (a feed: its "today")


#: How a page's records were found: by the adapter's selectors, or by its fallback.
Extraction = Literal["selectors", "fallback"]


@dataclass
class ParsedPage:
    """What a page gave: records, pages to fetch next, items that had to be skipped, and
    how the records were found (``fallback``: the adapter's selectors matched nothing)."""

    records: list[Record] = field(default_factory=list)
    follow: list[PageRequest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    extraction: Extraction = "selectors"


class Source(ABC):
    """A horoscope website. Subclasses declare their identity and implement two methods."""

    id: ClassVar[str]
    title: ClassVar[str]
    default_base_url: ClassVar[str]
    categories: ClassVar[tuple[Category, ...]] = (Category.GENERAL,)
    availability: ClassVar[Availability] = Availability()
    page_suffix: ClassVar[str] = "html"  # how quarantined pages are saved

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")

    @abstractmethod
    def plan(self, day: dt.date, today: dt.date) -> list[PageRequest]:
        """The pages that hold ``day``'s horoscopes when the site's current day is ``today``.

        Called only for days the source serves (``availability.serves(day, today)``).
        """

    @abstractmethod
    def parse(self, page: Page) -> ParsedPage:
        """Records on ``page``; raises ``LayoutChanged`` when the page is not as expected
        (``SelectorsMissed`` when the selectors matched nothing at all)."""

    def extract(self, page: Page) -> ParsedPage:
        """What the collector and ``horogen parse`` call: :meth:`parse`, and when its
        selectors matched nothing, :meth:`fallback`, whose records are marked
        ``extraction = "fallback"`` with the reason among the problems, so a layout change
        degrades the source visibly instead of stopping it."""
        try:
            return self.parse(page)
        except SelectorsMissed as missed:
            parsed = self.fallback(page, missed)
            parsed.extraction = "fallback"
            parsed.problems.insert(0, f"found by the fallback, since {missed}")
            return parsed

    def fallback(self, page: Page, missed: SelectorsMissed) -> ParsedPage:
        """Records found without the selectors; raises ``LayoutChanged`` when there are none.
        None by default: a source whose pages have no text blocks (a feed) re-raises."""
        raise missed

    def page_facts(self, body: str, today: dt.date) -> PageFacts:
        """What the page ``body`` states about itself: its address, sign, category, day
        (a date without a year is taken nearest ``today``). Nothing, unless a site says."""
        return PageFacts()

    def record(
        self,
        page: Page,
        sign: Sign,
        text: str,
        *,
        category: Category | None = None,
        day: dt.date | None = None,
    ) -> Record:
        """A record from ``page``: the date the page states (``day``) or the requested day,
        and the text without the sign's name and dates printed beside it (labels.py)."""
        return Record(
            date=day or page.request.day,
            sign=sign,
            category=category or page.request.category,
            source=self.id,
            text=normalize_whitespace(without_labels(normalize_whitespace(text))),
            url=page.url,
            collected_at=page.collected_at,
        )


def require(condition: object, reason: str) -> None:
    """Raise ``LayoutChanged(reason)`` unless ``condition`` holds: keeps parsers flat."""
    if not condition:
        raise LayoutChanged(reason)


def require_match(condition: object, reason: str) -> None:
    """Raise ``SelectorsMissed(reason)`` unless ``condition`` (what a selector matched)
    holds: the page is not in any layout the adapter knows, and its fallback may try."""
    if not condition:
        raise SelectorsMissed(reason)
