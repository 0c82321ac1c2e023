"""docs/serving-page.png: the page as a reader sees it, with the demo's champion.

    python bench/screenshot.py --lake /tmp/demo/horogen-data  # a demo's lake, kept by
                                                              # bench/demo.py --keep /tmp/demo
    python bench/screenshot.py                                # runs the demo first (~5 min)

Serves the lake's champion with ``horogen serve`` (from the lake's folder, so the demo's
settings apply), opens the page in Debian's Chromium (driven by Playwright, as the e2e
tests do), picks ``--sign`` and ``--category`` and saves the screenshot (and, with
``--permalink``, the sign's permalink page beside it). Prints the text shown, so the
picture can be checked against the API.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
from demo import free_port, run_demo  # noqa: E402

CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--lang=ru",
]


def serve(lake: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOROGEN_", "MLFLOW_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "horogen", "serve", "--lake", str(lake), "--port", str(port)]
    server = subprocess.Popen(
        command, cwd=lake.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 300
    while True:
        if server.poll() is not None:
            raise SystemExit(f"horogen serve exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            server.kill()
            raise SystemExit("horogen serve did not load a model in 5 minutes")
        time.sleep(0.5)


def shoot(url: str, sign: str, category: str, out: Path, permalink: Path | None) -> str:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 700}, locale="ru-RU")
        page.goto(f"{url}/?sign={sign}&category={category}")
        page.locator("#horoscope:not([hidden])").wait_for(timeout=120_000)
        text = page.locator("#text").text_content() or ""
        page.locator("#like").focus()  # the visible focus, as a keyboard reader sees it
        page.screenshot(path=str(out), full_page=True)
        if permalink is not None:
            page.goto(page.locator("#permalink").get_attribute("href") or "/")
            page.screenshot(path=str(permalink), full_page=True)
        browser.close()
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, help="a demo's lake (default: run the demo)")
    parser.add_argument("--days", type=int, default=30, help="the demo's days, without --lake")
    parser.add_argument("--sign", default="leo")
    parser.add_argument("--category", default="love")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "serving-page.png")
    parser.add_argument("--permalink", type=Path, help="also save the permalink page here")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit("Debian's chromium is missing: apt-get install -y chromium")
    folder = None
    lake = args.lake
    if lake is None:
        folder = Path(tempfile.mkdtemp(prefix="horogen-screenshot-"))
        run_demo(folder, args.days)
        lake = folder / "horogen-data"
    port = free_port()
    server = serve(lake.resolve(), port)
    try:
        text = shoot(f"http://127.0.0.1:{port}", args.sign, args.category, args.out, args.permalink)
        answer = httpx.get(
            f"http://127.0.0.1:{port}/v1/horoscopes/{args.sign}?category={args.category}",
            timeout=60,
        ).json()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    if text != answer["text"]:
        raise SystemExit("the page showed another text than the API answers")
    print(f"{args.out}: {answer['model']}, {args.sign}, {args.category}: {text}")


if __name__ == "__main__":
    main()
