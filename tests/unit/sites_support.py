"""Helpers shared by the site adapter tests (tests/unit/test_sites_*.py): pages built from
fixture files, expected records, fake horoscope texts for the mirrors, and a round trip that
renders every planned page with a site's mirror and parses it."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from horogen.collect.base import Page, PageRequest, Source
from horogen.mirror.base import Layout, SiteMirror, TextFn
from horogen.schema import Category, Record
from horogen.signs import Sign

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sites"
TODAY = dt.date(2026, 11, 25)
COLLECTED = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)


# --- pages -----------------------------------------------------------------------------


def fixture_text(source_id: str, fixture: str) -> str:
    """The text of tests/fixtures/sites/<source_id>/<fixture>."""
    return (FIXTURES / source_id / fixture).read_text(encoding="utf-8")


def body_page(
    body: str,
    *,
    url: str,
    day: dt.date,
    name: str | None = None,
    sign: Sign | None = None,
    category: Category = Category.GENERAL,
    collected_at: dt.datetime = COLLECTED,
) -> Page:
    """``body`` fetched from ``url`` (no redirect) for a request of ``day``; the request's
    name is the sign's, else the category's, unless given."""
    if name is None:
        name = sign.value if sign else category.value
    request = PageRequest(url=url, day=day, name=name, category=category, sign=sign)
    return request_page(request, body, collected_at)


def fixture_page(
    source_id: str,
    fixture: str,
    *,
    url: str,
    day: dt.date,
    name: str | None = None,
    sign: Sign | None = None,
    category: Category = Category.GENERAL,
    collected_at: dt.datetime = COLLECTED,
) -> Page:
    """The fixture file ``fixture`` of ``source_id`` as a page: see :func:`body_page`."""
    return body_page(
        fixture_text(source_id, fixture),
        url=url,
        day=day,
        name=name,
        sign=sign,
        category=category,
        collected_at=collected_at,
    )


def request_page(request: PageRequest, body: str, collected_at: dt.datetime = COLLECTED) -> Page:
    """``body`` fetched for ``request`` from its own URL."""
    return Page(request=request, url=request.url, body=body, collected_at=collected_at)


def expected_record(
    page: Page,
    *,
    source: str,
    sign: Sign,
    day: dt.date,
    text: str,
    category: Category = Category.GENERAL,
    collected_at: dt.datetime = COLLECTED,
) -> Record:
    """The record ``page`` should give for ``sign``."""
    return Record(
        date=day,
        sign=sign,
        category=category,
        source=source,
        text=text,
        url=page.url,
        collected_at=collected_at,
    )


# --- texts for the mirrors ---------------------------------------------------------------

PADDING = (
    "звёзды советуют не спешить с выводами и больше времени проводить с близкими людьми, "
    "а вечером позволить себе отдых"
)
PADDED = (
    "{source} {sign} {category} {day}: {padding}\xa0— «цитата» <b>&amp;</b> 🌟\n"
    "\tвторой   абзац {ru}. Читать далее"
)


@dataclass(frozen=True)
class FakeTexts:
    """A :data:`~horogen.mirror.base.TextFn`: deterministic texts, different per (source,
    sign, category, day), with dirt for the adapter to clean.

    ``template`` is formatted with ``source``, ``sign``, ``category``, ``day`` (ISO),
    ``ru`` (the sign's Russian name), ``padding`` (:data:`PADDING`), ``digest`` (six hex
    digits of a hash of the four arguments) and ``dirt1`` / ``dirt2`` (two entries of
    ``dirt`` picked by that hash: the number in its first eight digits modulo the length,
    and that number divided by ``dirt_step`` modulo the length). The text is empty for a
    sign, or a (sign, category) pair, in ``empty``.
    """

    template: str = PADDED
    empty: Collection[Sign | tuple[Sign, Category]] = ()
    dirt: tuple[str, ...] = ("",)
    dirt_step: int = 9

    def __call__(self, source: str, sign: Sign, category: Category, day: dt.date) -> str:
        if sign in self.empty or (sign, category) in self.empty:
            return ""  # an empty item
        digest = hashlib.sha256(f"{source}|{sign}|{category}|{day}".encode()).hexdigest()
        n = int(digest[:8], 16)
        return self.template.format(
            source=source,
            sign=sign,
            category=category,
            day=day.isoformat(),
            ru=sign.ru,
            padding=PADDING,
            digest=digest[:6],
            dirt1=self.dirt[n % len(self.dirt)],
            dirt2=self.dirt[(n // self.dirt_step) % len(self.dirt)],
        )


# --- round trip through a mirror -----------------------------------------------------------


@dataclass
class RoundTrip:
    """What a round trip collected: like a :class:`~horogen.collect.base.ParsedPage` of all
    the pages together (the links they asked to follow were followed), and the pages."""

    records: list[Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)


def round_trip(
    source: Source,
    mirror: SiteMirror,
    day: dt.date,
    layout: Layout,
    texts: TextFn,
    *,
    today: dt.date | None = None,
    planned: int | None = None,
    media_type: str = "text/html",
    collected_at: dt.datetime = COLLECTED,
) -> RoundTrip:
    """Collects ``day`` from ``mirror`` as ``source`` would when the site's day is ``today``
    (``day`` unless given): every planned page, and every page a parsed page asks to follow,
    is rendered by the mirror (which must know its path and answer with ``media_type``) and
    parsed. ``planned``: how many pages the plan must have. A ``LayoutChanged`` propagates."""
    today = day if today is None else today
    queue = source.plan(day, today)
    if planned is not None:
        assert len(queue) == planned
    result = RoundTrip()
    while queue:
        request = queue.pop(0)
        path = request.url.removeprefix(source.base_url + "/")
        rendered = mirror.render(path, today, source.base_url, layout, texts)
        assert rendered is not None, request.url
        assert rendered.media_type.startswith(media_type), rendered.media_type
        page = request_page(request, rendered.body, collected_at)
        parsed = source.parse(page)
        result.pages.append(page)
        result.records += parsed.records
        result.problems += parsed.problems
        queue += parsed.follow
    return result
