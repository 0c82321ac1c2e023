"""retrofm.ru's horoscope page: bare text after an ``<h6>`` in each ``.text_box``, indented
with runs of tabs (what the original scraper split on)."""

from __future__ import annotations

import datetime as dt
from html import escape

from horogen.mirror.base import Layout, Rendered, SiteMirror, TextFn, escaped_lines, paragraphs
from horogen.schema import Category
from horogen.signs import Sign

PATH = "goroskop"


def _current(heading: str, text: str) -> str:
    body = "<br>\n\t\t\t\t".join(escaped_lines(text))
    return (
        f'\t\t<div class="text_box">\n\t\t\t<h6>{escape(heading)}</h6>\n\t\t\t\t{body}\n\t\t</div>'
    )


def _changed(heading: str, text: str) -> str:
    return (
        f'\t\t<article class="horoscope-card"><h3 class="horoscope-card__sign">'
        f'{escape(heading)}</h3><div class="horoscope-card__text">{paragraphs(text)}</div>'
        "</article>"
    )


class RetroFMMirror(SiteMirror):
    source_id = "retrofm"

    def render(
        self, path: str, today: dt.date, site_url: str, layout: Layout, texts: TextFn
    ) -> Rendered | None:
        if path.strip("/") != PATH:
            return None
        item = _changed if layout == "changed" else _current
        intro = item(
            "Гороскоп на сегодня", f"Составлен на {today:%d.%m.%Y} специально для Ретро FM."
        )
        items = [intro] + [
            item(sign.ru, texts(self.source_id, sign, Category.GENERAL, today)) for sign in Sign
        ]
        return Rendered(_page(site_url.rstrip("/"), "\n".join(items)))


def _page(site: str, items: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="ru">
<head>
\t<meta charset="utf-8">
\t<title>Гороскоп на сегодня — Ретро FM</title>
\t<meta name="viewport" content="width=device-width, initial-scale=1">
\t<link rel="stylesheet" href="/local/templates/retrofm/css/style.css?v=3821">
\t<script src="/local/templates/retrofm/js/jquery.min.js"></script>
</head>
<body class="page-goroskop">
<div class="wrapper">
\t<header class="header">
\t\t<div class="logo"><a href="{site}/">Ретро FM</a></div>
\t\t<ul class="menu">
\t\t\t<li><a href="{site}/efir">Эфир</a></li>
\t\t\t<li><a href="{site}/news">Новости</a></li>
\t\t\t<li><a href="{site}/goroskop" class="active">Гороскоп</a></li>
\t\t</ul>
\t</header>
\t<div class="player" data-stream="https://hls.retrofm.ru/live.m3u8">Слушать онлайн</div>
\t<div class="content">
\t\t<h1 class="title">Гороскоп</h1>
\t\t<div class="goroskop_list">
{items}
\t\t</div>
\t\t<div class="banner_box" id="adfox_goroskop">Реклама</div>
\t</div>
\t<footer class="footer">© Ретро FM. Лучшая музыка 70-х, 80-х, 90-х.</footer>
</div>
<script>window.yaCounter = window.yaCounter || [];</script>
</body>
</html>
"""
