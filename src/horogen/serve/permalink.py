"""One horoscope per address: ``GET /{sign}/{YYYY-MM-DD}?category=love`` as a page rendered
on the server (readable with scripts off, previewed when shared: a title, a description
and Open Graph tags naming the sign and the day), and ``GET /{sign}``, today's.

Texts come from a model, so every value goes through Jinja2's autoescaping. An unknown
sign, category or date, or a day outside the served window, is a 404 page; no model yet
or a text still being generated is a 503 page with ``Retry-After``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Never
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from horogen.schema import Category
from horogen.serve.categories import HEADINGS, NAMES, day_in_words, lookup_category
from horogen.serve.flight import Busy, GenerationFailed
from horogen.serve.schemas import Horoscope
from horogen.serve.service import HoroscopeService, NoModel, OutOfWindow
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import CacheError
from horogen.signs import Sign, lookup_sign

TEMPLATES = Environment(
    loader=PackageLoader("horogen.serve", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
#: Longest description a preview shows whole.
DESCRIPTION = 200


class NoSuchPage(Exception):
    """An address that names no horoscope horogen serves."""


@dataclass(frozen=True)
class Link:
    href: str
    name: str
    current: bool = False


def path(sign: Sign, day: dt.date, category: Category) -> str:
    """The permalink of a text, relative to the site."""
    return f"/{sign.value}/{day.isoformat()}?{urlencode({'category': category.value})}"


def register(app: FastAPI, settings: ServeSettings, service: HoroscopeService) -> None:
    """Add the permalink routes; after every other route and mount, since ``/{sign}/{day}``
    would match any two-segment path."""

    @app.get("/{sign}", include_in_schema=False, response_model=None)
    async def today(sign: str, category: str = "general") -> Response:
        try:
            found, kind = _sign(sign), _category(category)
        except NoSuchPage as error:
            return problem(settings, 404, "Такого знака нет", str(error))
        return RedirectResponse(path(found, settings.today(), kind), status_code=307)

    @app.get("/{sign}/{day}", include_in_schema=False, response_class=HTMLResponse)
    async def permalink(request: Request, sign: str, day: str, category: str = "general"):
        try:
            found, kind, date = _sign(sign), _category(category), _day(day)
            text = await service.text(found, date, kind)
        except NoSuchPage as error:
            return problem(settings, 404, "Такого гороскопа нет", str(error))
        except OutOfWindow:
            first, last = settings.window()
            detail = f"На {day} гороскопа нет: есть с {first} по {last}."
            return problem(settings, 404, "Такого гороскопа нет", detail)
        except (NoModel, Busy, GenerationFailed, CacheError):
            detail = "Звёзды ещё думают: обновите страницу через минуту."
            return problem(settings, 503, "Гороскоп ещё не готов", detail)
        return HTMLResponse(page(text, str(request.base_url).rstrip("/"), settings))


def page(text: Horoscope, base: str, settings: ServeSettings) -> str:
    """The page of ``text``; ``base`` is the site's address for the absolute links."""
    heading = HEADINGS[text.category]
    day_words = day_in_words(text.date)
    title = f"{text.name}: {heading} на {day_words}"
    first, last = settings.window()
    one = dt.timedelta(days=1)

    def day_link(day: dt.date) -> Link | None:
        if not first <= day <= last:
            return None
        return Link(path(text.sign, day, text.category), day_in_words(day))

    query = {"sign": text.sign.value, "category": text.category.value, "date": text.date}
    return TEMPLATES.get_template("horoscope.html").render(
        text=text,
        title=title,
        description=_shorten(text.text),
        heading=heading[0].upper() + heading[1:],
        day_words=day_words,
        url=base + path(text.sign, text.date, text.category),
        interactive="/?" + urlencode(query),
        categories=[
            Link(path(text.sign, text.date, c), NAMES[c], c == text.category) for c in Category
        ],
        previous=day_link(text.date - one),
        next=day_link(text.date + one),
    )


def problem(settings: ServeSettings, status: int, title: str, detail: str) -> HTMLResponse:
    """A page that says what is wrong and where the horoscopes are."""
    first, last = settings.window()
    body = TEMPLATES.get_template("problem.html").render(
        title=title, description=detail, detail=detail, first=first, last=last, signs=list(Sign)
    )
    headers = {"Retry-After": str(settings.retry_after)} if status == 503 else None
    return HTMLResponse(body, status_code=status, headers=headers)


def _sign(name: str) -> Sign:
    try:
        return lookup_sign(name[:64])
    except ValueError:
        return _missing(f"Знака «{name[:32]}» нет. Знаки: " + ", ".join(s.ru for s in Sign) + ".")


def _category(name: str) -> Category:
    try:
        return lookup_category(name[:64])
    except ValueError as error:
        return _missing(str(error).capitalize() + ".")


def _day(text: str) -> dt.date:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    return _missing(f"«{text[:32]}» не дата: нужна ГГГГ-ММ-ДД, например 2026-12-02.")


def _missing(detail: str) -> Never:
    raise NoSuchPage(detail)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= DESCRIPTION:
        return text
    return text[: DESCRIPTION - 1].rsplit(" ", 1)[0] + "…"
