"""The HTML adapters' fallback: each site's pages with its selectors broken still give the
same records (marked ``extraction = fallback``), and navigation, footers and "other signs"
lists are never taken for horoscopes."""

from __future__ import annotations

import datetime as dt

import pytest

from horogen.collect.base import Page, Source
from horogen.collect.sites import SOURCES, astroscope, mailru, newsler, rambler, retrofm, ru74
from horogen.errors import LayoutChanged, SelectorsMissed
from horogen.mirror.sites import MIRRORS
from horogen.signs import Sign
from unit.sites_support import TODAY, FakeTexts, fixture_page, request_page

NOWHERE = "[data-matches-nothing]"
#: Each HTML site: the selector constants that, set to match nothing, break its adapter.
BROKEN: dict[str, list[tuple[object, str, object]]] = {
    "mailru": [(mailru, "CURRENT_ROOT", NOWHERE), (mailru, "LEGACY_TEXT", NOWHERE)],
    "rambler": [(rambler, "TEXT_SELECTORS", (NOWHERE,))],
    "74ru": [(ru74, "ITEM", NOWHERE)],
    "retrofm": [(retrofm, "ITEM", NOWHERE)],
    "newsler": [(newsler, "ITEM", NOWHERE)],
    "astroscope": [(astroscope, "TEXT", NOWHERE), (astroscope, "SIGN_LINK", NOWHERE)],
}
TEXTS = FakeTexts()


def collected(source: Source, *, extract: bool) -> list[tuple[Page, object]]:
    """Every page of TODAY as the site's mirror renders it (the current layout), with what
    the adapter made of it (``extract``: with the fallback)."""
    mirror = MIRRORS[source.id]
    queue, done = source.plan(TODAY, TODAY), []
    while queue:
        request = queue.pop(0)
        path = request.url.removeprefix(source.base_url + "/")
        rendered = mirror.render(path, TODAY, source.base_url, "current", TEXTS)
        assert rendered is not None
        page = request_page(request, rendered.body)
        parsed = source.extract(page) if extract else source.parse(page)
        done.append((page, parsed))
        queue += parsed.follow
    return done


@pytest.mark.parametrize("site", sorted(BROKEN))
def test_a_site_with_its_selectors_broken_gives_the_same_records(site, monkeypatch) -> None:
    source = SOURCES[site](f"http://127.0.0.1:8000/{site}")
    expected = [r for _, parsed in collected(source, extract=False) for r in parsed.records]
    assert len(expected) == 12 * len(source.categories)
    for module, name, value in BROKEN[site]:
        monkeypatch.setattr(module, name, value)

    pages = collected(source, extract=True)
    with pytest.raises(SelectorsMissed):
        source.parse(pages[0][0])
    records = [r for _, parsed in pages for r in parsed.records]
    assert records == expected
    for _, parsed in pages:
        assert parsed.extraction == "fallback"
        assert parsed.problems[0].startswith("found by the fallback, since ")
        assert f"update the selectors in {type(source).__module__}" in parsed.problems[0]


@pytest.mark.parametrize(
    ("site", "fixture", "sign"),
    [
        ("mailru", "current.html", Sign.ARIES),
        ("mailru", "current_flat.html", Sign.ARIES),
        ("rambler", "current_today.html", Sign.ARIES),
        ("astroscope", "sign_oven.html", Sign.ARIES),
        ("74ru", "good.html", None),
        ("retrofm", "good.html", None),
        ("newsler", "good.html", None),
    ],
)
def test_the_fixture_pages_with_broken_selectors(site, fixture, sign, monkeypatch) -> None:
    source = SOURCES[site]()
    url = source.plan(TODAY, TODAY)[0].url
    page = fixture_page(site, fixture, url=url, day=TODAY, sign=sign)
    expected = source.parse(page).records
    for module, name, value in BROKEN[site]:
        monkeypatch.setattr(module, name, value)
    parsed = source.extract(page)
    assert parsed.extraction == "fallback"
    assert [(r.sign, r.text) for r in parsed.records] == [(r.sign, r.text) for r in expected]


