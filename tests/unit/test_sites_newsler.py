"""newsler.ru: the adapter on fixture pages of the real layout, and a round trip through
the mirror over every category page."""

from __future__ import annotations

import datetime as dt

import pytest

from horogen.collect.base import Page
from horogen.collect.sites.newsler import Newsler
from horogen.errors import LayoutChanged
from horogen.mirror.base import Layout
from horogen.mirror.sites.newsler import NewslerMirror
from horogen.schema import Category, Record, normalize_whitespace
from horogen.signs import Sign
from unit.sites_support import FakeTexts, body_page, fixture_text, round_trip

DAY = dt.date(2024, 11, 25)
AT = dt.datetime(2024, 11, 25, 6, 0, tzinfo=dt.UTC)
BASE_URL = "https://www.newsler.ru"


def page(body: str, category: Category = Category.GENERAL) -> Page:
    url = BASE_URL + ("/horoscope" if category is Category.GENERAL else f"/horoscope/{category}")
    return body_page(body, url=url, day=DAY, category=category, collected_at=AT)


def fixture(name: str, category: Category = Category.GENERAL) -> Page:
    return page(fixture_text("newsler", name), category)


def test_a_sign_missing_from_the_page_is_reported() -> None:
    body = fixture_text("newsler", "good.html")
    body = "\n".join(line for line in body.splitlines() if "> Рак <span>" not in line)
    parsed = Newsler().parse(page(body))
    assert [r.sign for r in parsed.records] == [sign for sign in Sign if sign is not Sign.CANCER]
    assert parsed.problems == ["no item for cancer"]


def test_plan_asks_for_one_page_per_category_today_only() -> None:
    plan = Newsler().plan(DAY, DAY)
    assert [(r.url, r.name, r.category) for r in plan] == [
        ("https://www.newsler.ru/horoscope", "general", Category.GENERAL),
        ("https://www.newsler.ru/horoscope/erotic", "erotic", Category.EROTIC),
        ("https://www.newsler.ru/horoscope/anti", "anti", Category.ANTI),
        ("https://www.newsler.ru/horoscope/business", "business", Category.BUSINESS),
        ("https://www.newsler.ru/horoscope/health", "health", Category.HEALTH),
        ("https://www.newsler.ru/horoscope/cook", "cook", Category.COOK),
        ("https://www.newsler.ru/horoscope/love", "love", Category.LOVE),
        ("https://www.newsler.ru/horoscope/mobile", "mobile", Category.MOBILE),
    ]
    assert {r.day for r in plan} == {DAY}
    assert set(Newsler.categories) == set(Category)
    assert Newsler.availability.serves(DAY, DAY)
    assert not Newsler.availability.serves(DAY - dt.timedelta(days=1), DAY)
    assert not Newsler.availability.serves(DAY + dt.timedelta(days=1), DAY)


@pytest.mark.parametrize("category", [Category.GENERAL, Category.EROTIC, Category.MOBILE])
def test_good_page_gives_every_sign_in_the_page_category(category: Category) -> None:
    parsed = Newsler().parse(fixture("good.html", category))
    assert parsed.problems == []
    assert [r.sign for r in parsed.records] == list(Sign)
    assert {(r.category, r.date, r.source) for r in parsed.records} == {(category, DAY, "newsler")}
    by_sign = {r.sign: r.text for r in parsed.records}
    assert by_sign[Sign.ARIES] == (
        "Сегодня Овнам стоит проявить терпение: начальство оценит вашу выдержку.\n"
        "Вечер подходит для встречи с\xa0друзьями."
    )
    assert by_sign[Sign.AQUARIUS] == (
        "Водолеям стоит прислушаться к интуиции: она подскажет верное решение."
    )
    # columns of the footer share the item's classes and are not items
    assert all("Newsler" not in text for text in by_sign.values())


def test_an_empty_item_is_kept_as_an_empty_text() -> None:
    parsed = Newsler().parse(fixture("empty_item.html", Category.LOVE))
    assert parsed.problems == []
    assert len(parsed.records) == 12
    assert {r.sign: r.text for r in parsed.records}[Sign.CANCER] == ""


