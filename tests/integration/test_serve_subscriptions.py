"""The subscription store and its delivery ledger on SQLite and PostgreSQL: subscriptions
kept and dropped, and each day's row claimed by exactly one sender however many race."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from test_serve_flight import postgres_url, url  # noqa: F401  (the two databases' fixtures)

from horogen.schema import Category
from horogen.serve.settings import ServeSettings
from horogen.serve.subscriptions import PER_CHAT, Subscription, TooMany, open_subscriptions
from horogen.signs import Sign

DAY = dt.date(2026, 12, 2)


@pytest.fixture
def store(url: str):  # noqa: F811
    held = open_subscriptions(ServeSettings(cache_url=url))
    held.create()
    yield held
    held.close()


def test_subscriptions_are_kept_listed_and_dropped(store) -> None:
    leo = Subscription(7, Sign.LEO, Category.LOVE)
    assert store.subscribe(leo) is True
    assert store.subscribe(leo) is False  # already there: kept once
    assert store.subscribe(Subscription(7, Sign.LEO, Category.GENERAL)) is True
    assert store.subscribe(Subscription(7, Sign.ARIES, Category.GENERAL)) is True
    assert store.of_chat(7) == [
        Subscription(7, Sign.ARIES, Category.GENERAL),
        Subscription(7, Sign.LEO, Category.GENERAL),
        leo,
    ]
    for category in list(Category)[: PER_CHAT - 3]:
        store.subscribe(Subscription(7, Sign.PISCES, category))
    assert len(store.of_chat(7)) == PER_CHAT
    with pytest.raises(TooMany):
        store.subscribe(Subscription(7, Sign.VIRGO, Category.GENERAL))
    assert len(store.of_chat(7)) == PER_CHAT and store.of_chat(8) == []
    assert store.unsubscribe(7, Sign.LEO, Category.LOVE) == 1
    assert store.unsubscribe(7, Sign.PISCES) == PER_CHAT - 3
    assert store.unsubscribe(7) == 2 and store.of_chat(7) == []


def test_a_day_s_row_is_claimed_once_released_and_marked(store) -> None:
    first, second = (
        Subscription(1, Sign.LEO, Category.GENERAL),
        Subscription(2, Sign.LEO, Category.LOVE),
    )
    store.subscribe(first)
    store.subscribe(second)
    assert store.pending(DAY) == [first, second]
    assert store.claim(DAY, first, "run-a") is True
    assert store.claim(DAY, first, "run-b") is False
    assert store.pending(DAY) == [second]
    assert store.pending(DAY + dt.timedelta(days=1)) == [first, second]  # another day
    store.release(DAY, first, "run-b")  # not its claim: nothing happens
    assert store.ledger(DAY) == {"sending": 1}
    store.release(DAY, first, "run-a")  # surely not sent: free again
    assert store.pending(DAY) == [first, second]
    assert store.claim(DAY, first, "run-b") and store.claim(DAY, second, "run-b")
    store.mark(DAY, first, "sent", message_id=10)
    store.mark(DAY, second, "blocked", detail="Forbidden")
    store.release(DAY, first, "run-b")  # a sent row is never given back
    assert store.ledger(DAY) == {"sent": 1, "blocked": 1}
    assert store.pending(DAY) == []


def test_racing_senders_claim_each_row_once(store, tmp_path: Path) -> None:
    subscriptions = [Subscription(chat, Sign.LIBRA, Category.GENERAL) for chat in range(200)]
    for subscription in subscriptions:
        store.subscribe(subscription)

    def sender(name: str) -> list[Subscription]:
        return [s for s in subscriptions if store.claim(DAY, s, name)]

    with ThreadPoolExecutor(6) as pool:
        claimed = list(pool.map(sender, [f"run-{i}" for i in range(6)]))
    everything = [s for got in claimed for s in got]
    assert sorted(everything) == subscriptions  # each exactly once
    assert store.ledger(DAY) == {"sending": 200}
