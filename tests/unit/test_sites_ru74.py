"""74.ru: the adapter on fixture pages of the real layout, and a round trip through the mirror."""

from __future__ import annotations

import datetime as dt

import pytest

from horogen.collect.base import Page, PageRequest
from horogen.collect.sites.ru74 import TEXT, Ru74
from horogen.errors import LayoutChanged
from horogen.mirror.base import Layout
from horogen.mirror.sites.ru74 import Ru74Mirror
from horogen.schema import Category, Record, normalize_whitespace
from horogen.signs import Sign
from unit.sites_support import FakeTexts, body_page, fixture_text, round_trip

DAY = dt.date(2024, 11, 25)
URL = "https://74.ru/horoscope/daily/"
AT = dt.datetime(2024, 11, 25, 6, 0, tzinfo=dt.UTC)


def page(body: str, day: dt.date = DAY) -> Page:
    return body_page(body, url=URL, day=day, name="daily", collected_at=AT)


def fixture(name: str, day: dt.date = DAY) -> Page:
    return page(fixture_text("74ru", name), day)


def test_plan_asks_for_the_daily_page_today_only() -> None:
    source = Ru74("http://127.0.0.1:9000/74ru/")
    assert source.plan(DAY, DAY) == [
        PageRequest("http://127.0.0.1:9000/74ru/horoscope/daily/", DAY, "daily")
    ]
    assert Ru74.availability.serves(DAY, DAY)
    assert not Ru74.availability.serves(DAY - dt.timedelta(days=1), DAY)
    assert not Ru74.availability.serves(DAY + dt.timedelta(days=1), DAY)
    assert Ru74().plan(DAY, DAY)[0].url == URL


def test_good_page_gives_every_sign_with_its_text_and_the_stated_date() -> None:
    parsed = Ru74().parse(fixture("good.html"))
    assert parsed.problems == []
    assert parsed.follow == []
    assert [r.sign for r in parsed.records] == list(Sign)
    by_sign = {r.sign: r for r in parsed.records}
    assert by_sign[Sign.ARIES].text == (
        "Сегодня Овнам стоит проявить терпение: начальство оценит вашу выдержку.\n"
        "Вечер подходит для встречи с\xa0друзьями."
    )
    assert by_sign[Sign.TAURUS].text == (
        "Тельцы получат неожиданное предложение. Не спешите с ответом — "
        "взвесьте все «за» и «против»."
    )
    assert by_sign[Sign.PISCES].text == (
        "Рыбам день подходит для творчества. Запишите идеи, которые придут в голову."
    )
    for record in parsed.records:
        assert (record.date, record.category, record.source) == (DAY, Category.GENERAL, "74ru")
        assert (record.url, record.collected_at) == (URL, AT)


def test_the_date_the_page_states_wins_over_the_requested_day() -> None:
    parsed = Ru74().parse(fixture("good.html", day=dt.date(2024, 11, 26)))
    assert {r.date for r in parsed.records} == {DAY}


def test_without_a_stated_date_the_requested_day_is_used() -> None:
    body = fixture_text("74ru", "good.html")
    body = body.replace("Гороскоп на 25&nbsp;ноября", "Гороскоп на сегодня")
    parsed = Ru74().parse(page(body, day=dt.date(2024, 11, 27)))
    assert {r.date for r in parsed.records} == {dt.date(2024, 11, 27)}


@pytest.mark.parametrize(
    ("heading", "asked", "expected"),
    [
        ("Гороскоп на 31 декабря", dt.date(2025, 1, 1), dt.date(2024, 12, 31)),
        ("Гороскоп на 1 января", dt.date(2024, 12, 31), dt.date(2025, 1, 1)),
        ("Гороскоп на 3 МАРТА 2023 года", DAY, dt.date(2023, 3, 3)),
        ("Гороскоп на 30 февраля", dt.date(2024, 2, 1), dt.date(2024, 2, 1)),
    ],
)
def test_a_stated_date_without_year_is_the_one_nearest_the_asked_day(
    heading: str, asked: dt.date, expected: dt.date
) -> None:
    body = fixture_text("74ru", "good.html")
    body = body.replace("Гороскоп на 25&nbsp;ноября", heading)
    parsed = Ru74().parse(page(body, day=asked))
    assert {r.date for r in parsed.records} == {expected}


def test_an_empty_item_is_kept_as_an_empty_text() -> None:
    parsed = Ru74().parse(fixture("empty_item.html"))
    assert parsed.problems == []
    assert len(parsed.records) == 12
    assert {r.sign: r.text for r in parsed.records}[Sign.CANCER] == ""


def test_unknown_sign_heading_and_repeated_sign_are_reported() -> None:
    parsed = Ru74().parse(fixture("unknown_sign.html"))
    assert [r.sign for r in parsed.records] == list(Sign)
    assert parsed.problems == [
        "item 10: heading 'Змееносец' names no sign",
        "item 15: Овен again (first in item 2); kept the first",
    ]
    assert parsed.records[0].text.startswith("Сегодня Овнам")


