"""What a site's mirror is: it renders the site's pages, in the site's layout, for any day.

The mirror server (``mirror/server.py``) routes ``/<source id>/<path>?date=YYYY-MM-DD`` to
the site's :class:`SiteMirror`; ``date`` is the day the site should believe is today
(the real today when absent), so the same adapters that read the real site can backfill
any date from the mirror.

Also what several sites' markup shares: a text as escaped lines or paragraphs, the
signs' date ranges, and the data of a page about one sign.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import ClassVar, Literal

from horogen.schema import Category, normalize_whitespace
from horogen.signs import Sign

#: ``current``: the layout the adapter targets; ``legacy``: an older layout the adapter
#: still reads (where the site had one); ``changed``: a layout the adapter does not know,
#: as after a redesign, for fault injection.
Layout = Literal["current", "legacy", "changed"]

#: (source id, sign, category, day) → the horoscope text, dirt included; may be empty.
TextFn = Callable[[str, Sign, Category, dt.date], str]


@dataclass(frozen=True)
class Rendered:
    body: str
    media_type: str = "text/html; charset=utf-8"


class SiteMirror(ABC):
    source_id: ClassVar[str]

    @abstractmethod
    def render(
        self, path: str, today: dt.date, site_url: str, layout: Layout, texts: TextFn
    ) -> Rendered | None:
        """The page at ``path`` (relative to the site root, no leading slash, no query) as
        the site shows it on ``today``; ``None`` for a path the site does not have (404).

        ``site_url`` is the mirror's URL of the site root, for absolute links.
        """


#: Each sign by its slug, for the sites whose paths name the sign ("aries/").
SIGN_SLUGS: dict[str, Sign] = {sign.value: sign for sign in Sign}


def path_parts(path: str) -> list[str]:
    """The segments of a page's path: "aries/2026-11-25/" → ["aries", "2026-11-25"]."""
    return [part for part in path.split("/") if part]


@dataclass(frozen=True)
class SignPage:
    """A page about one sign on one day, for the sites with a page per sign."""

    sign: Sign
    day: dt.date
    text: str
    site: str  # the mirror's URL of the site root, no trailing slash


#: Each sign's first and last day as (day, month), as pages print them next to the sign.
SIGN_DATES: dict[Sign, tuple[tuple[int, int], tuple[int, int]]] = dict(
    zip(
        Sign,
        (
            ((21, 3), (20, 4)), ((21, 4), (20, 5)), ((21, 5), (21, 6)), ((22, 6), (22, 7)),
            ((23, 7), (23, 8)), ((24, 8), (23, 9)), ((24, 9), (23, 10)), ((24, 10), (22, 11)),
            ((23, 11), (21, 12)), ((22, 12), (20, 1)), ((21, 1), (20, 2)), ((21, 2), (20, 3)),
        ),
        strict=True,
    )
)  # fmt: skip


def escaped_lines(text: str) -> list[str]:
    """The lines of ``text`` as a page prints them: whitespace normalized, markup escaped;
    none for an empty text."""
    return [escape(line) for line in normalize_whitespace(text).split("\n") if line]


def paragraphs(
    text: str, css_class: str | None = None, *, tag: str = "p", keep_empty: bool = False
) -> str:
    """``text`` as one ``<p class=css_class>`` (or other ``tag``) per line. An empty text
    gives nothing, or one empty element with ``keep_empty`` (for sites that print an empty
    horoscope as an empty paragraph)."""
    attribute = f' class="{css_class}"' if css_class else ""
    lines = escaped_lines(text) or ([""] if keep_empty else [])
    return "".join(f"<{tag}{attribute}>{line}</{tag}>" for line in lines)
