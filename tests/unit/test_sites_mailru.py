"""horo.mail.ru: the adapter on fixture pages, and a round trip through its mirror."""

from __future__ import annotations

import datetime as dt

import pytest

from horogen.collect.base import Page, PageRequest
from horogen.collect.sites.mailru import MailRu
from horogen.errors import LayoutChanged
from horogen.mirror.base import Layout
from horogen.mirror.sites.mailru import MailRuMirror
from horogen.schema import Category, Record, normalize_whitespace
from horogen.signs import Sign
from unit.sites_support import (
    TODAY,
    FakeTexts,
    expected_record,
    fixture_page,
    fixture_text,
    request_page,
    round_trip,
)

BASE = "https://horo.mail.ru"


def page(fixture: str, sign: Sign | None, day: dt.date = TODAY, slug: str = "today") -> Page:
    name = sign.value if sign else "x"
    url = f"{BASE}/prediction/{name}/{slug}/"
    return fixture_page("mailru", fixture, url=url, day=day, name=name, sign=sign)


def expected(p: Page, sign: Sign, day: dt.date, text: str) -> Record:
    return expected_record(p, source="mailru", sign=sign, day=day, text=text)


# --- plan ------------------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "slug"), [(-1, "yesterday"), (0, "today"), (1, "tomorrow")])
def test_plan_picks_the_day_slug(offset: int, slug: str) -> None:
    day = TODAY + dt.timedelta(days=offset)
    requests = MailRu().plan(day, TODAY)
    assert [r.url for r in requests] == [f"{BASE}/prediction/{s.value}/{slug}/" for s in Sign]
    assert [r.sign for r in requests] == list(Sign)
    assert [r.name for r in requests] == [s.value for s in Sign]
    assert {r.day for r in requests} == {day}
    assert {r.category for r in requests} == {Category.GENERAL}


@pytest.mark.parametrize("offset", [-2, 2, -365])
def test_days_outside_the_window_are_not_served(offset: int) -> None:
    assert not MailRu.availability.serves(TODAY + dt.timedelta(days=offset), TODAY)


def test_base_url_override() -> None:
    (first, *_) = MailRu("http://127.0.0.1:8000/mailru/").plan(TODAY, TODAY)
    assert first.url == "http://127.0.0.1:8000/mailru/prediction/aries/today/"


def test_availability() -> None:
    assert MailRu.availability.describe() == "-1d … +1d"


# --- parse -----------------------------------------------------------------------------


def test_current_layout() -> None:
    # The header also has the sign's dates (21 марта — 20 апреля): not the page's date.
    p = page("current.html", Sign.ARIES, day=dt.date(2026, 11, 24))
    parsed = MailRu().parse(p)
    assert parsed.records == [
        expected(
            p,
            Sign.ARIES,
            TODAY,
            "Первая половина дня может принести необычные события и\xa0вряд ли обойдется без "
            "сильных переживаний.\n"
            "Даже люди, которые обычно отличаются завидным спокойствием, рискуют вспылить.",
        )
    ]
    assert parsed.problems == []


def test_legacy_layout_without_a_date_takes_the_requested_day() -> None:
    day = dt.date(2026, 11, 26)
    p = page("legacy.html", Sign.PISCES, day=day, slug="tomorrow")
    assert MailRu().parse(p).records == [
        expected(
            p,
            Sign.PISCES,
            day,
            "Рыбам завтра стоит уделить внимание здоровью.\n"
            "Вечер подходит для романтических встреч «без повода».",
        )
    ]


HINT = "the mailru layout changed; update the selectors in horogen.collect.sites.mailru"


def test_changed_layout() -> None:
    with pytest.raises(LayoutChanged) as raised:
        MailRu().parse(page("changed.html", Sign.ARIES))
    assert str(raised.value) == (
        "no text: div.article__item_html p matched nothing "
        "(and there is no main[data-qa=ArticleLayout]): " + HINT
    )


def test_current_layout_without_paragraphs() -> None:
    with pytest.raises(LayoutChanged) as raised:
        MailRu().parse(page("no_paragraphs.html", Sign.ARIES))
    assert str(raised.value) == ("no text: main[data-qa=ArticleLayout] p matched nothing: " + HINT)


def test_empty_text() -> None:
    with pytest.raises(LayoutChanged, match=r"matched 2 empty paragraph\(s\)"):
        MailRu().parse(page("empty.html", Sign.ARIES))


def test_heading_naming_another_sign() -> None:
    with pytest.raises(
        LayoutChanged, match=r"asked for Овен \(aries\), but its heading .* names Весы \(libra\)"
    ):
        MailRu().parse(page("wrong_sign.html", Sign.ARIES))


def test_request_without_sign() -> None:
    with pytest.raises(LayoutChanged, match="names no sign"):
        MailRu().parse(page("current.html", None))


# --- mirror ----------------------------------------------------------------------------

MIRROR_BASE = "http://127.0.0.1:8000/mailru"
fake_texts = FakeTexts(
    template=(
        "{ru} {day}{dirt1}— день {digest}.\n  Абзац{dirt2}второй &amp; последний. Читать далее"
    ),
    dirt=(
        "\xa0",
        "  ",
        "\t",
        " & ",
        " <i>не тег</i> ",
        " «кавычки» ",
        " ✨ ",
        " 5 минут ",
        " online ",
    ),
)