def test_signs_missing_from_the_page_are_reported() -> None:
    body = fixture_text("74ru", "good.html")
    body = "\n".join(
        line for line in body.splitlines() if "-->Рак<!--" not in line and "-->Рыбы<!--" not in line
    )
    parsed = Ru74().parse(page(body))
    assert [r.sign for r in parsed.records] == [
        sign for sign in Sign if sign not in (Sign.CANCER, Sign.PISCES)
    ]
    assert parsed.problems == ["no item for cancer", "no item for pisces"]


def test_an_item_without_a_sign_heading_element_is_no_item_and_its_sign_is_missing() -> None:
    body = fixture_text("74ru", "good.html")
    line = next(line for line in body.splitlines() if "-->Рак<!--" in line)
    body = body.replace(line, line.replace("_4K6U+ _9dcVo", "_4K6U+"))
    parsed = Ru74().parse(page(body))
    assert len(parsed.records) == 11
    assert parsed.problems == ["no item for cancer"]


def test_a_sign_whose_item_has_no_text_element_is_reported_once() -> None:
    body = fixture_text("74ru", "good.html")
    line = next(line for line in body.splitlines() if "-->Рак<!--" in line)
    body = body.replace(line, line.replace("BDPZt KUbeq", "BDPZt"))
    parsed = Ru74().parse(page(body))
    assert len(parsed.records) == 11
    assert parsed.problems == [f"item 5 ('Рак'): no text element matches {TEXT!r}"]


def test_changed_layout_raises_naming_the_item_selector() -> None:
    with pytest.raises(LayoutChanged) as error:
        Ru74().parse(fixture("changed.html"))
    assert '[class~="IGRa5"]' in str(error.value)
    assert "horogen.collect.sites.ru74" in str(error.value)


def test_page_without_items_raises() -> None:
    with pytest.raises(LayoutChanged, match="no item matches"):
        Ru74().parse(fixture("empty.html"))
    with pytest.raises(LayoutChanged, match="no item matches"):
        Ru74().parse(page(""))


def test_items_without_sign_or_text_elements_raise() -> None:
    no_signs = '<div class="IGRa5"><h2 class="x">Овен</h2><div class="BDPZt KUbeq">т</div></div>'
    with pytest.raises(LayoutChanged, match="no sign heading matches"):
        Ru74().parse(page(no_signs))
    no_text = (
        '<div class="IGRa5"><h2 class="_9dcVo _4K6U+">Овен</h2><div class="BDPZt">т</div></div>'
    )
    with pytest.raises(LayoutChanged, match=r"no text element matches '\[class~=\"BDPZt\"\]\[cl"):
        Ru74().parse(page(no_text))


def test_only_non_sign_headings_raise() -> None:
    body = '<div class="IGRa5"><h2 class="_4K6U+ _9dcVo">Для всех знаков зодиака.</h2></div>'
    with pytest.raises(LayoutChanged, match="names a sign"):
        Ru74().parse(page(body))


# --- round trip through the mirror ---------------------------------------------------

BASE = "http://127.0.0.1:8765/74ru"
fake_texts = FakeTexts(empty={Sign.LEO})


def collect(day: dt.date, layout: Layout = "current") -> list[Record]:
    collected = round_trip(Ru74(BASE), Ru74Mirror(), day, layout, fake_texts, collected_at=AT)
    assert collected.problems == []
    return collected.records


@pytest.mark.parametrize("day", [dt.date(2024, 3, 8), dt.date(2023, 12, 31), dt.date(2025, 1, 1)])
@pytest.mark.parametrize("layout", ["current", "legacy"])
def test_round_trip_through_the_mirror(day: dt.date, layout: Layout) -> None:
    records = collect(day, layout)
    assert [r.sign for r in records] == list(Sign)
    for record in records:
        assert record.date == day
        assert record.text == normalize_whitespace(
            fake_texts("74ru", record.sign, Category.GENERAL, day)
        )
    assert {r.sign: r.text for r in records}[Sign.LEO] == ""


def test_changed_layout_of_the_mirror_raises() -> None:
    with pytest.raises(LayoutChanged):
        collect(DAY, "changed")


def test_mirror_has_no_other_pages() -> None:
    mirror = Ru74Mirror()
    assert mirror.render("horoscope/daily/", DAY, BASE, "current", fake_texts) is not None
    assert mirror.render("horoscope/weekly/", DAY, BASE, "current", fake_texts) is None
    assert mirror.render("", DAY, BASE, "current", fake_texts) is None


def test_a_sign_dates_line_and_a_heading_inside_the_text_are_not_text() -> None:
    # Each item's text opens with the sign's dates ("21 марта — 20 апреля"); Лев's also
    # with an <h3> repeating the name: the texts are those of the same page without them.
    parsed = Ru74().parse(fixture("dates_in_text.html"))
    texts = {r.sign: r.text for r in parsed.records}
    assert texts[Sign.LEO] == (
        "Львы окажутся в центре внимания. Используйте это, чтобы продвинуть свои идеи на работе."
    )
    assert texts == {r.sign: r.text for r in Ru74().parse(fixture("good.html")).records}
    assert parsed.problems == []


def test_page_facts_take_the_year_from_the_title() -> None:
    # The heading says "25 ноября", the title "25 ноября 2024 года": the page is for 2024.
    facts = Ru74().page_facts(fixture_text("74ru", "good.html"), dt.date(2026, 11, 30))
    assert (facts.day, facts.sign, facts.url) == (dt.date(2024, 11, 25), None, None)