def test_unknown_sign_heading_and_repeated_sign_are_reported() -> None:
    parsed = Newsler().parse(fixture("unknown_sign.html"))
    assert [r.sign for r in parsed.records] == list(Sign)
    assert parsed.problems == [
        "item 9: heading 'Змееносец 29.11–17.12' names no sign",
        "item 14: Овен again (first in item 1); kept the first",
    ]


def test_a_sign_item_without_text_is_reported() -> None:
    body = fixture_text("newsler", "good.html")
    body = body.replace('<div class="text">Весам', '<div class="txt">Весам', 1)
    parsed = Newsler().parse(page(body))
    assert Sign.LIBRA not in {r.sign for r in parsed.records}
    assert parsed.problems == ["item 7 ('Весы 24.09–23.10'): no text element matches '.text'"]


def test_changed_layout_raises_naming_the_heading_selector() -> None:
    # the footer's columns still match the item selector; none holds a sign heading
    with pytest.raises(LayoutChanged, match=r"no sign heading matches '\.col-xs-12\.col-md-6 \.t'"):
        Newsler().parse(fixture("changed.html"))


def test_page_without_items_raises() -> None:
    with pytest.raises(LayoutChanged, match="no sign heading matches"):
        Newsler().parse(fixture("empty.html"))
    with pytest.raises(LayoutChanged, match=r"no item matches '\.col-xs-12\.col-md-6'"):
        Newsler().parse(page("<html><body><p>503</p></body></html>"))


# --- round trip through the mirror ---------------------------------------------------

BASE = "http://127.0.0.1:8765/newsler"
fake_texts = FakeTexts(empty={(Sign.GEMINI, Category.COOK)})


def collect(day: dt.date, layout: Layout = "current") -> list[Record]:
    collected = round_trip(Newsler(BASE), NewslerMirror(), day, layout, fake_texts, collected_at=AT)
    assert collected.problems == []
    return collected.records


@pytest.mark.parametrize("layout", ["current", "legacy"])
def test_round_trip_through_the_mirror(layout: Layout) -> None:
    day = dt.date(2024, 3, 8)
    records = collect(day, layout)
    assert sorted((r.category.value, r.sign.value) for r in records) == sorted(
        (c.value, s.value) for c in Category for s in Sign
    )
    for record in records:
        assert record.date == day
        assert record.text == normalize_whitespace(
            fake_texts("newsler", record.sign, record.category, day)
        )
        assert record.url.endswith(
            "/horoscope" + ("" if record.category is Category.GENERAL else f"/{record.category}")
        )


def test_changed_layout_of_the_mirror_raises() -> None:
    with pytest.raises(LayoutChanged):
        collect(DAY, "changed")


def test_mirror_has_no_other_pages() -> None:
    mirror = NewslerMirror()
    assert mirror.render("horoscope/love/", DAY, BASE, "current", fake_texts) is not None
    assert mirror.render("horoscope/weekly", DAY, BASE, "current", fake_texts) is None
    assert mirror.render("news", DAY, BASE, "current", fake_texts) is None


def test_the_sign_dates_printed_in_the_text_are_not_text() -> None:
    parsed = Newsler().parse(fixture("dates_in_text.html"))
    texts = {r.sign: r.text for r in parsed.records}
    assert texts[Sign.CANCER] == (
        "Ракам звёзды советуют заняться домом: уборка и мелкий ремонт принесут удовлетворение."
    )
    assert texts == {r.sign: r.text for r in Newsler().parse(fixture("good.html")).records}


def test_the_title_states_the_day_and_the_heading_the_category() -> None:
    body = fixture_text("newsler", "good.html")
    facts = Newsler().page_facts(body, dt.date(2026, 11, 30))
    assert (facts.day, facts.category) == (dt.date(2024, 11, 25), Category.GENERAL)
    love = body.replace("<h1>Гороскоп на сегодня</h1>", "<h1>Любовный гороскоп</h1>")
    assert Newsler().page_facts(love, DAY).category is Category.LOVE
    # A page asked for another day states its own: every record has the title's date.
    later = body_page(body, url=BASE_URL + "/horoscope", day=dt.date(2024, 11, 26))
    assert {r.date for r in Newsler().parse(later).records} == {DAY}
