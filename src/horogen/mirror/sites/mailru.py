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
from html import escape

from horogen.collect.dates import format_russian_date
from horogen.mirror.base import Layout, Rendered, SiteMirror, TextFn
from horogen.mirror.sites.rambler import SIGN_GENITIVE
from horogen.schema import Category
from horogen.signs import Sign

DAY_OFFSETS: dict[str, int] = {"yesterday": -1, "today": 0, "tomorrow": 1}
_DAY_WORDS: dict[str, str] = {"yesterday": "вчера", "today": "сегодня", "tomorrow": "завтра"}

#: The sign's dates, as the page header shows them (a trap for a careless date parser).
SIGN_RANGES: dict[Sign, str] = {
    Sign.ARIES: "21 марта — 20 апреля",
    Sign.TAURUS: "21 апреля — 20 мая",
    Sign.GEMINI: "21 мая — 21 июня",
    Sign.CANCER: "22 июня — 22 июля",
    Sign.LEO: "23 июля — 23 августа",
    Sign.VIRGO: "24 августа — 23 сентября",
    Sign.LIBRA: "24 сентября — 23 октября",
    Sign.SCORPIO: "24 октября — 22 ноября",
    Sign.SAGITTARIUS: "23 ноября — 21 декабря",
    Sign.CAPRICORN: "22 декабря — 20 января",
    Sign.AQUARIUS: "21 января — 20 февраля",
    Sign.PISCES: "21 февраля — 20 марта",
}


class MailRuMirror(SiteMirror):
    source_id = "mailru"

    def render(
        self, path: str, today: dt.date, site_url: str, layout: Layout, texts: TextFn
    ) -> Rendered | None:
        parts = [part for part in path.strip("/").split("/") if part]
        if len(parts) != 3 or parts[0] != "prediction" or parts[2] not in DAY_OFFSETS:
            return None
        try:
            sign = Sign(parts[1])
        except ValueError:
            return None
        day = today + dt.timedelta(days=DAY_OFFSETS[parts[2]])
        text = texts(self.source_id, sign, Category.GENERAL, day)
        page = _PageData(sign, day, parts[2], text, site_url.rstrip("/"))
        return Rendered(_LAYOUTS[layout](page))


class _PageData:
    def __init__(self, sign: Sign, day: dt.date, slug: str, text: str, site: str) -> None:
        self.sign = sign
        self.day = day
        self.slug = slug
        self.text = text
        self.site = site
        self.lines = text.split("\n")
        self.title = f"Гороскоп для {SIGN_GENITIVE[sign]} на {_DAY_WORDS[slug]}"

    def tabs(self) -> str:
        links = []
        for slug, word in _DAY_WORDS.items():
            current = ' aria-current="page"' if slug == self.slug else ""
            href = f"{self.site}/prediction/{self.sign.value}/{slug}/"
            links.append(f'<a data-qa="Tab" href="{escape(href)}"{current}>{word.capitalize()}</a>')
        return "".join(links)


def _head(page: _PageData) -> str:
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


def _current(page: _PageData) -> str:
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in page.lines)
    return (
        _head(page) + "<body>" + _PORTAL_HEADER + '<main data-qa="ArticleLayout" class="b8e4a1c3">'
        '<div class="d3f7a2b0" data-qa="ArticleHeader">'
        '<nav data-qa="Breadcrumbs"><a href="/prediction/">Гороскопы</a>'
        f"<span>{page.sign.ru}</span></nav>"
        f'<h1 data-qa="Title" class="f09c2e77">{escape(page.title)}</h1>'
        f'<div data-qa="SignDates"><span data-qa="Text">{SIGN_RANGES[page.sign]}</span></div>'
        f'<div data-qa="Date"><span data-qa="Text">{format_russian_date(page.day)}</span></div>'
        f'<div data-qa="Tabs">{page.tabs()}</div></div>'
        '<article data-qa="Article" class="a61d0e9f">'
        f'<div data-qa="ArticleItem">{paragraphs}</div></article>'
        '<div data-qa="Rating"><span data-qa="Text">Финансы</span>'
        '<span data-qa="Text">Любовь</span></div>'
        "</main>" + _FOOTER + "</body></html>"
    )


def _legacy(page: _PageData) -> str:
    heading = f"{page.title}, {format_russian_date(page.day, year=False)}"
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in page.lines)
    return (
        _head(page) + '<body class="body_horo">' + _PORTAL_HEADER + '<div class="layout">'
        '<div class="p-prediction"><div class="article article_prediction">'
        f'<h1 class="hdr__inner">{escape(heading)}</h1>'
        f'<div class="p-prediction__tabs">{page.tabs()}</div>'
        '<div class="article__item article__item_alignment_left article__item_html">'
        f"{paragraphs}</div>"
        '<div class="article__item article__item_source">Источник: Гороскопы Mail</div>'
        "</div></div></div>" + _FOOTER + "</body></html>"
    )


def _changed(page: _PageData) -> str:
    blocks = "".join(f'<div class="pt-3d9e">{escape(line)}</div>' for line in page.lines)
    return (
        _head(page) + "<body>" + _PORTAL_HEADER + '<main data-qa="PageLayout" class="c77e12ab">'
        f'<h1 data-qa="Heading">{escape(page.title)}</h1>'
        f'<span data-qa="Date">{format_russian_date(page.day)}</span>'
        f'<section data-qa="PredictionText">{blocks}</section>'
        "</main>" + _FOOTER + "</body></html>"
    )


_LAYOUTS = {"current": _current, "legacy": _legacy, "changed": _changed}
