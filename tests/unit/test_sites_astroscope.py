"""astroscope.ru: the adapter on fixture pages of the real layout (index and sign pages),
and a round trip through the mirror that follows the index's links."""

from __future__ import annotations

import datetime as dt

import pytest

from horogen.collect.base import Page, PageRequest
from horogen.collect.sites.astroscope import Astroscope
from horogen.errors import LayoutChanged
from horogen.mirror.base import Layout
from horogen.mirror.sites.astroscope import AstroscopeMirror
from horogen.schema import Category, Record, normalize_whitespace
from horogen.signs import Sign
from unit.sites_support import FakeTexts, body_page, fixture_text, round_trip

DAY = dt.date(2024, 11, 25)
AT = dt.datetime(2024, 11, 25, 6, 0, tzinfo=dt.UTC)
INDEX_URL = "https://astroscope.ru/horoskop/ejednevniy_goroskop/"
SIGN_URL = INDEX_URL + "{}.html"
SLUGS = (
    "oven", "telec", "bliznecy", "rak", "lev", "deva",
    "vesy", "skorpion", "strelec", "kozerog", "vodoley", "ryby",
)  # fmt: skip


def index_page(body: str, url: str = INDEX_URL) -> Page:
    return body_page(body, url=url, day=DAY, name="index", collected_at=AT)


def index(name: str) -> Page:
    return index_page(fixture_text("astroscope", name))


def sign_body_page(body: str, sign: Sign, slug: str) -> Page:
    return body_page(body, url=SIGN_URL.format(slug), day=DAY, sign=sign, collected_at=AT)


def sign_page(name: str, sign: Sign, slug: str) -> Page:
    return sign_body_page(fixture_text("astroscope", name), sign, slug)


def test_plan_asks_for_the_index_today_only() -> None:
    assert Astroscope().plan(DAY, DAY) == [PageRequest(INDEX_URL, DAY, "index")]
    assert Astroscope.availability.serves(DAY, DAY)
    assert not Astroscope.availability.serves(DAY - dt.timedelta(days=1), DAY)
    assert not Astroscope.availability.serves(DAY + dt.timedelta(days=1), DAY)


def test_index_follows_one_link_per_sign_resolved_against_the_page() -> None:
    parsed = Astroscope().parse(index("index.html"))
    assert parsed.records == []
    assert parsed.problems == []
    assert [(r.sign, r.name, r.url, r.day, r.category) for r in parsed.follow] == [
        (sign, sign.value, SIGN_URL.format(slug), DAY, Category.GENERAL)
        for sign, slug in zip(Sign, SLUGS, strict=True)
    ]


def test_protocol_relative_links_keep_the_scheme_of_the_index() -> None:
    body = fixture_text("astroscope", "index.html")
    url = "http://127.0.0.1:8765/astroscope/horoskop/ejednevniy_goroskop/"
    body = body.replace("//astroscope.ru/", "//127.0.0.1:8765/astroscope/")
    parsed = Astroscope().parse(index_page(body, url))
    assert parsed.follow[0].url == url + "oven.html"


def test_index_reports_unknown_and_repeated_links() -> None:
    parsed = Astroscope().parse(index("index_unknown_sign.html"))
    # the image-only link for Лев is read from its slug; "Гороскоп на неделю" is skipped
    assert [r.sign for r in parsed.follow] == list(Sign)
    assert parsed.problems == [
        "link 9 'Змееносец' (//astroscope.ru/horoskop/ejednevniy_goroskop/zmeenosec.html) "
        "names no sign",
        "link 14 (//astroscope.ru/horoskop/ejednevniy_goroskop/oven.html): Овен again; "
        "kept the first",
    ]


def test_index_reports_signs_without_a_link() -> None:
    body = fixture_text("astroscope", "index.html")
    body = "\n".join(line for line in body.splitlines() if "/rak.html" not in line)
    parsed = Astroscope().parse(index_page(body))
    assert [r.sign for r in parsed.follow] == [sign for sign in Sign if sign is not Sign.CANCER]
    assert parsed.problems == ["no link for cancer"]


def test_changed_or_empty_index_raises_naming_the_link_selector() -> None:
    for name in ("index_changed.html", "empty.html"):
        with pytest.raises(LayoutChanged) as error:
            Astroscope().parse(index(name))
        assert "'a.col-6.col-md-4.d-block.text-center.p-2'" in str(error.value)


def test_sign_page_gives_its_record() -> None:
    parsed = Astroscope().parse(sign_page("sign_oven.html", Sign.ARIES, "oven"))
    assert parsed.follow == [] and parsed.problems == []
    [record] = parsed.records
    assert (record.sign, record.date, record.category, record.source) == (
        Sign.ARIES, DAY, Category.GENERAL, "astroscope"
    )  # fmt: skip
    assert record.url == SIGN_URL.format("oven")
    # the first .p-3 only: the sidebar's .p-3 is not part of the text
    assert record.text == (
        "Сегодня Овнам стоит проявить терпение: начальство оценит вашу выдержку.\n"
        "Вечер подходит для встречи с\xa0друзьями."
    )


