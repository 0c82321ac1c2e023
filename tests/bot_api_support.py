"""A fake Telegram Bot API on 127.0.0.1 over real HTTP (aiohttp): it answers what a bot
asks, records every call with its time, and fails the calls it is told to fail (5xx, 429
with ``retry_after``, 403 for chats that blocked the bot)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from serve_support import free_port

READER = {"id": 42, "is_bot": False, "first_name": "Читатель"}
CHAT = {"id": 42, "type": "private"}


class FakeBotApi:
    """Answers what the bot asks, records it, and fails the calls it is told to fail."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.tokens: set[str] = set()
        #: method → how many of its next calls answer 502.
        self.failures: dict[str, int] = {}
        #: How many of the next sendMessage calls answer 429 (retry after one second).
        self.throttle = 0
        #: Chats that blocked the bot: sendMessage answers 403.
        self.blocked: set[int] = set()
        #: Seconds a sendMessage takes.
        self.delay = 0.0
        #: chat → the times its messages arrived, and their texts.
        self.delivered: dict[int, list[tuple[float, str]]] = defaultdict(list)
        self.message_id = 100

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.tokens.add(request.match_info["token"])
        data = {key: str(value) for key, value in (await request.post()).items()}
        self.calls.append((method, data))
        if self.failures.get(method, 0) > 0:
            self.failures[method] -= 1
            return self.error(502, "Bad Gateway")
        if method == "sendMessage":
            if self.throttle > 0:
                self.throttle -= 1
                return self.error(429, "Too Many Requests: retry after 1", retry_after=1)
            if int(data["chat_id"]) in self.blocked:
                return self.error(403, "Forbidden: bot was blocked by the user")
            if self.delay:
                await asyncio.sleep(self.delay)
        return web.json_response({"ok": True, "result": await self.result(method, data)})

    @staticmethod
    def error(code: int, description: str, **parameters: Any) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

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
            chat = int(data["chat_id"])
            self.delivered[chat].append((time.monotonic(), data["text"]))
            return {
                "message_id": self.message_id,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "text": data["text"],
            }
        return True

    def push(self, **update: Any) -> None:
        self.updates.append({"update_id": len(self.updates) + 1, **update})

    def sent(self, method: str) -> list[dict[str, str]]:
        return [data for name, data in self.calls if name == method]

    def messages(self) -> int:
        return sum(len(times) for times in self.delivered.values())

    async def start(self) -> tuple[web.AppRunner, str]:
        """Serve on a free port of this event loop; the runner and the base URL."""
        server = web.Application()
        server.router.add_post("/bot{token}/{method}", self.handle)
        runner = web.AppRunner(server, access_log=None)  # its own log would show the URL
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner, f"http://127.0.0.1:{port}"


@contextmanager
def fake_bot_api_thread(api: FakeBotApi) -> Iterator[str]:
    """``api`` served from a thread of its own (for code that runs its own event loop, or a
    subprocess); its base URL."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}

    def serve() -> None:
        asyncio.set_event_loop(loop)
        holder["runner"], holder["url"] = loop.run_until_complete(api.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(30), "the fake Bot API did not start"
    try:
        yield holder["url"]
    finally:
        asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)


def message(text: str, chat: int = 42) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": chat, "type": "private"},
        "from": READER,
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        payload["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return payload


def callback(data: str, user: dict[str, Any] = READER) -> dict[str, Any]:
    return {
        "id": f"cb-{data}-{user['id']}",
        "from": user,
        "chat_instance": "1",
        "data": data,
        "message": message("…"),
    }
