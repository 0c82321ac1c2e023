"""The page in headless Chromium (Debian's, driven by Playwright): pick a sign, read its
horoscope, vote; the screenshot goes to docs/serving-page.png."""

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
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "serving-page.png"
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


def test_a_reader_picks_a_sign_reads_and_votes(browser, server: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="ru-RU")  # a phone
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
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
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
