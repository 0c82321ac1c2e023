"""``horogen deliver``: send each subscriber the day's horoscope, once.

After the day's precompute, every subscription without a ledger row for the day is
claimed, sent and marked (:mod:`horogen.serve.subscriptions`), so a rerun or a restart
sends nothing twice. The texts are the ones readers see (the text store's, of the model
``serve.model`` names; a group not precomputed yet is generated with the same claims).

The Bot API's limits are kept: at most ``serve.delivery_per_second`` messages a second
overall and one every ``serve.delivery_chat_seconds`` to a chat. A 429 is waited out for
its ``retry_after`` and a 5xx or a network failure retried with backoff (the bot's
:class:`~horogen.serve.bot.RetryMiddleware`); a send that still fails gives its claim
back. A chat that blocked the bot (403) is unsubscribed; a refused message (400) is
recorded as rejected.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import defaultdict

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
)
from aiolimiter import AsyncLimiter
from pydantic import BaseModel

from horogen.errors import HorogenError
from horogen.lake import Lake
from horogen.model.settings import GenerationSettings
from horogen.model.store import ModelStore
from horogen.schema import Category
from horogen.serve.bot import answer_keyboard, answer_text, make_bot, ticket_for
from horogen.serve.cache import open_stores
from horogen.serve.flight import fill, new_owner
from horogen.serve.identity import ReaderKeys
from horogen.serve.judge import Judge, best_of_for
from horogen.serve.schemas import Horoscope
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import Group, Stores
from horogen.serve.subscriptions import Subscription, SubscriptionStore, open_subscriptions
from horogen.serve.swap import ServingModel, loader
from horogen.signs import Sign

log = logging.getLogger(__name__)

#: Chats served at once (each one's messages in turn, a chat interval apart).
CONCURRENCY = 64
#: How long the Bot API may take to answer the first call (retried meanwhile).
GET_ME_SECONDS = 300
Texts = dict[Category, dict[Sign, Horoscope]]


class DeliveryRecord(BaseModel):
    """What a delivery did (JSON-safe: an Airflow task's XCom)."""

    date: dt.date
    model: str | None
    #: Subscriptions this run found without a ledger row for the day.
    pending: int
    sent: int
    #: Claimed by another run between this one's look and its claim.
    taken: int
    blocked: int
    rejected: int
    #: Sends that failed after their retries; their claims were given back.
    failed: int
    #: Claimed by a run that stopped before it knew whether its message went out.
    in_doubt: int
    seconds: float


class DeliveryIncomplete(HorogenError):
    """Some messages could not be sent; their claims were given back for a rerun."""


class Tally:
    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, outcome: str) -> None:
        self.counts[outcome] += 1


def deliver_day(
    serve: ServeSettings,
    *,
    lake: Lake,
    models: ModelStore,
    generation: GenerationSettings,
    judge: Judge | None = None,
    day: dt.date | None = None,
) -> DeliveryRecord:
    """Send ``day``'s (default today's) horoscope to every subscriber who has not had it
    (a group not precomputed is generated here, each text the best of k with ``judge``).
    Needs ``serve.bot_token`` only when someone is waiting for a message."""
    started = time.perf_counter()
    day = day or serve.today()
    subscriptions = open_subscriptions(serve, lake)
    try:
        subscriptions.create()
        in_doubt = subscriptions.ledger(day).get("sending", 0)
        pending = subscriptions.pending(day)
        model, tally = None, Tally()
        if pending:
            bot = make_bot(serve)  # no token: a one-line error, and nothing is claimed
            stores = open_stores(serve, lake)
            try:
                stores.create()
                model, texts = _texts(serve, stores, models, generation, judge, day, pending)
                secret = serve.reader_secret
                keys = ReaderKeys(
                    secret.get_secret_value().encode() if secret else stores.verdicts.secret()
                )
            finally:
                stores.close()
            asyncio.run(_send_all(bot, serve, subscriptions, day, pending, texts, keys, tally))
    finally:
        subscriptions.close()
    counts = tally.counts
    record = DeliveryRecord(
        date=day,
        model=model,
        pending=len(pending),
        sent=counts["sent"],
        taken=counts["taken"],
        blocked=counts["blocked"],
        rejected=counts["rejected"],
        failed=counts["failed"],
        in_doubt=in_doubt,
        seconds=round(time.perf_counter() - started, 2),
    )
    if record.failed:
        raise DeliveryIncomplete(
            f"{record.failed} of {record.pending} messages of {day} could not be sent "
            f"({record.sent} sent); run `horogen deliver --date {day}` again to send them"
        )
    return record


