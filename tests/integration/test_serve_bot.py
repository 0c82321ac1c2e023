"""The Telegram bot against a fake Bot API on 127.0.0.1, over real HTTP: the messages it
sends, its votes, its retries, and a token that never shows."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot_api_support import READER, FakeBotApi, callback, message
from horogen.model.store import ModelStore
from horogen.schema import Category
from horogen.serve.bot import run_bot
from horogen.serve.service import HoroscopeService
from horogen.serve.subscriptions import open_subscriptions
from horogen.signs import Sign
from serve_support import GENERATION, free_port, horogen_env, serve_settings, serving_store

TOKEN = "123456:TEST-secret-token"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[ModelStore]:
    root = tmp_path_factory.mktemp("serve-bot")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield serving_store(root, versions=1)


async def until(condition: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, "the bot did not do it in time"
        await asyncio.sleep(0.05)
    return found


def test_the_bot_answers_votes_and_retries(store: ModelStore, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    api = FakeBotApi()
    api.failures = {"getMe": 2, "getUpdates": 1}  # the Bot API is unwell at first

    async def scenario() -> None:
        runner, url = await api.start()
        settings = serve_settings(bot_token=TOKEN, bot_api_url=url)
        service = HoroscopeService.build(
            settings, lake=store.lake, models=store, generation=GENERATION
        )
        subscriptions = open_subscriptions(settings, store.lake)
        bot = asyncio.create_task(run_bot(settings, service, subscriptions))
        try:
            await until(lambda: service.slot.current is not None)
            api.push(message=message("/start"))
            keyboard = json.loads((await until(lambda: api.sent("sendMessage")))[0]["reply_markup"])
            buttons = [b for row in keyboard["inline_keyboard"] for b in row]
            assert [b["text"] for b in buttons][:2] == ["♈ Овен", "♉ Телец"] and len(
                buttons
            ) == 12

            api.push(callback_query=callback("sign:leo"))
            answer = (await until(lambda: api.sent("sendMessage")[1:]))[0]
            expected = await service.text(Sign.LEO, None, Category.GENERAL)
            assert answer["text"].startswith("♌ Лев · ") and answer["text"].endswith(expected.text)
            votes = json.loads(answer["reply_markup"])["inline_keyboard"][0]
            assert [b["text"] for b in votes] == ["👍", "👎"]

            api.push(callback_query=callback(votes[0]["callback_data"]))
            thanks = await until(
                lambda: [c for c in api.sent("answerCallbackQuery") if c.get("text")]
            )
            assert thanks[0]["text"] == "Спасибо! 👍 1 · 👎 0"
            assert service.stores.verdicts.per_model()[0].likes == 1

            # Crafted callback data (the probe: ~170 lines of traceback each, no answer) and
            # another user replaying this reader's button: a short answer, nothing counted.
            today = expected.date.isoformat()
            crafted = [
                "sign:unicorn",
                f"cat:leo:gossip:{today}",
                f"vote:like:unicorn:{today}:general:1:AAAAAAAAAAA",
                "vote:like:leo:not-a-day:general:1:AAAAAAAAAAA",
                "vote:like:leo:2026-11-30:general:x:AAAAAAAAAAA",
                f"vote:like:leo:{today}:gossip:1:AAAAAAAAAAA",
                "vote:meh:leo:2026-11-30:general:1:AAAAAAAAAAA",
                "nonsense",
                "",
            ]
            for data in crafted:
                api.push(callback_query=callback(data))
            other = READER | {"id": READER["id"] + 1}
            api.push(callback_query=callback(votes[1]["callback_data"], other))
            answered = await until(
                lambda: (
                    [c for c in api.sent("answerCallbackQuery") if c.get("text")][1:]
                    if len([c for c in api.sent("answerCallbackQuery") if c.get("text")]) >= 11
                    else None
                )
            )
            assert all(len(c["text"]) < 80 for c in answered), answered
            assert service.stores.verdicts.per_model()[0].votes == 1

            api.failures["sendMessage"] = 2  # two 502s, then the answer goes through
            api.push(message=message("лев"))
            await until(lambda: len(api.sent("sendMessage")) == 5)
            assert api.sent("sendMessage")[-1]["text"].endswith(expected.text)

            api.push(message=message("/help"))
            helped = await until(lambda: api.sent("sendMessage")[5:])
            assert "гороскоп" in helped[0]["text"]
        finally:
            bot.cancel()
            await asyncio.gather(bot, return_exceptions=True)
            await runner.cleanup()

    asyncio.run(scenario())
    assert api.sent("getMe") and len(api.sent("getMe")) >= 3  # retried after two 502s
    assert api.tokens == {TOKEN}  # the token went to the Bot API …
    assert TOKEN not in caplog.text and "secret" not in caplog.text  # … and nowhere else


def test_categories_and_subscriptions_in_the_bot(store: ModelStore) -> None:
    api = FakeBotApi()

    async def scenario() -> None:
        runner, url = await api.start()
        settings = serve_settings(bot_token=TOKEN, bot_api_url=url)
        service = HoroscopeService.build(
            settings, lake=store.lake, models=store, generation=GENERATION
        )
        subscriptions = open_subscriptions(settings, store.lake)
        bot = asyncio.create_task(run_bot(settings, service, subscriptions))

        async def said(text: str | None = None, **update: Any) -> dict[str, str]:
            before = len(api.sent("sendMessage"))
            api.push(**(update or {"message": message(text or "")}))
            return (await until(lambda: api.sent("sendMessage")[before:]))[0]

        try:
            await until(lambda: service.slot.current is not None)
            # A sign's answer offers the eight categories, the one shown marked.
            answer = await said(callback_query=callback("sign:virgo"))
            rows = json.loads(answer["reply_markup"])["inline_keyboard"]
            kinds = [b for row in rows[1:3] for b in row]
            assert [b["text"] for b in kinds][:2] == ["• Общий", "Любовный"] and len(kinds) == 8
            assert answer["text"].startswith("♍ Дева · общий гороскоп · ")

            # A press reads the same cache as the API: the love text of the same day.
            love = await said(callback_query=callback(kinds[1]["callback_data"]))
            expected = await service.text(Sign.VIRGO, None, Category.LOVE)
            assert love["text"].startswith("♍ Дева · любовный гороскоп · ")
            assert love["text"].endswith(expected.text)
            vote = json.loads(love["reply_markup"])["inline_keyboard"][0][0]["callback_data"]
            assert ":love:" in vote  # the vote is for the love text

            typed = await said("лев деловой")
            assert typed["text"].endswith(
                (await service.text(Sign.LEO, None, Category.BUSINESS)).text
            )
            assert "Не знаю категории «сплетни»" in (await said("лев сплетни"))["text"]

            # Subscriptions: by command, by button, listed, refused, dropped.
            assert "Готово" in (await said("/subscribe Лев любовный"))["text"]
            assert "уже подписаны" in (await said("/subscribe leo love"))["text"]
            subscribe = json.loads(love["reply_markup"])["inline_keyboard"][3][0]
            assert (
                "Готово"
                in (await said(callback_query=callback(subscribe["callback_data"])))["text"]
            )
            assert "Не знаю знака «единорог»" in (await said("/subscribe единорог"))["text"]
            assert "Не знаю категории" in (await said("/subscribe лев сплетни"))["text"]
            assert "/subscribe Лев" in (await said("/subscribe"))["text"]
            listed = (await said("/subscriptions"))["text"]
            assert "♌ Лев: любовный гороскоп" in listed and "♍ Дева: любовный гороскоп" in listed
            assert [(s.sign, s.category) for s in subscriptions.of_chat(42)] == [
                (Sign.LEO, Category.LOVE),
                (Sign.VIRGO, Category.LOVE),
            ]
            assert "отписал: 1" in (await said("/unsubscribe Дева"))["text"]
            assert "отписал: 1" in (await said("/unsubscribe"))["text"]
            assert "Подписок нет" in (await said("/subscriptions"))["text"]
            assert api.sent("setMyCommands")  # the commands are in the reader's menu
        finally:
            bot.cancel()
            await asyncio.gather(bot, return_exceptions=True)
            await runner.cleanup()

    asyncio.run(scenario())


def test_horogen_bot_waits_out_a_dead_bot_api_and_never_prints_its_token(store: ModelStore) -> None:
    env = horogen_env(
        HOROGEN_SERVE__BOT_TOKEN=TOKEN,
        HOROGEN_SERVE__BOT_API_URL=f"http://127.0.0.1:{free_port()}",  # nothing listens
    )
    bot = subprocess.Popen(
        [sys.executable, "-m", "horogen", "bot", "--lake", str(store.lake.root)],
        env=env | {"PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(bot.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while sum("retrying" in line for line in lines) < 3:  # getMe, again and again
        assert bot.poll() is None, "".join(lines)
        assert time.monotonic() < deadline, "".join(lines)
        time.sleep(0.2)
    still_running = bot.poll() is None
    bot.terminate()
    bot.wait(timeout=30)
    reader.join(timeout=10)
    output = "".join(lines)
    assert still_running, output
    assert TOKEN not in output and "secret" not in output

    from typer.testing import CliRunner

    from horogen.cli import app
    from horogen.errors import ConfigError

    missing = CliRunner(env={"HOROGEN_SERVE__BOT_TOKEN": ""}).invoke(
        app, ["bot", "--lake", str(store.lake.root)]
    )
    assert isinstance(missing.exception, ConfigError)
    assert "HOROGEN_SERVE__BOT_TOKEN" in str(missing.exception)
    wrong = CliRunner(env={"HOROGEN_SERVE__BOT_TOKEN": "not-a-secret-token"}).invoke(
        app, ["bot", "--lake", str(store.lake.root)]
    )
    assert isinstance(wrong.exception, ConfigError)
    assert "not-a-secret-token" not in str(wrong.exception)