def collect(today: dt.date, day: dt.date, layout: Layout) -> list[Record]:
    source, mirror = MailRu(MIRROR_BASE), MailRuMirror()
    collected = round_trip(source, mirror, day, layout, fake_texts, today=today, planned=12)
    assert collected.problems == []
    return collected.records


@pytest.mark.parametrize("layout", ["current", "legacy"])
@pytest.mark.parametrize(
    "today", [TODAY, dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2028, 2, 29)]
)
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_round_trip(today: dt.date, offset: int, layout: Layout) -> None:
    day = today + dt.timedelta(days=offset)
    records = collect(today, day, layout)
    assert [r.sign for r in records] == list(Sign)
    for record in records:
        assert record.date == day
        assert record.category == Category.GENERAL
        assert record.text == normalize_whitespace(
            fake_texts("mailru", record.sign, Category.GENERAL, day)
        )


def test_round_trip_reads_the_date_from_the_page() -> None:
    # The request says 24 November, the mirror's today is the 25th: the page wins.
    mirror, source = MailRuMirror(), MailRu(MIRROR_BASE)
    for layout in ("current", "legacy"):
        rendered = mirror.render("prediction/leo/today/", TODAY, MIRROR_BASE, layout, fake_texts)
        assert rendered is not None
        request = PageRequest(
            url=f"{MIRROR_BASE}/prediction/leo/today/",
            day=dt.date(2026, 11, 24),
            name="leo",
            sign=Sign.LEO,
        )
        (record,) = source.parse(request_page(request, rendered.body)).records
        assert record.date == TODAY, layout


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_round_trip_changed_layout_is_quarantined(offset: int) -> None:
    with pytest.raises(LayoutChanged, match="matched nothing"):
        collect(TODAY, TODAY + dt.timedelta(days=offset), "changed")


@pytest.mark.parametrize("layout", ["current", "legacy"])
def test_mirror_empty_text_is_quarantined(layout: Layout) -> None:
    rendered = MailRuMirror().render(
        "prediction/virgo/today/", TODAY, MIRROR_BASE, layout, lambda *_: ""
    )
    assert rendered is not None
    request = MailRu(MIRROR_BASE).plan(TODAY, TODAY)[5]
    assert request.sign == Sign.VIRGO
    with pytest.raises(LayoutChanged, match="empty paragraph"):
        MailRu(MIRROR_BASE).parse(request_page(request, rendered.body))


def test_mirror_escapes_markup_in_texts() -> None:
    def hostile(*_: object) -> str:
        return '</p></article></main><main data-qa="ArticleLayout"><article><p>чужой & текст'

    rendered = MailRuMirror().render(
        "prediction/aries/today/", TODAY, MIRROR_BASE, "current", hostile
    )
    assert rendered is not None
    request = MailRu(MIRROR_BASE).plan(TODAY, TODAY)[0]
    (record,) = MailRu(MIRROR_BASE).parse(request_page(request, rendered.body)).records
    assert record.text == hostile()


@pytest.mark.parametrize(
    "path",
    [
        "",
        "prediction/",
        "prediction/aries/",
        "prediction/aries/week/",
        "prediction/ophiuchus/today/",
        "horoscope/aries/today/",
        "prediction/aries/today/extra/",
    ],
)
def test_mirror_unknown_paths(path: str) -> None:
    assert MailRuMirror().render(path, TODAY, MIRROR_BASE, "current", fake_texts) is None


def test_a_saved_page_states_its_sign_address_and_day() -> None:
    facts = MailRu().page_facts(fixture_text("mailru", "saved_scorpio.html"), TODAY)
    assert facts.sign is Sign.SCORPIO
    assert facts.url == f"{BASE}/prediction/scorpio/today/"
    assert facts.day == dt.date(2026, 11, 24)
    # the older layout: the sign in the heading, no date beside it
    legacy = MailRu().page_facts(fixture_text("mailru", "legacy.html"), TODAY)
    assert (legacy.sign, legacy.day) == (Sign.PISCES, None)


def test_current_layout_with_paragraphs_directly_under_the_main() -> None:
    # The layout of late 2024 on: no <article>; the paragraphs sit in <div>s with generated
    # classes right under the main, beside a paragraph of links and a sign menu.
    p = page("current_flat.html", Sign.ARIES)
    parsed = MailRu().parse(p)
    assert parsed.records == MailRu().parse(page("current.html", Sign.ARIES)).records
    assert parsed.problems == [] and parsed.extraction == "selectors"


def test_paragraphs_that_are_the_main_s_own_children() -> None:
    body = fixture_text("mailru", "current.html")
    body = body.replace('<article data-qa="Article" class="a61d0e9f">', "").replace(
        "</article>", ""
    )
    body = body.replace('<div data-qa="ArticleItem">', "").replace("</p>\n    </div>", "</p>")
    assert "<article" not in body
    p = request_page(MailRu().plan(TODAY, TODAY)[0], body)
    assert [r.text for r in MailRu().parse(p).records] == [
        r.text for r in MailRu().parse(page("current.html", Sign.ARIES)).records
    ]
