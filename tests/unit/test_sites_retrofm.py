"""retrofm.ru: the adapter on fixture pages of the real layout, and a round trip through
the mirror."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from horogen.collect.base import Page, PageRequest
from horogen.collect.sites.retrofm import RetroFM
from horogen.errors import LayoutChanged
from horogen.mirror.base import Layout
from horogen.mirror.sites.retrofm import RetroFMMirror
from horogen.schema import Category, Record, normalize_whitespace
from horogen.signs import Sign
from unit.sites_support import FakeTexts, body_page, fixture_text, round_trip

DAY = dt.date(2024, 11, 25)
URL = "https://retrofm.ru/goroskop"
AT = dt.datetime(2024, 11, 25, 6, 0, tzinfo=dt.UTC)


def page(body: str) -> Page:
    return body_page(body, url=URL, day=DAY, name="goroskop", collected_at=AT)


def fixture(name: str) -> Page:
    return page(fixture_text("retrofm", name))


def test_a_sign_missing_from_the_page_is_reported() -> None:
    body = fixture_text("retrofm", "good.html")
    body, removed = re.subn(r'<div class="text_box">\s*<h6>Рак</h6>.*?</div>', "", body, flags=re.S)
    assert removed == 1
    parsed = RetroFM().parse(page(body))
    assert [r.sign for r in parsed.records] == [sign for sign in Sign if sign is not Sign.CANCER]
    assert parsed.problems == ["no item for cancer"]


def test_plan_asks_for_the_page_today_only() -> None:
    assert RetroFM().plan(DAY, DAY) == [PageRequest(URL, DAY, "goroskop")]
    assert RetroFM.availability.serves(DAY, DAY)
    assert not RetroFM.availability.serves(DAY + dt.timedelta(days=1), DAY)
    assert not RetroFM.availability.serves(DAY - dt.timedelta(days=1), DAY)


def test_good_page_gives_every_sign_with_the_text_after_its_heading() -> None:
    parsed = RetroFM().parse(fixture("good.html"))
    assert parsed.problems == []
    assert [r.sign for r in parsed.records] == list(Sign)
    by_sign = {r.sign: r.text for r in parsed.records}
    # bare text indented with tabs, two lines split by <br>
    assert by_sign[Sign.ARIES] == (
        "Сегодня Овнам стоит проявить терпение: начальство оценит вашу выдержку.\n"
        "Вечер подходит для встречи с\xa0друзьями."
    )
    # the same text in <p>
    assert by_sign[Sign.LEO] == (
        "Львы окажутся в центре внимания. Используйте это, чтобы продвинуть свои идеи на работе."
    )
    assert by_sign[Sign.TAURUS].endswith("взвесьте все «за» и «против».")
    assert all("\t" not in text and "Овен" not in text for text in by_sign.values())
    assert {(r.date, r.category, r.source, r.url) for r in parsed.records} == {
        (DAY, Category.GENERAL, "retrofm", URL)
    }


def test_heading_in_a_wrapper_and_trailing_elements() -> None:
    body = (
        '<div class="text_box"><div class="head"><h6>♉ Телец</h6><small>21.04–21.05</small>'
        "</div>\n\t\tПервый\n\t\tабзац.<p>Второй <b>важный</b> абзац.</p><!-- x -->\t\t</div>"
    )
    [record] = RetroFM().parse(page(body)).records
    assert (record.sign, record.text) == (Sign.TAURUS, "Первый абзац.\nВторой важный абзац.")


def test_an_empty_item_is_kept_as_an_empty_text() -> None:
    parsed = RetroFM().parse(fixture("empty_item.html"))
    assert parsed.problems == []
    assert {r.sign: r.text for r in parsed.records}[Sign.CANCER] == ""
    assert len(parsed.records) == 12


def test_unknown_sign_heading_and_repeated_sign_are_reported() -> None:
    parsed = RetroFM().parse(fixture("unknown_sign.html"))
    assert [r.sign for r in parsed.records] == list(Sign)
    assert parsed.problems == [
        "item 10: heading 'Змееносец' names no sign",
        "item 15: Овен again (first in item 2); kept the first",
    ]


def test_changed_layout_raises_naming_the_item_selector() -> None:
    with pytest.raises(LayoutChanged, match=r"no item matches '\.text_box'.*retrofm"):
        RetroFM().parse(fixture("changed.html"))


def test_page_without_items_raises() -> None:
    with pytest.raises(LayoutChanged, match=r"no item matches '\.text_box'"):
        RetroFM().parse(fixture("empty.html"))


def test_items_without_headings_raise() -> None:
    body = '<div class="text_box"><h5>Овен</h5>Текст</div>'
    with pytest.raises(LayoutChanged, match=r"no sign heading matches '\.text_box h6'"):
        RetroFM().parse(page(body))


# --- round trip through the mirror ---------------------------------------------------

BASE = "http://127.0.0.1:8765/retrofm"
fake_texts = FakeTexts(
    empty={Sign.VIRGO},
    # tabs, not a space, before the "Читать далее" that closes the text
    template=(
        "{source} {sign} {category} {day}: {padding}\xa0— «цитата» <b>&amp;</b> 🌟\n"
        "\tвторой   абзац {ru}.\t\tЧитать далее"
    ),
)


def collect(day: dt.date, layout: Layout = "current") -> list[Record]:
    collected = round_trip(RetroFM(BASE), RetroFMMirror(), day, layout, fake_texts, collected_at=AT)
    assert collected.problems == []
    return collected.records


@pytest.mark.parametrize("layout", ["current", "legacy"])
def test_round_trip_through_the_mirror(layout: Layout) -> None:
    day = dt.date(2024, 3, 8)
    records = collect(day, layout)
    assert [r.sign for r in records] == list(Sign)
    for record in records:
        assert record.date == day
        assert record.text == normalize_whitespace(
            fake_texts("retrofm", record.sign, Category.GENERAL, day)
        )
    assert {r.sign: r.text for r in records}[Sign.VIRGO] == ""


def test_changed_layout_of_the_mirror_raises() -> None:
    with pytest.raises(LayoutChanged):
        collect(DAY, "changed")


def test_mirror_has_no_other_pages() -> None:
    assert RetroFMMirror().render("goroskop/", DAY, BASE, "current", fake_texts) is not None
    assert RetroFMMirror().render("efir", DAY, BASE, "current", fake_texts) is None


def test_the_sign_dates_after_the_heading_are_not_text() -> None:
    parsed = RetroFM().parse(fixture("dates_in_text.html"))
    texts = {r.sign: r.text for r in parsed.records}
    assert texts[Sign.CANCER] == (
        "Ракам звёзды советуют заняться домом: уборка и мелкий ремонт принесут удовлетворение."
    )
    assert texts == {r.sign: r.text for r in RetroFM().parse(fixture("good.html")).records}
    assert parsed.problems == []


def test_a_second_heading_in_an_item_is_not_text() -> None:
    body = '<div class="text_box"><h6>Телец</h6><h5>Телец (21.04 – 21.05)</h5>Текст дня.</div>'
    [record] = RetroFM().parse(page(body)).records
    assert (record.sign, record.text) == (Sign.TAURUS, "Текст дня.")
