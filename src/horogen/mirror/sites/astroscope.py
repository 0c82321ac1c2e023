"""astroscope.ru's daily horoscope: an index of protocol-relative sign links, one page per
sign with the sign in ``h1`` and the text in ``.p-3``."""

from __future__ import annotations

import datetime as dt

from horogen.mirror.base import Layout, Rendered, SiteMirror, TextFn, paragraphs
from horogen.schema import Category
from horogen.signs import Sign

INDEX = "horoskop/ejednevniy_goroskop"

#: The site's URL slug of each sign (kept apart from the adapter's on purpose).
SLUGS: dict[Sign, str] = dict(
    zip(
        Sign,
        ("oven", "telec", "bliznecy", "rak", "lev", "deva",
         "vesy", "skorpion", "strelec", "kozerog", "vodoley", "ryby"),
        strict=True,
    )
)  # fmt: skip
_BY_SLUG = {slug: sign for sign, slug in SLUGS.items()}

#: The markup that changes with the layout: the index's links, a sign page's main block.
LINK = {
    "current": '<a class="col-6 col-md-4 d-block text-center p-2" href="{href}">'
    '<img src="{img}" alt="{name}" class="img-fluid" width="100" height="100"><br>{name}</a>',
    "changed": '<a class="zodiac-tile" href="{href}"><img src="{img}" alt="{name}">'
    '<span class="zodiac-tile__name">{name}</span></a>',
}
MAIN = {
    "current": '<h1 class="h3">{heading}</h1>\n<div class="text-muted small">{date}</div>\n'
    '<div class="p-3">{body}</div>',
    "changed": '<h2 class="horo-title">{heading}</h2>\n<time>{date}</time>\n'
    '<section class="horo-body">{body}</section>',
}


class AstroscopeMirror(SiteMirror):
    source_id = "astroscope"

    def render(
        self, path: str, today: dt.date, site_url: str, layout: Layout, texts: TextFn
    ) -> Rendered | None:
        path = path.strip("/")
        style = "changed" if layout == "changed" else "current"
        # Protocol-relative links, as the site writes them: //astroscope.ru/horoskop/…
        site = "//" + site_url.rstrip("/").split("://", 1)[-1]
        if path == INDEX:
            links = "\n".join(
                LINK[style].format(
                    href=f"{site}/{INDEX}/{slug}.html",
                    img=f"{site}/img/zodiac/{slug}.png",
                    name=sign.ru,
                )
                for sign, slug in SLUGS.items()
            )
            main = f'<h1 class="h3">Ежедневный гороскоп</h1>\n<div class="row">\n{links}\n</div>'
            return Rendered(_page(site, "Ежедневный гороскоп на сегодня", main))
        slug = path.removeprefix(INDEX + "/").removesuffix(".html")
        sign = _BY_SLUG.get(slug)
        if sign is None or path != f"{INDEX}/{slug}.html":
            return None
        heading = f"Гороскоп на сегодня для {sign.genitive}"
        main = MAIN[style].format(
            heading=heading,
            date=f"{today:%d.%m.%Y}",
            body=paragraphs(texts(self.source_id, sign, Category.GENERAL, today)),
        )
        return Rendered(_page(site, heading, main))


def _page(site: str, title: str, main: str) -> str:
    others = " ".join(
        f'<a href="{site}/{INDEX}/{slug}.html">{sign.ru}</a>' for sign, slug in SLUGS.items()
    )
    return f"""<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no">
<title>{title} — Astroscope.ru</title>
<link rel="stylesheet" href="{site}/css/bootstrap.min.css">
<script async src="https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js"></script>
</head>
<body>
<nav class="navbar navbar-expand-lg navbar-dark bg-dark">
<a class="navbar-brand" href="{site}/">Astroscope</a>
<a class="nav-link" href="{site}/{INDEX}/">Ежедневный гороскоп</a>
<a class="nav-link" href="{site}/horoskop/nedelya/">На неделю</a>
</nav>
<div class="container"><div class="row">
<div class="col-12 col-md-8">
{main}
<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-0000000000000000"></ins>
</div>
<div class="col-12 col-md-4"><div class="p-3 bg-light">
<h5>Гороскоп для других знаков</h5>
{others}
</div></div>
</div></div>
<footer class="text-center text-muted p-2">© Astroscope.ru</footer>
</body>
</html>
"""