def _texts(
    serve: ServeSettings,
    stores: Stores,
    models: ModelStore,
    generation: GenerationSettings,
    judge: Judge | None,
    day: dt.date,
    pending: list[Subscription],
) -> tuple[str, Texts]:
    """The model's label and its texts of ``day`` in the categories ``pending`` asks for;
    the model is loaded only if a group was not precomputed."""
    resolved = models.resolve(serve.model)
    loaded: ServingModel | None = None
    texts: Texts = {}
    for category in sorted({s.category for s in pending}):
        group = Group(resolved.label, day, category)
        found = stores.texts.group(group)
        if len(found) < len(Sign):
            loaded = loaded or loader(generation)(resolved)
            found, _ = fill(
                stores.texts,
                loaded,
                group,
                owner=new_owner(),
                lease=serve.wait_seconds,
                wait=serve.wait_seconds,
                best_of=best_of_for(serve, judge),
            )
        texts[category] = found
    return resolved.label, texts


async def _send_all(
    bot: Bot,
    serve: ServeSettings,
    store: SubscriptionStore,
    day: dt.date,
    pending: list[Subscription],
    texts: Texts,
    keys: ReaderKeys,
    tally: Tally,
) -> None:
    chats: dict[int, list[Subscription]] = defaultdict(list)
    for subscription in pending:
        chats[subscription.chat].append(subscription)
    queue = list(chats.values())
    queue.reverse()
    # One token every 1/rate seconds, no bursts: never more than the rate in any second.
    limiter = AsyncLimiter(1, 1 / serve.delivery_per_second)
    owner = new_owner()

    async def worker() -> None:
        while queue:
            last = None
            for subscription in queue.pop():
                if last is not None:
                    await asyncio.sleep(
                        max(0.0, last + serve.delivery_chat_seconds - time.monotonic())
                    )
                outcome = await _deliver(bot, store, day, subscription, texts, keys, owner, limiter)
                tally.add(outcome)
                if outcome == "blocked":  # unsubscribed: the chat's other messages go too
                    break
                last = time.monotonic()

    try:
        await asyncio.wait_for(bot.get_me(), GET_ME_SECONDS)  # the token works: then claim
        await asyncio.gather(*(worker() for _ in range(min(CONCURRENCY, len(queue)))))
    finally:
        await bot.session.close()


async def _deliver(
    bot: Bot,
    store: SubscriptionStore,
    day: dt.date,
    subscription: Subscription,
    texts: Texts,
    keys: ReaderKeys,
    owner: str,
    limiter: AsyncLimiter,
) -> str:
    """Claim, send, mark one subscription's message; the outcome."""
    if not await asyncio.to_thread(store.claim, day, subscription, owner):
        return "taken"
    text = texts[subscription.category][subscription.sign]
    # A private chat's id is its reader's: the buttons carry that reader's ticket.
    keyboard = answer_keyboard(text, ticket_for(keys, subscription.chat, text))
    try:
        async with limiter:
            message = await bot.send_message(
                subscription.chat, answer_text(text), reply_markup=keyboard
            )
    except TelegramForbiddenError as error:  # blocked, or the bot was removed from the chat
        await asyncio.to_thread(store.mark, day, subscription, "blocked", detail=error.message)
        await asyncio.to_thread(store.unsubscribe, subscription.chat)
        log.info("chat %s blocked the bot: unsubscribed", subscription.chat)
        return "blocked"
    except TelegramBadRequest as error:
        await asyncio.to_thread(store.mark, day, subscription, "rejected", detail=error.message)
        log.warning("the Bot API refused the message to chat %s: %s", subscription.chat, error)
        return "rejected"
    except TelegramAPIError as error:
        # Retried already, or another refusal (a revoked token): surely not sent. (Anything
        # else, such as a cancel mid-request, leaves the claim: it may have gone out.)
        await asyncio.to_thread(store.release, day, subscription, owner)
        log.warning("could not send to chat %s: %s (a rerun retries)", subscription.chat, error)
        return "failed"
    await asyncio.to_thread(store.mark, day, subscription, "sent", message_id=message.message_id)
    return "sent"
