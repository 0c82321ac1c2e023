"""What a site's mirror is: it renders the site's pages, in the site's layout, for any day.

The mirror server (``mirror/server.py``) routes ``/<source id>/<path>?date=YYYY-MM-DD`` to
the site's :class:`SiteMirror`; ``date`` is the day the site should believe is today
(the real today when absent), so the same adapters that read the real site can backfill
any date from the mirror.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

from horogen.schema import Category
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
