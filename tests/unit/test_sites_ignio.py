"""ignio.com's XML feeds: the adapter on fixture feeds, and a round trip through its mirror."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from horogen.collect.base import Page
from horogen.collect.sites.ignio import Ignio
from horogen.errors import LayoutChanged
from horogen.mirror.base import Layout
from horogen.mirror.sites.ignio import IgnioMirror
from horogen.schema import Category, Record, normalize_whitespace
from horogen.signs import Sign
from unit.sites_support import (
    TODAY,
    FakeTexts,
    body_page,
    expected_record,
    fixture_text,
    request_page,
    round_trip,
)

BASE = "https://ignio.com"
FEED_NAMES = {
    Category.GENERAL: "com",
    Category.LOVE: "lov",
    Category.BUSINESS: "bus",
    Category.HEALTH: "hea",
    Category.EROTIC: "ero",
    Category.ANTI: "anti",
    Category.COOK: "cook",
    Category.MOBILE: "mob",
}
DATIVE = {
    Sign.ARIES: "Овнам",
    Sign.TAURUS: "Тельцам",
    Sign.GEMINI: "Близнецам",
    Sign.CANCER: "Ракам",
    Sign.LEO: "Львам",
    Sign.VIRGO: "Девам",
    Sign.LIBRA: "Весам",
    Sign.SCORPIO: "Скорпионам",
    Sign.SAGITTARIUS: "Стрельцам",
    Sign.CAPRICORN: "Козерогам",
    Sign.AQUARIUS: "Водолеям",
    Sign.PISCES: "Рыбам",
}


def feed_page(body: str, day: dt.date = TODAY, category: Category = Category.GENERAL) -> Page:
    url = f"{BASE}/r/export/utf/xml/daily/{FEED_NAMES[category]}.xml"
    return body_page(body, url=url, day=day, name=FEED_NAMES[category], category=category)


def fixture(name: str) -> str:
    return fixture_text("ignio", name)


# --- plan ------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-1, 0, 1, 2])
def test_plan_asks_every_feed(offset: int) -> None:
    day = TODAY + dt.timedelta(days=offset)
    requests = Ignio().plan(day, TODAY)
    assert {r.category: r.url for r in requests} == {
        category: f"{BASE}/r/export/utf/xml/daily/{feed}.xml"
        for category, feed in FEED_NAMES.items()
    }
    assert [r.name for r in requests] == [FEED_NAMES[r.category] for r in requests]
    assert {r.day for r in requests} == {day}
    assert {r.sign for r in requests} == {None}


@pytest.mark.parametrize("offset", [-2, 3, -100])
def test_days_outside_the_window_are_not_served(offset: int) -> None:
    assert not Ignio.availability.serves(TODAY + dt.timedelta(days=offset), TODAY)


def test_source_declaration() -> None:
    assert Ignio.page_suffix == "xml"
    assert set(Ignio.categories) == set(FEED_NAMES)
    assert Ignio.availability.describe() == "-1d … +2d"


# --- parse -----------------------------------------------------------------------------


ADVICE = {
    Sign.ARIES: "не спешите с выводами",
    Sign.PISCES: "отдохните у воды",
}


@pytest.mark.parametrize(
    ("day", "word"),
    [
        (dt.date(2026, 11, 24), "Вчера"),
        (dt.date(2026, 11, 26), "Завтра"),
        (dt.date(2026, 11, 27), "Послезавтра"),
    ],
)
def test_feed_gives_the_requested_day(day: dt.date, word: str) -> None:
    page = feed_page(fixture("com.xml"), day=day)
    parsed = Ignio().parse(page)
    assert [r.sign for r in parsed.records] == list(Sign)
    assert parsed.problems == []
    assert parsed.records[-1] == expected_record(
        page,
        source="ignio",
        sign=Sign.PISCES,
        category=Category.GENERAL,
        day=day,
        text=f"{word} Рыбам звёзды советуют: отдохните у воды. Возможны приятные новости & "
        "встречи.",
    )
    for record in parsed.records:
        assert record.date == day
        assert record.text.startswith(f"{word} {DATIVE[record.sign]} звёзды советуют: ")


def test_feed_today_with_dirt() -> None:
    page = feed_page(fixture("com.xml"), category=Category.GENERAL)
    (aries, *_) = Ignio().parse(page).records
    assert aries.text == (
        "Сегодня Овнам звёзды советуют: не спешить с выводами:\xa0день полон сюрпризов <и> "
        "встреч. 🌟"
    )
    assert aries.date == TODAY


def test_category_comes_from_the_request() -> None:
    page = feed_page(fixture("com.xml"), category=Category.HEALTH)
    assert {r.category for r in Ignio().parse(page).records} == {Category.HEALTH}


def test_empty_item_is_kept_with_empty_text() -> None:
    page = feed_page(fixture("lov_empty_item.xml"), category=Category.LOVE)
    parsed = Ignio().parse(page)
    assert len(parsed.records) == 12
    by_sign = {r.sign: r for r in parsed.records}
    assert by_sign[Sign.LEO].text == ""
    assert by_sign[Sign.LEO].category == Category.LOVE
    assert all(r.text for s, r in by_sign.items() if s != Sign.LEO)
    assert parsed.problems == []


def test_missing_sign_is_a_problem_not_a_failure() -> None:
    parsed = Ignio().parse(feed_page(fixture("missing_sign.xml")))
    assert [r.sign for r in parsed.records] == list(Sign)[:-1]
    assert parsed.problems == ["no <pisces> element"]


def test_feed_with_no_signs() -> None:
    with pytest.raises(LayoutChanged, match=r"no sign elements \(<aries> … <pisces>\) in <horo>"):
        Ignio().parse(feed_page(fixture("no_signs.xml")))


def test_feed_without_date() -> None:
    with pytest.raises(LayoutChanged, match="no <date> element in <horo>"):
        Ignio().parse(feed_page(fixture("no_date.xml")))


def test_malformed_xml() -> None:
    with pytest.raises(LayoutChanged, match="not well-formed XML"):
        Ignio().parse(feed_page(fixture("malformed.xml")))


def test_not_xml() -> None:
    with pytest.raises(LayoutChanged, match="not well-formed XML"):
        Ignio().parse(feed_page(fixture("not_xml.html")))


@pytest.mark.parametrize("body", ["", "   ", "Service Unavailable"])
def test_empty_or_plain_text_body(body: str) -> None:
    with pytest.raises(LayoutChanged, match="not well-formed XML"):
        Ignio().parse(feed_page(body))


def test_other_root_element() -> None:
    with pytest.raises(LayoutChanged, match="root element is <rss>, expected <horo>"):
        Ignio().parse(feed_page('<?xml version="1.0"?><rss><channel/></rss>'))


def test_day_the_feed_does_not_cover() -> None:
    with pytest.raises(LayoutChanged) as raised:
        Ignio().parse(feed_page(fixture("com.xml"), day=dt.date(2026, 11, 28)))
    assert str(raised.value) == (
        "the feed does not cover 2026-11-28 (yesterday=2026-11-24, today=2026-11-25, "
        "tomorrow=2026-11-26, tomorrow02=2026-11-27)"
    )


def test_unparseable_date_attribute() -> None:
    body = '<horo><date today="25/11/2026"/><aries><today>x</today></aries></horo>'
    with pytest.raises(LayoutChanged, match=r"<date today='25/11/2026'> is not a date"):
        Ignio().parse(feed_page(body))


def test_date_element_without_attributes() -> None:
    with pytest.raises(LayoutChanged, match="<date> has none of the attributes"):
        Ignio().parse(feed_page("<horo><date/><aries><today>x</today></aries></horo>"))


def test_signs_without_the_days_item() -> None:
    body = '<horo><date today="25.11.2026"/><aries><tomorrow>x</tomorrow></aries></horo>'
    with pytest.raises(LayoutChanged, match="no sign element has a <today> item for 2026-11-25"):
        Ignio().parse(feed_page(body))


def test_encoding_declaration_on_a_decoded_body() -> None:
    # The fetcher hands over text; a declared legacy encoding must not trip lxml.
    body = (
        '\ufeff<?xml version="1.0" encoding="windows-1251"?>\n'
        '<horo><date today="25.11.2026"/><aries><today>Текст</today></aries></horo>'
    )
    parsed = Ignio().parse(feed_page(body))
    assert [(r.sign, r.text) for r in parsed.records] == [(Sign.ARIES, "Текст")]
    assert len(parsed.problems) == 11


def test_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    body = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE horo [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
        '<horo><date today="25.11.2026"/><aries><today>До &xxe; после</today></aries></horo>'
    )
    (record,) = Ignio().parse(feed_page(body)).records
    assert "TOP-SECRET" not in record.text


# --- mirror ----------------------------------------------------------------------------

MIRROR_BASE = "http://127.0.0.1:8000/ignio"
fake_texts = FakeTexts(
    template=" {ru}/{category}/{day}{dirt1}прогноз {digest}.\nЕщё{dirt2}строка. Читать далее",
    dirt=("\xa0", "  ", "\t", " & ", " <b>", " ]]> ", " 🌙 ", " 7 ", " love ", "\x0b"),
    dirt_step=11,
)


def collect(today: dt.date, day: dt.date, layout: Layout) -> list[Record]:
    source, mirror = Ignio(MIRROR_BASE), IgnioMirror()
    collected = round_trip(
        source, mirror, day, layout, fake_texts, today=today, planned=8, media_type="text/xml"
    )
    assert collected.problems == []
    return collected.records


@pytest.mark.parametrize("layout", ["current", "legacy"])
@pytest.mark.parametrize("today", [TODAY, dt.date(2026, 12, 31), dt.date(2028, 2, 28)])
@pytest.mark.parametrize("offset", [-1, 0, 1, 2])
def test_round_trip(today: dt.date, offset: int, layout: Layout) -> None:
    day = today + dt.timedelta(days=offset)
    records = collect(today, day, layout)
    assert {(r.sign, r.category) for r in records} == {
        (sign, category) for sign in Sign for category in FEED_NAMES
    }
    assert len(records) == 12 * 8
    for record in records:
        assert record.date == day
        assert record.source == "ignio"
        assert record.text == normalize_whitespace(
            fake_texts("ignio", record.sign, record.category, day)
        )


@pytest.mark.parametrize("offset", [-1, 0, 1, 2])
def test_round_trip_changed_layout_is_quarantined(offset: int) -> None:
    with pytest.raises(LayoutChanged, match="root element is <horoscope>"):
        collect(TODAY, TODAY + dt.timedelta(days=offset), "changed")


def test_mirror_empty_texts_become_empty_records() -> None:
    rendered = IgnioMirror().render(
        "r/export/utf/xml/daily/hea.xml", TODAY, MIRROR_BASE, "current", lambda *_: ""
    )
    assert rendered is not None
    request = Ignio(MIRROR_BASE).plan(TODAY, TODAY)[3]
    assert request.category == Category.HEALTH
    parsed = Ignio(MIRROR_BASE).parse(request_page(request, rendered.body))
    assert [(r.sign, r.text) for r in parsed.records] == [(sign, "") for sign in Sign]


@pytest.mark.parametrize(
    "path",
    [
        "",
        "r/export/utf/xml/daily/",
        "r/export/utf/xml/daily/xxx.xml",
        "r/export/utf/xml/daily/com.json",
        "r/export/utf/xml/weekly/com.xml",
        "com.xml",
    ],
)
def test_mirror_unknown_paths(path: str) -> None:
    assert IgnioMirror().render(path, TODAY, MIRROR_BASE, "current", fake_texts) is None


def test_a_feed_states_its_today() -> None:
    assert Ignio().page_facts(fixture("com.xml"), dt.date(2030, 1, 1)).day == dt.date(2026, 11, 25)
    assert Ignio().page_facts("not xml", TODAY).day is None


def test_a_sign_label_leading_an_item_is_not_text() -> None:
    body = fixture("com.xml").replace(
        "Сегодня Овнам звёзды советуют", "Овен (21.03 – 20.04):\nСегодня Овнам звёзды советуют"
    )
    assert body != fixture("com.xml")
    texts = {r.sign: r.text for r in Ignio().parse(feed_page(body)).records}
    assert texts[Sign.ARIES].startswith("Сегодня Овнам звёзды советуют: не спешить с выводами")
