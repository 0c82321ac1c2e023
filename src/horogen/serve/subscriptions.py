"""Readers' daily subscriptions (a chat, a sign, a category) and the delivery ledger that
makes each day's message go out once, in the serving database beside the texts and votes
(SQLite or PostgreSQL, through the engine of :mod:`horogen.serve.cache`).

The ledger has one row per (day, chat, sign, category). A sender *claims* the row (an
atomic insert) before it sends and *marks* it after; a claim whose sender died is left
alone (the message may or may not have gone out: resending could send it twice), and a
send that surely failed gives its claim back so a rerun tries again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    select,
    update,
)

from horogen.lake import Lake
from horogen.schema import Category
from horogen.serve.cache import _answering, _Database, metadata
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import CacheURLError
from horogen.signs import Sign

#: How many subscriptions one chat may hold.
PER_CHAT = 10

#: ``sending``: claimed, the outcome unknown until marked; the rest are final.
State = Literal["sending", "sent", "blocked", "rejected"]

subscriptions_table = Table(
    "subscriptions",
    metadata,
    Column("chat", BigInteger, primary_key=True),
    Column("sign", String(16), primary_key=True),
    Column("category", String(16), primary_key=True),
    Column("subscribed_at", DateTime(timezone=True), nullable=False),
)

deliveries_table = Table(
    "deliveries",
    metadata,
    Column("day", Date, primary_key=True),
    Column("chat", BigInteger, primary_key=True),
    Column("sign", String(16), primary_key=True),
    Column("category", String(16), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("owner", String(128), nullable=False),
    Column("message_id", BigInteger, nullable=True),
    Column("detail", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True, order=True)
class Subscription:
    """A chat gets ``sign``'s ``category`` horoscope every day."""

    chat: int
    sign: Sign
    category: Category


class TooMany(ValueError):
    """A chat already holds :data:`PER_CHAT` subscriptions."""


class SubscriptionStore(Protocol):
    def create(self) -> None: ...

    def close(self) -> None: ...

    def subscribe(self, subscription: Subscription) -> bool:
        """Keep ``subscription``; whether it is new. :class:`TooMany` past :data:`PER_CHAT`."""
        ...

    def unsubscribe(
        self, chat: int, sign: Sign | None = None, category: Category | None = None
    ) -> int:
        """Drop ``chat``'s subscriptions (those of ``sign``, and ``category``); how many."""
        ...

    def of_chat(self, chat: int) -> list[Subscription]: ...

    def pending(self, day: dt.date) -> list[Subscription]:
        """The subscriptions with no ledger row for ``day``: not yet claimed."""
        ...

    def claim(self, day: dt.date, subscription: Subscription, owner: str) -> bool:
        """Whether ``owner`` now holds ``subscription``'s row of ``day`` (nobody did)."""
        ...

    def mark(
        self,
        day: dt.date,
        subscription: Subscription,
        state: State,
        *,
        message_id: int | None = None,
        detail: str | None = None,
    ) -> None: ...

    def release(self, day: dt.date, subscription: Subscription, owner: str) -> None:
        """Give back ``owner``'s claim: the message surely did not go out."""
        ...

    def ledger(self, day: dt.date) -> Counter[str]:
        """How many of ``day``'s rows are in each state."""
        ...


def open_subscriptions(serve: ServeSettings, lake: Lake | None = None) -> SqlSubscriptionStore:
    """The subscription store in the serving database (that of
    :func:`~horogen.serve.cache.open_stores`)."""
    if serve.cache_url:
        url = serve.cache_url
    elif lake is not None:
        url = serve.database_url(lake)
    else:
        raise CacheURLError("no serving database: set HOROGEN_SERVE__CACHE_URL")
    return SqlSubscriptionStore(_Database(url))


