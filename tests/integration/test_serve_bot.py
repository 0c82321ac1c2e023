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
from aiohttp import web

from horogen.model.store import ModelStore
from horogen.schema import Category
from horogen.serve.bot import run_bot
from horogen.serve.service import HoroscopeService
from horogen.signs import Sign
from serve_support import GENERATION, free_port, horogen_env, serve_settings, serving_store

TOKEN = "123456:TEST-secret-token"
READER = {"id": 42, "is_bot": False, "first_name": "Читатель"}
CHAT = {"id": 42, "type": "private"}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[ModelStore]:
    root = tmp_path_factory.mktemp("serve-bot")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield serving_store(root, versions=1)


class FakeBotApi:
    """Answers what the bot asks, records it, and fails the calls it is told to fail."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.tokens: set[str] = set()
        self.failures: dict[str, int] = {}
        self.message_id = 100

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.tokens.add(request.match_info["token"])
        data = {key: str(value) for key, value in (await request.post()).items()}
        self.calls.append((method, data))
        if self.failures.get(method, 0) > 0:
            self.failures[method] -= 1
            return web.json_response(
                {"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502
            )
        return web.json_response({"ok": True, "result": await self.result(method, data)})

    async def result(self, method: str, data: dict[str, str]) -> Any:
        if method == "getMe":
            return {
                "id": 123456,
                "is_bot": True,
                "first_name": "horogen",
                "username": "horogen_bot",
            }
        if method == "getUpdates":
            offset = int(data.get("offset", 0))
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if not pending:
                await asyncio.sleep(0.1)
            return pending
        if method == "sendMessage":
            self.message_id += 1
            return {
                "message_id": self.message_id,
                "date": int(time.time()),
                "chat": CHAT,
                "text": data["text"],
            }
        return True

    def push(self, **update: Any) -> None:
        self.updates.append({"update_id": len(self.updates) + 1, **update})

    def sent(self, method: str) -> list[dict[str, str]]:
        return [data for name, data in self.calls if name == method]


def message(text: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": CHAT,
        "from": READER,
        "text": text,
    }
    if text.startswith("/"):
        payload["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return payload


def callback(data: str, user: dict[str, Any] = READER) -> dict[str, Any]:
    return {
        "id": f"cb-{data}-{user['id']}",
        "from": user,
        "chat_instance": "1",
        "data": data,
        "message": message("…"),
    }


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
        server = web.Application()
        server.router.add_post("/bot{token}/{method}", api.handle)
        runner = web.AppRunner(server, access_log=None)  # its own log would show the URL
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        settings = serve_settings(bot_token=TOKEN, bot_api_url=f"http://127.0.0.1:{port}")
        service = HoroscopeService.build(
            settings, lake=store.lake, models=store, generation=GENERATION
        )
        bot = asyncio.create_task(run_bot(settings, service))
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
                f"vote:like:unicorn:{today}:1:AAAAAAAAAAA",
                "vote:like:leo:not-a-day:1:AAAAAAAAAAA",
                "vote:like:leo:2026-11-30:x:AAAAAAAAAAA",
                "vote:meh:leo:2026-11-30:1:AAAAAAAAAAA",
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
                    if len([c for c in api.sent("answerCallbackQuery") if c.get("text")]) >= 9
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
