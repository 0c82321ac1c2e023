"""newsler.ru's horoscope pages, one per category: Bootstrap 3 columns, ``.t`` and ``.text``."""

from __future__ import annotations

import datetime as dt

from horogen.mirror.base import (
    SIGN_DATES,
    Layout,
    Rendered,
    SiteMirror,
    TextFn,
    escaped_lines,
    paragraphs,
)
from horogen.schema import Category
from horogen.signs import Sign

#: Path (below the site root) → the category it shows, and its title.
PAGES: dict[str, tuple[Category, str]] = {
    "horoscope": (Category.GENERAL, "Гороскоп на сегодня"),
    "horoscope/erotic": (Category.EROTIC, "Эротический гороскоп"),
    "horoscope/anti": (Category.ANTI, "Антигороскоп"),
    "horoscope/business": (Category.BUSINESS, "Бизнес-гороскоп"),
    "horoscope/health": (Category.HEALTH, "Гороскоп здоровья"),
    "horoscope/cook": (Category.COOK, "Кулинарный гороскоп"),
    "horoscope/love": (Category.LOVE, "Любовный гороскоп"),
    "horoscope/mobile": (Category.MOBILE, "Мобильный гороскоп"),
}


def _dates(sign: Sign) -> str:
    """The sign's dates as the site prints them: "21.03–20.04"."""
    return "–".join(f"{day:02d}.{month:02d}" for day, month in SIGN_DATES[sign])


def _current(sign: Sign, text: str) -> str:
    return (
        f'<div class="col-xs-12 col-md-6"><div class="item">'
        f'<div class="t"><i class="icon-{sign.value}"></i> {sign.ru} '
        f"<span>{_dates(sign)}</span></div>"
        f'<div class="text">{"<br>".join(escaped_lines(text))}</div></div></div>'
    )


def _changed(sign: Sign, text: str) -> str:
    body = paragraphs(text)
    return (
        f'<article class="horo-card" data-sign="{sign.value}"><h3 class="horo-card__name">'
        f'{sign.ru}</h3><div class="horo-card__body">{body}</div></article>'
    )


class NewslerMirror(SiteMirror):
    source_id = "newsler"

    def render(
        self, path: str, today: dt.date, site_url: str, layout: Layout, texts: TextFn
    ) -> Rendered | None:
        page = PAGES.get(path.strip("/"))
        if page is None:
            return None
        category, title = page
        item = _changed if layout == "changed" else _current
        items = "\n".join(item(sign, texts(self.source_id, sign, category, today)) for sign in Sign)
        grid = f'<div class="horo-grid">\n{items}\n</div>' if layout == "changed" else items
        return Rendered(_page(today, site_url.rstrip("/"), title, grid))


def _page(today: dt.date, site: str, title: str, items: str) -> str:
    tabs = "\n".join(
        f'<li><a href="{site}/{path}">{name}</a></li>' for path, (_, name) in PAGES.items()
    )
    return f"""<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{title} на {today:%d.%m.%Y} — Newsler.ru</title>
<link href="/css/bootstrap.min.css" rel="stylesheet">
<link href="/css/style.css?v=20240301" rel="stylesheet">
</head>
<body>
<nav class="navbar navbar-default"><div class="container">
<a class="navbar-brand" href="{site}/">Newsler.ru</a>
<ul class="nav navbar-nav"><li><a href="{site}/news">Новости</a></li>
<li class="active"><a href="{site}/horoscope">Гороскоп</a></li></ul>
</div></nav>
<div class="container"><div class="row">
<div class="col-xs-12 col-md-8">
<h1>{title}</h1>
<ul class="nav nav-tabs">
{tabs}
</ul>
<div class="row horoscope">
{items}
</div>
</div>
<div class="col-xs-12 col-md-4"><div class="sidebar">
<div class="banner" id="yandex_rtb_R-A-123456-1">Реклама</div>
<h4>Популярное</h4><ul><li><a href="{site}/news/1">Новости Нижнего Новгорода</a></li></ul>
</div></div>
</div></div>
<footer class="footer"><div class="container"><div class="row">
<div class="col-xs-12 col-md-6"><p>© Newsler.ru, {today.year}</p></div>
<div class="col-xs-12 col-md-6"><p>Сетевое издание. 18+</p></div>
</div></div></footer>
<script src="/js/jquery.min.js"></script><script src="/js/bootstrap.min.js"></script>
</body>
</html>
"""