def test_sign_page_with_an_empty_text_is_kept() -> None:
    [record] = Astroscope().parse(sign_page("sign_empty_text.html", Sign.CANCER, "rak")).records
    assert (record.sign, record.text) == (Sign.CANCER, "")


def test_sign_page_naming_another_sign_raises() -> None:
    with pytest.raises(
        LayoutChanged, match=r"asked for Телец \(taurus\), but its heading .* names Овен"
    ):
        Astroscope().parse(sign_page("sign_oven.html", Sign.TAURUS, "telec"))


def test_sign_page_whose_heading_names_no_sign_gives_the_asked_sign() -> None:
    body = "<html><body><h1>Гороскоп на сегодня</h1><div class='p-3'>Текст.</div></body></html>"
    [record] = Astroscope().parse(sign_body_page(body, Sign.CANCER, "rak")).records
    assert (record.sign, record.text) == (Sign.CANCER, "Текст.")


def test_changed_sign_page_raises_naming_the_heading_selector() -> None:
    with pytest.raises(LayoutChanged, match="no sign heading matches 'h1'"):
        Astroscope().parse(sign_page("sign_changed.html", Sign.ARIES, "oven"))


def test_sign_page_without_text_element_raises() -> None:
    body = "<html><body><h1>Гороскоп на сегодня для Овна</h1><div class='p-4'>т</div></body></html>"
    with pytest.raises(LayoutChanged, match=r"no text element matches '\.p-3'"):
        Astroscope().parse(sign_body_page(body, Sign.ARIES, "oven"))


# --- round trip through the mirror ---------------------------------------------------

BASE = "http://127.0.0.1:8765/astroscope"
fake_texts = FakeTexts(empty={Sign.PISCES})


def collect(day: dt.date, layout: Layout = "current") -> list[Record]:
    source, mirror = Astroscope(BASE), AstroscopeMirror()
    collected = round_trip(source, mirror, day, layout, fake_texts, collected_at=AT)
    assert collected.problems == []
    assert len(collected.pages) == 13  # the index, then the page of each sign it links
    return collected.records


@pytest.mark.parametrize("layout", ["current", "legacy"])
def test_round_trip_through_the_mirror(layout: Layout) -> None:
    day = dt.date(2024, 3, 8)
    records = collect(day, layout)
    assert [r.sign for r in records] == list(Sign)
    for record in records:
        assert record.date == day
        assert record.text == normalize_whitespace(
            fake_texts("astroscope", record.sign, Category.GENERAL, day)
        )
    assert records[-1].text == ""


def test_changed_layout_of_the_mirror_raises_on_index_and_sign_pages() -> None:
    with pytest.raises(LayoutChanged):
        collect(DAY, "changed")
    url = BASE + "/horoskop/ejednevniy_goroskop/oven.html"
    rendered = AstroscopeMirror().render(
        "horoskop/ejednevniy_goroskop/oven.html", DAY, BASE, "changed", fake_texts
    )
    assert rendered is not None
    page = body_page(rendered.body, url=url, day=DAY, sign=Sign.ARIES, collected_at=AT)
    with pytest.raises(LayoutChanged):
        Astroscope(BASE).parse(page)


def test_mirror_links_are_protocol_relative_and_other_paths_are_missing() -> None:
    mirror = AstroscopeMirror()
    rendered = mirror.render("horoskop/ejednevniy_goroskop/", DAY, BASE, "current", fake_texts)
    assert rendered is not None
    assert 'href="//127.0.0.1:8765/astroscope/horoskop/ejednevniy_goroskop/vodoley.html"' in (
        rendered.body
    )
    for path in ("horoskop/ejednevniy_goroskop/zmeenosec.html", "horoskop/", "oven.html"):
        assert mirror.render(path, DAY, BASE, "current", fake_texts) is None


def test_a_saved_sign_page_states_its_sign_address_and_day() -> None:
    body = fixture_text("astroscope", "sign_skorpion.html")
    facts = Astroscope().page_facts(body, dt.date(2026, 11, 30))
    assert facts.sign is Sign.SCORPIO
    assert facts.url == SIGN_URL.format("skorpion")
    assert facts.day == DAY  # "25.11.2024" under the heading
    assert Astroscope().page_facts(fixture_text("astroscope", "index.html"), DAY).sign is None


def test_the_sign_and_its_dates_leading_the_text_are_not_text() -> None:
    page = sign_page("sign_skorpion.html", Sign.SCORPIO, "skorpion")
    [record] = Astroscope().parse(page).records
    assert record.text == (
        "Скорпионам день принесёт ясность в делах, которые давно не давали покоя.\n"
        "Не откладывайте важный разговор на\xa0вечер."
    )


def test_a_sign_page_for_another_day_gives_its_own_date() -> None:
    page = body_page(
        fixture_text("astroscope", "sign_oven.html"),
        url=SIGN_URL.format("oven"),
        day=DAY + dt.timedelta(days=1),
        sign=Sign.ARIES,
    )
    assert [r.date for r in Astroscope().parse(page).records] == [DAY]
