"""horoscopes.rambler.ru: the adapter on fixture pages, and a round trip through its mirror."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from horogen.collect.base import Page
from horogen.collect.sites._fallback import MIN_CHARS
from horogen.collect.sites.rambler import Rambler
from horogen.errors import LayoutChanged, SelectorsMissed
from horogen.mirror.base import Layout
from horogen.mirror.sites.rambler import RamblerMirror
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

BASE = "https://horoscopes.rambler.ru"


def page(fixture: str, sign: Sign | None, day: dt.date = TODAY, path: str = "") -> Page:
    name = sign.value if sign else "x"
    return fixture_page(
        "rambler", fixture, url=f"{BASE}/{name}/{path}", day=day, name=name, sign=sign
    )


def expected(p: Page, sign: Sign, day: dt.date, text: str) -> Record:
    return expected_record(p, source="rambler", sign=sign, day=day, text=text)


# --- plan ------------------------------------------------------------------------------


def test_plan_today_asks_each_signs_page() -> None:
    requests = Rambler().plan(TODAY, TODAY)
    assert [r.url for r in requests] == [f"{BASE}/{sign.value}/" for sign in Sign]
    assert [r.sign for r in requests] == list(Sign)
    assert [r.name for r in requests] == [sign.value for sign in Sign]
    assert {r.day for r in requests} == {TODAY}
    assert {r.category for r in requests} == {Category.GENERAL}


@pytest.mark.parametrize(
    "day", [dt.date(2026, 11, 26), dt.date(2026, 11, 24), dt.date(2019, 2, 14)]
)
def test_plan_other_days_use_the_archive(day: dt.date) -> None:
    requests = Rambler("http://127.0.0.1:8000/rambler/").plan(day, TODAY)
    assert len(requests) == 12
    assert requests[0].url == f"http://127.0.0.1:8000/rambler/aries/{day.isoformat()}/"
    assert {r.day for r in requests} == {day}


def test_availability() -> None:
    source = Rambler()
    assert source.availability.serves(dt.date(2001, 1, 1), TODAY)
    assert source.availability.serves(dt.date(2026, 11, 26), TODAY)
    assert not source.availability.serves(dt.date(2026, 11, 27), TODAY)
    assert source.availability.describe() == "archive to +1d"
    assert source.categories == (Category.GENERAL,)


# --- parse -----------------------------------------------------------------------------


def test_current_layout_today() -> None:
    p = page("current_today.html", Sign.ARIES)
    parsed = Rambler().parse(p)
    assert parsed.records == [
        expected(
            p,
            Sign.ARIES,
            TODAY,
            "Утро начнётся с\xa0неожиданного звонка: старый знакомый предложит дело, от "
            "которого сложно отказаться.\n"
            "Во второй половине дня не спорьте с начальством — ваши аргументы услышат завтра.\n"
            "Вечер посвятите близким & отдыху.",
        )
    ]
    assert parsed.problems == []
    assert parsed.follow == []


def test_current_layout_archive_takes_the_date_from_the_heading() -> None:
    # Asked for 4 March; the page says it is the horoscope for 3 March.
    p = page("current_archive.html", Sign.LEO, day=dt.date(2025, 3, 4), path="2025-03-04/")
    assert Rambler().parse(p).records == [
        expected(
            p,
            Sign.LEO,
            dt.date(2025, 3, 3),
            "Львам сегодня стоит довериться интуиции.\n"
            "Финансовые вопросы лучше отложить до пятницы.",
        )
    ]


def test_date_from_time_element_when_the_heading_has_none() -> None:
    p = page("current_today.html", Sign.ARIES, day=dt.date(2026, 11, 24))
    (record,) = Rambler().parse(p).records
    assert record.date == TODAY


def test_legacy_layout() -> None:
    p = page("legacy.html", Sign.VIRGO, day=dt.date(2019, 2, 14), path="2019-02-14/")
    assert Rambler().parse(p).records == [
        expected(
            p,
            Sign.VIRGO,
            dt.date(2019, 2, 14),
            "День святого Валентина подарит Девам приятный сюрприз. Не отказывайтесь от "
            "приглашений!",
        )
    ]


FALLBACK_PROBLEM = (
    "found by the fallback, since no text: [itemprop=articleBody] p or p._1RrZR or "
    "div._1dQ3 or [itemprop=articleBody] matched nothing: the rambler layout changed; "
    "update the selectors in horogen.collect.sites.rambler"
)


def test_unknown_classes_fall_back_to_the_largest_block() -> None:
    p = page("fallback.html", Sign.PISCES, day=dt.date(2026, 11, 24))
    with pytest.raises(SelectorsMissed):
        Rambler().parse(p)
    parsed = Rambler().extract(p)
    # the record is kept, and the problem makes the collector quarantine the page
    assert parsed.extraction == "fallback"
    assert parsed.problems == [FALLBACK_PROBLEM]
    assert parsed.records == [
        expected(
            p,
            Sign.PISCES,
            TODAY,
            "Рыбам сегодня звёзды советуют не торопиться с решениями: ситуация на работе "
            "прояснится сама собой.\n"
            "Вечером возможна встреча, которая изменит ваши планы на выходные. Будьте "
            "открыты новому!",
        )
    ]


@pytest.mark.parametrize("length", [MIN_CHARS, MIN_CHARS - 1])
def test_fallback_takes_a_text_div_of_enough_length(length: int) -> None:
    text = ("Звёзды советуют Овнам беречь силы. " * 10)[:length]
    body = (
        "<html><body><main class='_0aa'><h1>Гороскоп для Овна на сегодня</h1>"
        f"<div class='_1bb'><div class='_2cc'>{text}</div><div class='_3dd'>Реклама</div></div>"
        "</main></body></html>"
    )
    p = request_page(Rambler().plan(TODAY, TODAY)[0], body)
    if length == MIN_CHARS:
        parsed = Rambler().extract(p)
        (record,) = parsed.records
        assert record.text == text.strip()
        assert parsed.problems == [FALLBACK_PROBLEM]
    else:
        with pytest.raises(LayoutChanged, match=f"text block of {MIN_CHARS}"):
            Rambler().extract(p)


def test_changed_layout_defeats_the_fallback() -> None:
    with pytest.raises(LayoutChanged) as raised:
        Rambler().extract(page("changed.html", Sign.ARIES))
    reason = str(raised.value)
    assert "p._1RrZR or div._1dQ3 or [itemprop=articleBody] matched nothing" in reason
    assert f"nor did the fallback find a text block of {MIN_CHARS}+ characters" in reason


def test_empty_text_is_not_replaced_by_another_block() -> None:
    with pytest.raises(LayoutChanged, match=r"p\._1RrZR matched 2 element\(s\) with no text"):
        Rambler().parse(page("empty.html", Sign.ARIES))


def test_heading_naming_another_sign() -> None:
    with pytest.raises(
        LayoutChanged, match=r"asked for Овен \(aries\), but its heading .* names Телец \(taurus\)"
    ):
        Rambler().parse(page("wrong_sign.html", Sign.ARIES))


def test_heading_naming_no_sign_keeps_the_asked_sign() -> None:
    body = fixture_text("rambler", "current_today.html")
    body = body.replace("Гороскоп для Овна", "Гороскоп")
    assert "Овна" not in body.split("<h1", 1)[1].split("</h1>", 1)[0]
    p = request_page(Rambler().plan(TODAY, TODAY)[0], body)
    (record,) = Rambler().parse(p).records
    assert record.sign is Sign.ARIES


def test_a_captcha_page_is_no_horoscope() -> None:
    with pytest.raises(LayoutChanged, match="nor did the fallback find a text block"):
        Rambler().extract(page("captcha.html", Sign.ARIES))


def test_request_without_sign() -> None:
    with pytest.raises(LayoutChanged, match="names no sign"):
        Rambler().parse(page("current_today.html", None))


# --- mirror ----------------------------------------------------------------------------

MIRROR_BASE = "http://127.0.0.1:8000/rambler"
fake_texts = FakeTexts(
    template=(
        "  {ru}, {category}, {day}:{dirt1}звёзды {digest}."
        "\n\nВторой абзац{dirt2}и&nbsp;хвост. Читать далее "
    ),
    dirt=("\xa0", "  ", "\t", " & ", " <b>не тег</b> ", ' "кавычки" ', " 🌟 ", " 100% ", " Latin "),
)


def collect(today: dt.date, day: dt.date, layout: Layout) -> list[Record]:
    source, mirror = Rambler(MIRROR_BASE), RamblerMirror()
    collected = round_trip(source, mirror, day, layout, fake_texts, today=today)
    assert collected.problems == []
    return collected.records


@pytest.mark.parametrize("layout", ["current", "legacy"])
@pytest.mark.parametrize(
    ("today", "offset"),
    [
        (TODAY, 0),
        (TODAY, -1),
        (TODAY, 1),
        (TODAY, -2000),
        (dt.date(2026, 12, 31), 0),
        (dt.date(2026, 12, 31), 1),
        (dt.date(2027, 1, 1), -1),
        (dt.date(2024, 2, 29), 0),
    ],
)
def test_round_trip(today: dt.date, offset: int, layout: Layout) -> None:
    day = today + dt.timedelta(days=offset)
    records = collect(today, day, layout)
    assert [r.sign for r in records] == list(Sign)
    for record in records:
        assert record.date == day
        assert record.category == Category.GENERAL
        assert record.source == "rambler"
        assert record.text == normalize_whitespace(
            fake_texts("rambler", record.sign, Category.GENERAL, day)
        )


@pytest.mark.parametrize("offset", [0, -1, 1])
def test_round_trip_changed_layout_is_quarantined(offset: int) -> None:
    day = TODAY + dt.timedelta(days=offset)
    with pytest.raises(LayoutChanged, match="matched nothing"):
        collect(TODAY, day, "changed")


def test_changed_layout_carries_the_text_in_a_script_blob() -> None:
    rendered = RamblerMirror().render("aries/", TODAY, MIRROR_BASE, "changed", fake_texts)
    assert rendered is not None
    start = rendered.body.index('type="application/json">') + len('type="application/json">')
    blob = json.loads(rendered.body[start : rendered.body.index("</script>", start)])
    text = blob["props"]["pageProps"]["horoscope"]["text"]
    assert text == fake_texts("rambler", Sign.ARIES, Category.GENERAL, TODAY)


@pytest.mark.parametrize("layout", ["current", "legacy"])
def test_mirror_empty_text_is_quarantined(layout: Layout) -> None:
    rendered = RamblerMirror().render("leo/", TODAY, MIRROR_BASE, layout, lambda *_: "")
    assert rendered is not None
    request = Rambler(MIRROR_BASE).plan(TODAY, TODAY)[4]
    with pytest.raises(LayoutChanged, match="with no text"):
        Rambler(MIRROR_BASE).parse(request_page(request, rendered.body))


def test_mirror_escapes_markup_in_texts() -> None:
    def hostile(*_: object) -> str:
        return '</p></article><script>alert("x")</script> & <p class="_1RrZR">ложный абзац'

    rendered = RamblerMirror().render("aries/", TODAY, MIRROR_BASE, "current", hostile)
    assert rendered is not None
    assert "<script>alert" not in rendered.body
    request = Rambler(MIRROR_BASE).plan(TODAY, TODAY)[0]
    (record,) = Rambler(MIRROR_BASE).parse(request_page(request, rendered.body)).records
    assert record.text == hostile()


@pytest.mark.parametrize(
    "path",
    [
        "",
        "ophiuchus/",
        "aries/tomorrow/",
        "aries/2026-13-01/",
        "aries/20261125/",
        "aries/2026-11-25/extra/",
    ],
)
def test_mirror_unknown_paths(path: str) -> None:
    assert RamblerMirror().render(path, TODAY, MIRROR_BASE, "current", fake_texts) is None


def test_mirror_accepts_paths_with_or_without_trailing_slash() -> None:
    mirror = RamblerMirror()
    for path in ("aries", "aries/", "aries/2020-01-01", "aries/2020-01-01/"):
        assert mirror.render(path, TODAY, MIRROR_BASE, "current", fake_texts) is not None