class SqlSubscriptionStore:
    """Subscriptions in ``subscriptions``, the ledger in ``deliveries``."""

    def __init__(self, database: _Database) -> None:
        self._database = database
        self._engine = database.engine

    def create(self) -> None:
        self._database.create([subscriptions_table, deliveries_table])

    def close(self) -> None:
        self._database.close()

    @_answering()
    def subscribe(self, subscription: Subscription) -> bool:
        row = {
            "chat": subscription.chat,
            "sign": subscription.sign.value,
            "category": subscription.category.value,
            "subscribed_at": dt.datetime.now(dt.UTC),
        }
        insert = self._database.insert(subscriptions_table).on_conflict_do_nothing()
        with self._engine.begin() as connection:  # an error rolls the insert back
            if not connection.execute(insert, row).rowcount:
                return False
            held = connection.execute(
                select(func.count()).where(subscriptions_table.c.chat == subscription.chat)
            ).scalar_one()
            if held > PER_CHAT:
                raise TooMany(f"at most {PER_CHAT} subscriptions a chat")
        return True

    @_answering()
    def unsubscribe(
        self, chat: int, sign: Sign | None = None, category: Category | None = None
    ) -> int:
        table = subscriptions_table
        where = [table.c.chat == chat]
        if sign is not None:
            where.append(table.c.sign == sign.value)
        if category is not None:
            where.append(table.c.category == category.value)
        with self._engine.begin() as connection:
            return connection.execute(delete(table).where(*where)).rowcount

    @_answering()
    def of_chat(self, chat: int) -> list[Subscription]:
        query = select(subscriptions_table).where(subscriptions_table.c.chat == chat)
        with self._engine.connect() as connection:
            return sorted(_subscription(row) for row in connection.execute(query).mappings())

    @_answering()
    def pending(self, day: dt.date) -> list[Subscription]:
        subs, ledger = subscriptions_table, deliveries_table
        joined = subs.outerjoin(
            ledger,
            and_(
                ledger.c.day == day,
                ledger.c.chat == subs.c.chat,
                ledger.c.sign == subs.c.sign,
                ledger.c.category == subs.c.category,
            ),
        )
        query = select(subs).select_from(joined).where(ledger.c.day.is_(None))
        with self._engine.connect() as connection:
            return sorted(_subscription(row) for row in connection.execute(query).mappings())

    @_answering()
    def claim(self, day: dt.date, subscription: Subscription, owner: str) -> bool:
        row = {
            **_key(day, subscription),
            "state": "sending",
            "owner": owner,
            "updated_at": dt.datetime.now(dt.UTC),
        }
        insert = self._database.insert(deliveries_table).on_conflict_do_nothing()
        with self._engine.begin() as connection:
            return bool(connection.execute(insert, row).rowcount)

    @_answering()
    def mark(
        self,
        day: dt.date,
        subscription: Subscription,
        state: State,
        *,
        message_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        values = {
            "state": state,
            "message_id": message_id,
            "detail": detail,
            "updated_at": dt.datetime.now(dt.UTC),
        }
        with self._engine.begin() as connection:
            connection.execute(
                update(deliveries_table).where(*_row(day, subscription)).values(values)
            )

    @_answering()
    def release(self, day: dt.date, subscription: Subscription, owner: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                delete(deliveries_table).where(
                    *_row(day, subscription),
                    deliveries_table.c.owner == owner,
                    deliveries_table.c.state == "sending",
                )
            )

    @_answering()
    def ledger(self, day: dt.date) -> Counter[str]:
        table = deliveries_table
        query = select(table.c.state, func.count()).where(table.c.day == day)
        with self._engine.connect() as connection:
            rows = connection.execute(query.group_by(table.c.state)).all()
        return Counter({state: count for state, count in rows})


def _key(day: dt.date, subscription: Subscription) -> dict[str, object]:
    return {
        "day": day,
        "chat": subscription.chat,
        "sign": subscription.sign.value,
        "category": subscription.category.value,
    }


def _row(day: dt.date, subscription: Subscription) -> tuple[object, ...]:
    table = deliveries_table
    return tuple(table.c[name] == value for name, value in _key(day, subscription).items())


def _subscription(row: object) -> Subscription:
    return Subscription(int(row["chat"]), Sign(row["sign"]), Category(row["category"]))  # type: ignore[index]