def one_sign_page(main: str) -> Page:
    body = (
        "<html><head><title>Гороскоп для Овна на сегодня</title></head><body>"
        "<header><a href='/'>Гороскопы</a></header>"
        "<nav><a href='/aries/'>Овен</a><a href='/taurus/'>Телец</a></nav>"
        f"<div class='page-x1'>{main}</div>"
        "<footer><p>© 2026 Все права защищены. Материалы сайта носят развлекательный характер "
        "и не являются руководством к действию. Перепечатка только с разрешения редакции, "
        "с активной ссылкой на источник.</p></footer></body></html>"
    )
    request = rambler.Rambler().plan(TODAY, TODAY)[0]
    return request_page(request, body)


OTHER_SIGNS = "".join(
    f"<li><a href='/{sign.value}/'>{sign.ru}</a><p>Что звёзды обещают знаку {sign.ru} "
    "сегодня, завтра и на всю неделю: любовь, работа, здоровье.</p></li>"
    for sign in Sign
)


def test_the_fallback_never_takes_navigation_footers_or_other_signs_lists() -> None:
    page = one_sign_page(f"<h1>Гороскоп для Овна</h1><ul class='x9'>{OTHER_SIGNS}</ul>")
    with pytest.raises(LayoutChanged, match="nor did the fallback find a text block"):
        rambler.Rambler().extract(page)


def test_the_fallback_takes_the_text_beside_an_other_signs_list() -> None:
    text = (
        "Овнам сегодня стоит довериться интуиции: она подскажет, с кем говорить откровенно. "
        "Вечером возможны приятные хлопоты по дому и неожиданный звонок."
    )
    page = one_sign_page(
        f"<h1>Гороскоп для Овна</h1><div class='q1'><div class='q2'><p>{text}</p></div>"
        f"</div><div class='q3'><ul>{OTHER_SIGNS}</ul></div>"
    )
    parsed = rambler.Rambler().extract(page)
    assert [record.text for record in parsed.records] == [text]


def test_a_page_of_sign_links_is_no_page_of_horoscopes() -> None:
    menu = "".join(f"<div class='c'><a href='/{s.value}'>{s.ru}</a></div>" for s in Sign)
    body = f"<html><body><div class='grid'>{menu}</div><p>Выберите знак зодиака.</p></body></html>"
    page = request_page(ru74.Ru74().plan(TODAY, TODAY)[0], body)
    with pytest.raises(LayoutChanged, match="nor did the fallback find a sign heading"):
        ru74.Ru74().extract(page)


def test_a_sign_menu_beside_the_items_is_not_taken_for_them(monkeypatch) -> None:
    menu = "".join(f"<a href='/{s.value}'>{s.ru}</a>" for s in Sign)
    items = "".join(
        f"<section class='z'><h4>{s.ru}</h4><div>Звёзды советуют знаку {s.ru} не спешить "
        "с выводами.</div></section>"
        for s in Sign
    )
    body = f"<html><body><div class='m'>{menu}</div><main>{items}</main></body></html>"
    parsed = ru74.Ru74().extract(request_page(ru74.Ru74().plan(TODAY, TODAY)[0], body))
    assert [r.sign for r in parsed.records] == list(Sign)
    assert all(r.text.startswith("Звёзды советуют") for r in parsed.records)


def test_a_feed_has_no_fallback(monkeypatch) -> None:
    source = SOURCES["ignio"]()
    page = fixture_page(
        "ignio", "com.xml", url=source.plan(TODAY, TODAY)[0].url, day=dt.date(2026, 11, 25)
    )
    monkeypatch.setattr("horogen.collect.sites.ignio.ROOT_TAG", "nothing")
    with pytest.raises(LayoutChanged, match="expected <nothing>"):
        source.extract(page)
