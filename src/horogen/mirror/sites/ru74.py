"""74.ru's daily horoscope page as the site renders it: React markup, CSS-module classes."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import NamedTuple

from horogen.collect.dates import format_russian_date
from horogen.mirror.base import Layout, Rendered, SiteMirror, TextFn, paragraphs
from horogen.schema import Category
from horogen.signs import Sign

PATH = "horoscope/daily"


class _Classes(NamedTuple):
    item: str
    sign: str
    text: str


#: The generated class names of March 2024, and a redesign's.
CLASSES: dict[Layout, _Classes] = {
    "current": _Classes(item="IGRa5", sign="_4K6U+ _9dcVo", text="BDPZt KUbeq"),
    "legacy": _Classes(item="IGRa5", sign="_4K6U+ _9dcVo", text="BDPZt KUbeq"),
    "changed": _Classes(item="qL0hM", sign="Yp2s+ tV7fe", text="c4RwA"),
}


class Ru74Mirror(SiteMirror):
    source_id = "74ru"

    def render(
        self, path: str, today: dt.date, site_url: str, layout: Layout, texts: TextFn
    ) -> Rendered | None:
        if path.strip("/") != PATH:
            return None
        classes = CLASSES[layout]
        general = (
            f"Звёзды советуют не спешить с выводами: {format_russian_date(today, year=False)}"
            " лучше закончить начатое, чем браться за новое."
        )
        items = [_item(classes, "Для всех знаков зодиака.", general)] + [
            _item(classes, sign.ru, texts(self.source_id, sign, Category.GENERAL, today))
            for sign in Sign
        ]
        return Rendered(_page(today, site_url.rstrip("/"), "\n".join(items)))


def _item(classes: _Classes, heading: str, text: str) -> str:
    return (
        f'<div class="{classes.item}" data-test="horoscope-item">'
        f'<div class="Tq1rS"><span class="hQ0wd" aria-hidden="true"></span>'
        f'<h2 class="{classes.sign}">{escape(heading)}</h2></div>'
        f'<div class="{classes.text}">{paragraphs(text)}</div></div>'
    )


def _page(today: dt.date, site: str, items: str) -> str:
    date = f"{format_russian_date(today, year=False)}"
    return f"""<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Гороскоп на сегодня, {date} {today.year} года, для всех знаков зодиака | 74.ru</title>
<meta name="description" content="Гороскоп на {date} для всех знаков зодиака.">
<link rel="canonical" href="{site}/horoscope/daily/">
<link rel="stylesheet" href="/static/client/main.7c1f2e.css">
<script>window.__INITIAL_STATE__ = {{"regionId": 74, "page": "horoscope-daily"}};</script>
</head>
<body>
<div id="app">
<header class="_2ZkqA"><a class="Ia1Ok" href="{site}/" aria-label="74.ru">74.ru</a>
<nav class="vK9bL"><a href="{site}/text/">Новости</a> <a href="{site}/text/gorod/">Город</a>
<a href="{site}/horoscope/daily/">Гороскоп</a> <a href="{site}/weather/">Погода</a></nav>
</header>
<main class="yN8Vd">
<article class="aH3Pm">
<div class="sZ0mU"><a href="{site}/horoscope/daily/">Гороскоп на сегодня</a>
<a href="{site}/horoscope/tomorrow/">на завтра</a></div>
<h1 class="Lk7Xo">Гороскоп на {date}</h1>
<p class="nQ5eT">Что сулят звёзды жителям Челябинска: читайте прогноз для своего знака.</p>
<div class="fG6rB">
{items}
</div>
<div class="adfox-banner" id="adfox_horoscope_1" data-place="inread">Реклама</div>
</article>
</main>
<footer class="_0sPqD"><p>© 74.ru, 2000–{today.year}. Новости Челябинска.</p>
<a href="{site}/info/">О проекте</a></footer>
</div>
<script src="/static/client/main.7c1f2e.js" defer></script>
</body>
</html>
"""
