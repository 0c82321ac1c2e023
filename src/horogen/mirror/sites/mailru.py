"""horo.mail.ru as the mirror serves it: ``prediction/{sign}/{yesterday|today|tomorrow}/``
relative to the mirror's today.

Layouts:

- ``current``: ``main[data-qa=ArticleLayout]``; the header has the sign's date range and
  the day ("25 ноября 2026"), each in a ``span[data-qa=Text]``; the text is the article's
  paragraphs (one per line of the text).
- ``legacy``: paragraphs in ``div.article__item.article__item_html``; the date only in
  the heading, without the year ("Гороскоп для Овна на сегодня, 25 ноября").
- ``changed``: a redesign with ``main[data-qa=PageLayout]`` and the text in ``<div>``
  blocks, which neither known layout matches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from horogen.collect.dates import format_russian_date
from horogen.mirror.base import (
    SIGN_DATES,
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

DAY_OFFSETS: dict[str, int] = {"yesterday": -1, "today": 0, "tomorrow": 1}
_DAY_WORDS: dict[str, str] = {"yesterday": "вчера", "today": "сегодня", "tomorrow": "завтра"}


class MailRuMirror(SiteMirror):
    source_id = "mailru"

    def render(
        self, path: str, today: dt.date, site_url: str, layout: Layout, texts: TextFn
    ) -> Rendered | None:
        parts = path_parts(path)
        if len(parts) != 3 or parts[0] != "prediction" or parts[2] not in DAY_OFFSETS:
            return None
        sign = SIGN_SLUGS.get(parts[1])
        if sign is None:
            return None
        day = today + dt.timedelta(days=DAY_OFFSETS[parts[2]])
        text = texts(self.source_id, sign, Category.GENERAL, day)
        page = _Page(sign, day, text, site_url.rstrip("/"), parts[2])
        return Rendered(_LAYOUTS[layout](page))


@dataclass(frozen=True)
class _Page(SignPage):
    slug: str  # yesterday, today or tomorrow

    @property
    def title(self) -> str:
        return f"Гороскоп для {self.sign.genitive} на {_DAY_WORDS[self.slug]}"

    @property
    def sign_dates(self) -> str:
        """The sign's dates, as the page header shows them (a trap for a careless date
        parser): "21 марта — 20 апреля"."""
        return " — ".join(
            format_russian_date(dt.date(2000, month, number), year=False)
            for number, month in SIGN_DATES[self.sign]
        )

    def tabs(self) -> str:
        links = []
        for slug, word in _DAY_WORDS.items():
            current = ' aria-current="page"' if slug == self.slug else ""
            href = f"{self.site}/prediction/{self.sign.value}/{slug}/"
            links.append(f'<a data-qa="Tab" href="{escape(href)}"{current}>{word.capitalize()}</a>')
        return "".join(links)


def _head(page: _Page) -> str:
    canonical = f"{page.site}/prediction/{page.sign.value}/{page.slug}/"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="ru"><head><meta charset="UTF-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0"/>'
        f"<title>{escape(page.title)} - Гороскопы Mail</title>"
        f'<link rel="canonical" href="{escape(canonical)}"/>'
        '<meta property="og:site_name" content="Гороскопы Mail"/>'
        "</head>"
    )


_PORTAL_HEADER = (
    '<div id="portal-menu" class="portal-menu"><a href="https://mail.ru">Mail</a>'
    '<a href="https://news.mail.ru">Новости</a><a href="/">Гороскопы</a></div>'
)
_FOOTER = (
    '<footer data-qa="Footer"><span data-qa="Text">© 2026 VK. Гороскопы Mail</span>'
    '<a href="/info/">О проекте</a></footer>'
)


def _current(page: _Page) -> str:
    body = paragraphs(page.text, keep_empty=True)
    return (
        _head(page) + "<body>" + _PORTAL_HEADER + '<main data-qa="ArticleLayout" class="b8e4a1c3">'
        '<div class="d3f7a2b0" data-qa="ArticleHeader">'
        '<nav data-qa="Breadcrumbs"><a href="/prediction/">Гороскопы</a>'
        f"<span>{page.sign.ru}</span></nav>"
        f'<h1 data-qa="Title" class="f09c2e77">{escape(page.title)}</h1>'
        f'<div data-qa="SignDates"><span data-qa="Text">{page.sign_dates}</span></div>'
        f'<div data-qa="Date"><span data-qa="Text">{format_russian_date(page.day)}</span></div>'
        f'<div data-qa="Tabs">{page.tabs()}</div></div>'
        '<article data-qa="Article" class="a61d0e9f">'
        f'<div data-qa="ArticleItem">{body}</div></article>'
        '<div data-qa="Rating"><span data-qa="Text">Финансы</span>'
        '<span data-qa="Text">Любовь</span></div>'
        "</main>" + _FOOTER + "</body></html>"
    )


def _legacy(page: _Page) -> str:
    heading = f"{page.title}, {format_russian_date(page.day, year=False)}"
    body = paragraphs(page.text, keep_empty=True)
    return (
        _head(page) + '<body class="body_horo">' + _PORTAL_HEADER + '<div class="layout">'
        '<div class="p-prediction"><div class="article article_prediction">'
        f'<h1 class="hdr__inner">{escape(heading)}</h1>'
        f'<div class="p-prediction__tabs">{page.tabs()}</div>'
        '<div class="article__item article__item_alignment_left article__item_html">'
        f"{body}</div>"
        '<div class="article__item article__item_source">Источник: Гороскопы Mail</div>'
        "</div></div></div>" + _FOOTER + "</body></html>"
    )


def _changed(page: _Page) -> str:
    blocks = paragraphs(page.text, "pt-3d9e", tag="div", keep_empty=True)
    return (
        _head(page) + "<body>" + _PORTAL_HEADER + '<main data-qa="PageLayout" class="c77e12ab">'
        f'<h1 data-qa="Heading">{escape(page.title)}</h1>'
        f'<span data-qa="Date">{format_russian_date(page.day)}</span>'
        f'<section data-qa="PredictionText">{blocks}</section>'
        "</main>" + _FOOTER + "</body></html>"
    )


_LAYOUTS = {"current": _current, "legacy": _legacy, "changed": _changed}
