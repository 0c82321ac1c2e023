"""The page in headless Chromium (Debian's, driven by Playwright): pick a sign and a
category, read the horoscope, vote, follow its permalink; at a phone's width and a
desktop's, and by keyboard alone. (The screenshot in docs/ is bench/screenshot.py's, of
the demo's champion.)"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from horogen.serve.settings import ServeSettings
from serve_support import running_server, serving_store

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/lib/chromium/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--lang=ru",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing: .ci/run installs it (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("serve-page")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        serving_store(root, versions=1)
    with running_server(root / "lake", root / "server.log") as url:
        yield url


def test_a_reader_picks_a_sign_reads_and_votes(browser, server: str, tmp_path: Path) -> None:
    page = browser.new_page(viewport=PHONE, locale="ru-RU")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server) else outside.append(r.url))
    page.goto(server + "/")

    buttons = page.locator("#signs button")
    buttons.first.wait_for()
    assert buttons.count() == 12
    assert buttons.nth(4).inner_text().split() == ["♌", "Лев"]
    assert page.locator("#date").input_value() == ServeSettings().today().isoformat()

    buttons.nth(4).click()
    page.locator("#horoscope:not([hidden])").wait_for()
    expected = httpx.get(f"{server}/v1/horoscopes/leo", timeout=30).json()
    assert page.locator("#title").inner_text().startswith("♌ Лев")
    assert page.locator("#text").inner_text() == expected["text"]
    assert page.locator("footer").inner_text() == "Модель: horogen/1"
    assert buttons.nth(4).get_attribute("aria-pressed") == "true"

    page.locator("#like").click()
    page.locator("#like.chosen").wait_for()
    assert page.locator("#likes").inner_text() == "1"
    page.locator("#dislike").click()  # the same reader changes their mind: replaced
    page.locator("#dislike.chosen").wait_for()
    assert (page.locator("#likes").inner_text(), page.locator("#dislikes").inner_text()) == (
        "0",
        "1",
    )

    # The reader is the server's cookie, out of the page's reach (HttpOnly).
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["horogen_reader"]["httpOnly"]
    assert "horogen_reader" not in page.evaluate("document.cookie")

    # Readable on a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    assert errors == [] and outside == []
    page.close()


def test_the_date_picker_changes_the_day(browser, server: str) -> None:
    page = browser.new_page()
    page.goto(server + "/")
    page.locator("#signs button").first.wait_for()
    first = page.locator("#date").get_attribute("min")
    page.locator("#signs button").nth(0).click()
    page.locator("#horoscope:not([hidden])").wait_for()
    page.locator("#date").fill(first)
    page.locator("#date").dispatch_event("change")
    page.wait_for_function(f"document.querySelector('#title').textContent.endsWith('{first}')")
    expected = httpx.get(f"{server}/v1/horoscopes/aries?date={first}", timeout=30).json()
    assert page.locator("#text").inner_text() == expected["text"]
    page.close()


def test_a_category_is_kept_in_the_address_and_survives_a_reload(browser, server: str) -> None:
    page = browser.new_page(viewport=PHONE, locale="ru-RU")
    page.goto(server + "/")
    names = page.locator("#categories label")
    names.first.wait_for()
    assert names.all_inner_texts() == [
        "Общий",
        "Любовный",
        "Деловой",
        "Здоровье",
        "Эротический",
        "Антигороскоп",
        "Кулинарный",
        "Мобильный",
    ]
    assert page.locator("#categories input:checked").get_attribute("value") == "general"
    page.locator("#signs button").nth(4).click()
    page.locator("#horoscope:not([hidden])").wait_for()
    names.nth(1).click()  # Любовный
    love = httpx.get(f"{server}/v1/horoscopes/leo?category=love", timeout=30).json()
    page.wait_for_function("document.querySelector('#title').textContent.includes('Любовный')")
    assert page.locator("#text").text_content() == love["text"]
    assert "sign=leo" in page.url and "category=love" in page.url

    page.reload()  # the same horoscope again, from the address
    page.locator("#horoscope:not([hidden])").wait_for()
    assert page.locator("#text").text_content() == love["text"]
    assert page.locator("#categories input:checked").get_attribute("value") == "love"
    assert page.locator("#signs button").nth(4).get_attribute("aria-pressed") == "true"

    # The permalink: the same text, rendered by the server.
    link = page.locator("#permalink")
    assert link.get_attribute("href") == f"/leo/{love['date']}?category=love"
    link.click()
    page.wait_for_url(f"**/leo/{love['date']}?category=love")
    assert page.locator("#text").text_content() == love["text"]
    assert page.title().startswith("Лев: любовный гороскоп на ")
    page.close()


def test_a_permalink_reads_without_scripts(browser, server: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{server}/pisces/{ServeSettings().today()}?category=health")
    expected = httpx.get(f"{server}/v1/horoscopes/pisces?category=health", timeout=30).json()
    assert page.locator("#text").text_content() == expected["text"]
    assert page.locator("h1").inner_text() == "♓ Рыбы"
    assert page.locator("script").count() == 0
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_a_desktop_reader_sees_two_rows_of_signs_and_a_readable_column(
    browser, server: str
) -> None:
    page = browser.new_page(viewport=DESKTOP, locale="ru-RU")
    page.goto(server + "/?sign=libra&category=business")
    page.locator("#horoscope:not([hidden])").wait_for()
    tops = [box["y"] for box in (b.bounding_box() for b in page.locator("#signs button").all())]
    assert len(set(tops)) == 2  # six signs a row
    text = page.locator("#text").bounding_box()
    assert text["width"] <= 800  # a line short enough to read
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#text')).fontSize)")
    assert size >= 17
    page.close()


def test_the_keyboard_alone_picks_reads_and_votes(browser, server: str) -> None:
    page = browser.new_page(viewport=DESKTOP, locale="ru-RU")
    page.goto(server + "/")
    page.locator("#signs button").first.wait_for()

    def tab_to(selector: str, limit: int = 20) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    def outline() -> str:
        return page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return s.outlineStyle + ' ' + s.outlineWidth; })()"
        )

    tab_to("#categories input")  # one stop for the categories; arrows choose
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#categories input:checked').value === 'love'")
    tab_to("#signs button")  # one stop for the twelve signs; arrows move
    assert outline() == "solid 3px"  # the focus is visible
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.sign") == "leo"
    page.keyboard.press("ArrowDown")  # six to a row at this width: Aquarius is below Leo
    assert page.evaluate("document.activeElement.dataset.sign") == "aquarius"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.locator("#horoscope:not([hidden])").wait_for()
    love = httpx.get(f"{server}/v1/horoscopes/leo?category=love", timeout=30).json()
    assert page.locator("#text").text_content() == love["text"]

    tab_to("#like")
    assert outline() == "solid 3px"
    page.keyboard.press("Enter")
    page.locator("#like.chosen").wait_for()
    tab_to("#permalink", limit=3)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/leo/{love['date']}?category=love")
    page.close()
