"""horoscopes.rambler.ru as the mirror serves it: ``{sign}/`` (today) and the archive
``{sign}/{YYYY-MM-DD}/`` for any date.

Layouts:

- ``current``: the text in several ``p._1RrZR`` (one per line of the text), the date in
  ``<time datetime>`` on today's page and in the heading on archive pages.
- ``legacy``: the text in one ``div._1dQ3`` (a ``<p>`` per line), the date in the heading.
- ``changed``: a client-side rendered redesign. The article holds the heading and a
  short "loading" line; the text is only in a ``<script type="application/json">``
  state blob after the article, as single-page apps ship it. Neither known selector
  matches and the adapter's fallback (the longest text block of the article, at least
  ``FALLBACK_MIN_CHARS`` long, scripts removed) finds nothing long enough, so the page
  is quarantined rather than some other block of the page being taken for the text.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from html import escape

from horogen.collect.dates import format_russian_date
from horogen.mirror.base import (
    SIGN_SLUGS,
    Layout,
    Rendered,
    SignPage,
    SiteMirror,
    TextFn,
    paragraphs,
    path_parts,
)
from horogen.schema import Category
from horogen.signs import Sign

_ARCHIVE_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class RamblerMirror(SiteMirror):
    source_id = "rambler"

    def render(
        self, path: str, today: dt.date, site_url: str, layout: Layout, texts: TextFn
    ) -> Rendered | None:
        parts = path_parts(path)
        sign = SIGN_SLUGS.get(parts[0]) if 1 <= len(parts) <= 2 else None
        if sign is None:
            return None
        archive = len(parts) == 2
        if archive:
            if not _ARCHIVE_DAY.fullmatch(parts[1]):
                return None
            try:
                day = dt.date.fromisoformat(parts[1])
            except ValueError:
                return None
        else:
            day = today
        text = texts(self.source_id, sign, Category.GENERAL, day)
        page = _Page(sign, day, text, site_url.rstrip("/"), archive)
        return Rendered(_LAYOUTS[layout](page))


@dataclass(frozen=True)
class _Page(SignPage):
    archive: bool  # an archive page (``{sign}/{YYYY-MM-DD}/``) rather than today's

    @property
    def path(self) -> str:
        return f"/{self.sign.value}/" + (f"{self.day.isoformat()}/" if self.archive else "")

    def heading(self, *, year: bool = True, with_date: bool = False) -> str:
        who = f"Гороскоп для {self.sign.genitive}"
        if self.archive:
            return f"{who} на {format_russian_date(self.day, year=year)}"
        if with_date:
            return f"{who} на сегодня, {format_russian_date(self.day, year=year)}"
        return f"{who} на сегодня"

    def nav(self, link_class: str) -> str:
        return "".join(
            f'<a class="{link_class}" href="{escape(self.site)}/{sign.value}/">{sign.ru}</a>'
            for sign in Sign
        )


def _head(page: _Page, title: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="ru"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} — Рамблер/гороскопы</title>"
        f'<meta name="description" content="{escape(title)}: что ждёт знак сегодня.">'
        f'<link rel="canonical" href="{escape(page.site + page.path)}">'
        '<link rel="stylesheet" href="/static/main.3f9a1c.css">'
        "</head>"
    )


_FOOTER = (
    '<footer class="_1zd1E"><p class="_3mFvA">© 2026 ООО «Рамблер Интернет Холдинг». '
    "Гороскопы носят развлекательный характер.</p>"
    '<a class="_2QwPo" href="/about/">О проекте</a></footer>'
)


def _current(page: _Page) -> str:
    title = page.heading()
    body = paragraphs(page.text, "_1RrZR", keep_empty=True)
    time = (
        ""
        if page.archive
        else f'<time class="_3oUnY" datetime="{page.day.isoformat()}">'
        f"{format_russian_date(page.day)}</time>"
    )
    return (
        _head(page, title) + '<body><div id="app" class="_3Hd1x">'
        '<header class="_2gS0U"><a class="_1xTg3" href="/">Рамблер/гороскопы</a>'
        f'<nav class="_2PxyW">{page.nav("_1lAbv")}</nav></header>'
        '<main class="_2lhbF"><div class="_3vwNd">'
        '<article class="_1E4Zo" itemscope itemtype="http://schema.org/Article">'
        f'<h1 class="_2M1Bu" itemprop="headline">{escape(title)}</h1>{time}'
        f'<div class="_1E8Yi" itemprop="articleBody">{body}</div>'
        '<div class="_2bEbq"><span>Поделиться:</span>'
        '<a href="https://vk.com/share.php">ВКонтакте</a>'
        '<a href="https://t.me/share/url">Telegram</a></div>'
        "</article>"
        '<aside class="_1k5iH"><h2 class="_3Fm0E">Другие гороскопы</h2>'
        '<a href="/chinese/">Китайский гороскоп</a><a href="/moon/">Лунный календарь</a>'
        "</aside></div></main>" + _FOOTER + "</div></body></html>"
    )


def _legacy(page: _Page) -> str:
    title = page.heading(year=page.archive, with_date=True)
    return (
        _head(page, title) + '<body><div class="_2Bj4">'
        f'<div class="_3nKw">{page.nav("_1uJk")}</div>'
        '<div class="_3Yc4">'
        f'<h1 class="_2gjX">{escape(title)}</h1>'
        f'<div class="_1dQ3">{paragraphs(page.text, keep_empty=True)}</div>'
        '<div class="_2Ngz"><a href="/aries/tomorrow/">Гороскоп на завтра</a></div>'
        "</div>" + _FOOTER + "</div></body></html>"
    )


def _changed(page: _Page) -> str:
    title = page.heading()
    state = {
        "props": {
            "pageProps": {
                "horoscope": {
                    "sign": page.sign.value,
                    "date": page.day.isoformat(),
                    "text": page.text,
                }
            }
        }
    }
    blob = json.dumps(state, ensure_ascii=False).replace("</", "<\\/")
    return (
        _head(page, title) + '<body><div id="__next">'
        '<header class="hdr-9c2f1"><a href="/">Рамблер/гороскопы</a></header>'
        '<main class="page-4be1a"><article class="horo-77d0e">'
        f'<h1 class="ttl-1aa2b">{escape(title)}</h1>'
        '<p class="ld-0f3c9">Загружаем гороскоп…</p>'
        f'<div id="horoscope-root" data-sign="{page.sign.value}"></div>'
        "</article></main>" + _FOOTER + "</div>"
        f'<script id="__NEXT_DATA__" type="application/json">{blob}</script>'
        "</body></html>"
    )


_LAYOUTS = {"current": _current, "legacy": _legacy, "changed": _changed}
