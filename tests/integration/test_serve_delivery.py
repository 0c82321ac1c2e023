"""The daily delivery (``horogen deliver``) against the fake Bot API over real HTTP: a few
thousand subscribers get exactly one message each, within the rate limits, through 429s,
5xx and blocked chats, and a delivery killed in the middle (a real process, SIGKILL) then
run again sends nothing twice."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot_api_support import FakeBotApi, fake_bot_api_thread
from horogen.model.store import ModelStore
from horogen.schema import Category
from horogen.serve.cache import open_stores
from horogen.serve.delivery import deliver_day
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import Group
from horogen.serve.subscriptions import (
    Subscription,
    deliveries_table,
    open_subscriptions,
    subscriptions_table,
)
from horogen.signs import Sign
from serve_support import GENERATION, horogen_env, serve_settings, serving_store

TOKEN = "123456:TEST-delivery-token"
SIGNS = list(Sign)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[ModelStore]:
    root = tmp_path_factory.mktemp("serve-delivery")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield serving_store(root, versions=1)


def subscribe(
    settings: ServeSettings, store: ModelStore, subscriptions: list[Subscription]
) -> None:
    """Start from these subscriptions and an empty ledger (in one transaction: fast)."""
    held = open_subscriptions(settings, store.lake)
    held.create()
    now = dt.datetime.now(dt.UTC)
    rows = [
        {"chat": s.chat, "sign": s.sign.value, "category": s.category.value, "subscribed_at": now}
        for s in subscriptions
    ]
    with held._engine.begin() as connection:
        connection.execute(deliveries_table.delete())
        connection.execute(subscriptions_table.delete())
        if rows:
            connection.execute(subscriptions_table.insert(), rows)
    held.close()


def readers(count: int, *, doubles_every: int = 5) -> list[Subscription]:
    """``count`` subscriptions: one a chat, and every ``doubles_every``-th chat a second one
    (love) that must arrive a chat interval after the first."""
    found: list[Subscription] = []
    chat = 1000
    while len(found) < count:
        chat += 1
        found.append(Subscription(chat, SIGNS[chat % 12], Category.GENERAL))
        if chat % doubles_every == 0 and len(found) < count:
            found.append(Subscription(chat, SIGNS[(chat + 1) % 12], Category.LOVE))
    return found


def texts_of(settings: ServeSettings, store: ModelStore, day: dt.date) -> dict[tuple, str]:
    stores = open_stores(settings, store.lake)
    found = {
        (sign, category): text.text
        for category in (Category.GENERAL, Category.LOVE)
        for sign, text in stores.texts.group(Group("horogen/1", day, category)).items()
    }
    stores.close()
    return found


def test_every_subscriber_gets_exactly_one_message(store: ModelStore) -> None:
    day = ServeSettings().today()
    subscriptions = readers(3000)
    blocked = {s.chat for s in subscriptions[::500]}  # six chats blocked the bot
    api = FakeBotApi()
    api.blocked = blocked
    api.throttle = 3  # three 429s: waited out for their retry_after
    api.failures = {"sendMessage": 3}  # and three 502s: retried with backoff
    with fake_bot_api_thread(api) as url:
        settings = serve_settings(
            bot_token=TOKEN,
            bot_api_url=url,
            delivery_per_second=2000,
            delivery_chat_seconds=0.2,
        )
        subscribe(settings, store, subscriptions)
        record = deliver_day(settings, lake=store.lake, models=store, generation=GENERATION)
        again = deliver_day(settings, lake=store.lake, models=store, generation=GENERATION)
    wanted = [s for s in subscriptions if s.chat not in blocked]
    assert record.pending == 3000 and record.sent == len(wanted)
    assert record.blocked == len(blocked)  # a chat's second message is not even tried
    assert (record.failed, record.in_doubt, record.taken) == (0, 0, 0)
    assert record.model == "horogen/1"
    # Every subscriber got exactly one message per subscription, with the day's stored text.
    texts = texts_of(settings, store, day)
    for chat in {s.chat for s in wanted}:
        theirs = sorted(s for s in wanted if s.chat == chat)
        got = sorted(text.split("\n\n", 1)[1] for _, text in api.delivered[chat])
        assert got == sorted(texts[s.sign, s.category] for s in theirs), chat
    assert not any(api.delivered.get(chat) for chat in blocked)
    # A chat's two messages came a chat interval apart.
    for times in api.delivered.values():
        if len(times) == 2:
            assert times[1][0] - times[0][0] >= 0.19
    # Blocked chats were unsubscribed; the rerun sent nothing and found nothing to send.
    held = open_subscriptions(settings, store.lake)
    assert not any(held.of_chat(chat) for chat in blocked)
    assert held.ledger(day) == Counter({"sent": len(wanted), "blocked": len(blocked)})
    held.close()
    assert (again.pending, again.sent) == (0, 0)
    assert api.messages() == len(wanted)


def test_the_rate_limits_hold(store: ModelStore) -> None:
    """At the Bot API's own limits: ≤ 30 messages in any second, ≥ 1 s between a chat's."""
    day = ServeSettings().today() - dt.timedelta(days=1)
    subscriptions = readers(75, doubles_every=2)
    api = FakeBotApi()
    with fake_bot_api_thread(api) as url:
        settings = serve_settings(bot_token=TOKEN, bot_api_url=url)
        subscribe(settings, store, subscriptions)
        record = deliver_day(
            settings, lake=store.lake, models=store, generation=GENERATION, day=day
        )
    assert record.sent == 75 == api.messages()
    times = sorted(at for chat in api.delivered.values() for at, _ in chat)
    busiest = max(sum(1 for t in times if start <= t < start + 1) for start in times)
    assert busiest <= 31  # a send's own jitter may let the 31st land inside the second
    assert times[-1] - times[0] >= (75 - 31) / 30
    for chat in api.delivered.values():
        for (first, _), (second, _) in itertools.pairwise(chat):
            assert second - first >= 0.95


def test_a_killed_delivery_run_again_sends_no_duplicates(store: ModelStore, tmp_path: Path) -> None:
    day = ServeSettings().today() + dt.timedelta(days=1)
    subscriptions = readers(2000)
    api = FakeBotApi()
    api.delay = 0.02  # requests in flight when the kill comes
    with fake_bot_api_thread(api) as url:
        settings = serve_settings(bot_token=TOKEN, bot_api_url=url)
        subscribe(settings, store, subscriptions)
        env = horogen_env(
            HOROGEN_SERVE__BOT_TOKEN=TOKEN,
            HOROGEN_SERVE__BOT_API_URL=url,
            HOROGEN_SERVE__DELIVERY_PER_SECOND="400",
            HOROGEN_SERVE__DELIVERY_CHAT_SECONDS="0.1",
        )
        command = [sys.executable, "-m", "horogen", "deliver", "--date", day.isoformat()]
        command += ["--lake", str(store.lake.root), "--json"]
        log = tmp_path / "first.log"
        with log.open("wb") as output:
            first = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while api.messages() < 600:
            assert first.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.01)
        first.kill()  # SIGKILL: no cleanup, sends in flight
        first.wait(timeout=30)
        before = api.messages()
        assert 600 <= before < 2000

        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        record = json.loads(second.stdout.strip().splitlines()[-1])

    got = Counter({chat: len(messages) for chat, messages in api.delivered.items()})
    expected = Counter(s.chat for s in subscriptions)
    assert all(got[chat] <= expected[chat] for chat in got), "a message went out twice"
    assert record["sent"] == record["pending"] > 0 and record["failed"] == 0
    # The killed run's claims whose outcome it never learnt are not resent: at most one per
    # chat it was serving at once, and the only messages that may be missing.
    missing = sum(expected.values()) - sum(got.values())
    assert missing <= record["in_doubt"] <= 64
    held = open_subscriptions(settings, store.lake)
    ledger = held.ledger(day)
    held.close()
    assert ledger == Counter({"sent": 2000 - record["in_doubt"], "sending": record["in_doubt"]})


def test_with_nobody_waiting_no_token_is_needed_and_with_readers_it_is(store: ModelStore) -> None:
    from typer.testing import CliRunner

    from horogen.cli import app
    from horogen.errors import ConfigError

    day = ServeSettings().today() - dt.timedelta(days=2)
    settings = serve_settings()
    subscribe(settings, store, [])
    runner = CliRunner(env={"HOROGEN_SERVE__BOT_TOKEN": ""})
    nobody = runner.invoke(
        app, ["deliver", "--date", day.isoformat(), "--lake", str(store.lake.root), "--json"]
    )
    assert nobody.exit_code == 0, nobody.output
    assert json.loads(nobody.output.strip().splitlines()[-1])["pending"] == 0

    subscribe(settings, store, readers(3))
    waiting = runner.invoke(
        app, ["deliver", "--date", day.isoformat(), "--lake", str(store.lake.root)]
    )
    assert isinstance(waiting.exception, ConfigError)
    assert "HOROGEN_SERVE__BOT_TOKEN" in str(waiting.exception)
    held = open_subscriptions(settings, store.lake)
    assert held.ledger(day) == Counter() and len(held.pending(day)) == 3  # nothing claimed
    held.close()
