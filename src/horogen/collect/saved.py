"""A page saved from a site (quarantined by a run, or saved from a browser): the request it
answers, from what the caller knows and, for the rest, from what the page itself states.

``horogen parse`` reads saved pages through :func:`saved_request`: given values win; the
page's own facts (its canonical link, the sign its heading names, the day it states, a
feed's "today") fill the gaps; the source's first page for today is the last resort.
Given values that contradict the page are errors: a sign here, the sign of a given URL in
the adapter (its heading check), a given day in the caller (records of another day).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from horogen.collect.base import PageRequest, Source
from horogen.errors import HorogenError
from horogen.schema import Category
from horogen.signs import Sign


def saved_request(
    source: Source,
    body: str,
    *,
    today: dt.date,
    url: str | None = None,
    day: dt.date | None = None,
    sign: Sign | None = None,
) -> PageRequest:
    """The request the page ``body`` of ``source`` answers (see the module's docstring).

    Raises :class:`HorogenError` when ``sign`` is not the sign the page's heading names."""
    facts = source.page_facts(body, today)
    if sign is not None and facts.sign is not None and sign is not facts.sign:
        raise HorogenError(
            f"the page is about {facts.sign.ru} ({facts.sign.value}), not {sign.ru} "
            f"({sign.value}) as given: give {facts.sign.value} or no sign"
        )
    day = day or facts.day or today
    address = url or facts.url
    planned = _planned(source, day)
    request = _match(planned, address, sign or facts.sign, facts.category)
    if request is None:
        wanted = sign or facts.sign
        name = wanted.value if wanted else (facts.category or "page")
        request = PageRequest(
            url=address or planned[0].url,
            day=day,
            name=str(name),
            category=facts.category or Category.GENERAL,
            sign=wanted,
        )
    return request if sign is None else dataclasses.replace(request, sign=sign)


#: The charset a page declares: ``<meta charset=…>``, ``content="text/html; charset=…"``, or
#: an XML declaration's ``encoding=…``.
_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


def decode_page(data: bytes) -> str:
    """A saved page's text: UTF-8 (a BOM dropped), else the charset the page declares in
    its first kilobytes, else windows-1251 (older Russian sites)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    declared = _DECLARED.search(data[:4096])
    try:
        return data.decode(declared.group(1).decode() if declared else "cp1251")
    except (LookupError, UnicodeDecodeError):
        return data.decode("cp1251", errors="replace")


def _planned(source: Source, day: dt.date) -> list[PageRequest]:
    """The pages ``source`` would fetch for ``day``, whether the site's today is that day,
    the day before or the day after (a page "for tomorrow" saved yesterday)."""
    requests: list[PageRequest] = []
    for offset in (0, -1, 1):
        site_today = day + dt.timedelta(days=offset)
        if source.availability.serves(day, site_today):
            requests += source.plan(day, site_today)
    return requests or source.plan(day, day)


def _match(
    planned: list[PageRequest],
    address: str | None,
    sign: Sign | None,
    category: Category | None,
) -> PageRequest | None:
    """The planned request at ``address``; without an address, the one for ``sign`` or
    ``category``, or the first page when the page names neither."""
    if address is not None:
        return next((r for r in planned if _same(r.url, address)), None)
    if sign is not None:
        return next((r for r in planned if r.sign is sign), None)
    if category is not None:
        return next((r for r in planned if r.category is category), None)
    return planned[0]


def _same(left: str, right: str) -> bool:
    """Two addresses of one page: scheme and a trailing slash aside."""

    def key(url: str) -> str:
        return url.split("://", 1)[-1].rstrip("/").lower()

    return key(left) == key(right)
