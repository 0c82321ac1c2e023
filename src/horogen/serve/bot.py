"""``horogen bot``: the Telegram bot (aiogram 3), answering from the same stores and model
as the API (the same :class:`~horogen.serve.service.HoroscopeService`).

``/start`` shows the twelve signs as buttons; a press (or a sign's name typed, with a
category or without: "Лев", "лев любовный") answers with today's horoscope, a like/dislike
pair, the eight categories and a subscribe button under it. ``/subscribe <sign>
[category]``, ``/unsubscribe [sign [category]]`` and ``/subscriptions`` keep the reader's
daily subscriptions (``horogen deliver`` sends them); ``/help`` says what the bot does.
A Bot API that is down or answers errors is retried with backoff: the bot does not exit.
The token is only ever handed to aiogram: it appears in no message, log line or error.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import GetUpdates
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.backoff import Backoff, BackoffConfig

from horogen.errors import ConfigError, HorogenError
from horogen.schema import Category
from horogen.serve.categories import HEADINGS, NAMES, lookup_category
from horogen.serve.feedback import Ballot, NotServed
from horogen.serve.flight import Busy, GenerationFailed
from horogen.serve.identity import ReaderKeys
from horogen.serve.ratelimit import RateLimited
from horogen.serve.schemas import Horoscope, Vote
from horogen.serve.service import HoroscopeService, NoModel, OutOfWindow
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import CacheError
from horogen.serve.subscriptions import (
    PER_CHAT,
    Subscription,
    SubscriptionStore,
    TooMany,
)
from horogen.signs import Sign, lookup_sign

log = logging.getLogger(__name__)

#: Retries of one Bot API call that failed on the network or with a 5xx (getMe: forever).
SEND_ATTEMPTS = 6
BACKOFF = BackoffConfig(min_delay=0.5, max_delay=30.0, factor=2.0, jitter=0.1)

_KINDS = ", ".join(name.lower() for name in NAMES.values())
HELP = (
    "Я присылаю гороскоп на сегодня для вашего знака зодиака: один и тот же текст для всех "
    "читателей в этот день. Нажмите /start и выберите знак (или напишите его название, "
    "например «Лев» или «Лев любовный»). Под гороскопом можно выбрать другую категорию "
    "и поставить 👍 или 👎: так мы узнаём, какая модель пишет лучше.\n\n"
    "/subscribe Лев [категория] — присылать гороскоп каждое утро\n"
    "/unsubscribe [знак [категория]] — отписаться (без знака — от всего)\n"
    "/subscriptions — ваши подписки\n\n"
    f"Категории: {_KINDS}."
)
NOT_READY = "Модель ещё не готова, попробуйте через минуту."
UNKNOWN_BUTTON = "Эта кнопка устарела или неизвестна: нажмите /start."
CLOSED = "Этот гороскоп уже не принимает оценок."
SUBSCRIBE_HOW = "Напишите знак и, если хотите, категорию: /subscribe Лев любовный"
COMMANDS = [
    BotCommand(command="start", description="Выбрать знак"),
    BotCommand(command="subscribe", description="Гороскоп каждое утро: /subscribe Лев"),
    BotCommand(command="unsubscribe", description="Отписаться"),
    BotCommand(command="subscriptions", description="Мои подписки"),
    BotCommand(command="help", description="Что умеет бот"),
]
_NON_LETTERS = re.compile(r"[^\w\s-]")


class SignChoice(CallbackData, prefix="sign"):
    sign: str


class CategoryChoice(CallbackData, prefix="cat"):
    sign: str
    category: str
    day: str


class SubscribeChoice(CallbackData, prefix="sub"):
    sign: str
    category: str


class VoteChoice(CallbackData, prefix="vote"):
    verdict: str
    sign: str
    day: str
    category: str
    #: The registered version whose text was read; 0: a model directory (the current one).
    version: int
    #: The text's ticket for this user (:mod:`horogen.serve.identity`): proof it was served.
    ticket: str


class Unknown(ValueError):
    """A sign or category a reader typed that horogen does not know (the message says so)."""


def keyboard() -> InlineKeyboardMarkup:
    """The twelve signs, three to a row."""
    buttons = [
        InlineKeyboardButton(text=f"{s.emoji} {s.ru}", callback_data=SignChoice(sign=s).pack())
        for s in Sign
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons[i : i + 3] for i in range(0, 12, 3)])


def reader_of(user_id: int) -> str:
    """A Telegram user as a reader: Telegram vouches for the id."""
    return f"tg:{user_id}"


def ticket_for(keys: ReaderKeys | None, user_id: int, text: Horoscope) -> str:
    """The ticket of ``text`` served to the Telegram user ``user_id`` (short: a button's
    callback data holds at most 64 bytes); empty without keys (votes are then refused)."""
    if keys is None:
        return ""
    category, code = Category(text.category).value, Sign(text.sign).value
    return keys.ticket(reader_of(user_id), text.model, text.date, category, code, size=8)


def answer_keyboard(text: Horoscope, ticket: str) -> InlineKeyboardMarkup:
    """Under a horoscope: 👍/👎 (carrying the reader's ``ticket``), the categories of the
    same sign and day (four to a row, the one shown marked), and a subscribe button for this
    sign and category."""
    day = text.date.isoformat()

    def vote(label: str, verdict: str) -> InlineKeyboardButton:
        data = VoteChoice(
            verdict=verdict,
            sign=text.sign,
            day=day,
            category=text.category,
            version=text.version or 0,
            ticket=ticket,
        )
        return InlineKeyboardButton(text=label, callback_data=data.pack())

    kinds = [
        InlineKeyboardButton(
            text=("• " if category == text.category else "") + NAMES[category],
            callback_data=CategoryChoice(sign=text.sign, category=category, day=day).pack(),
        )
        for category in Category
    ]
    subscribe = InlineKeyboardButton(
        text="🔔 Присылать каждое утро",
        callback_data=SubscribeChoice(sign=text.sign, category=text.category).pack(),
    )
    rows = [[vote("👍", "like"), vote("👎", "dislike")], kinds[:4], kinds[4:], [subscribe]]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def answer_text(text: Horoscope) -> str:
    kind = HEADINGS[text.category]
    return f"{text.emoji} {text.name} · {kind} · {text.date:%d.%m.%Y}\n\n{text.text}"


def parse_request(words: str) -> tuple[Sign, Category]:
    """A sign and an optional category a reader typed ("Лев", "лев любовный", "leo love");
    :class:`Unknown` with a short answer for the reader otherwise."""
    parts = _NON_LETTERS.sub(" ", words).split()
    if not parts:
        raise Unknown(SUBSCRIBE_HOW)
    try:
        sign = lookup_sign(parts[0])
    except ValueError:
        raise Unknown(f"Не знаю знака «{parts[0][:32]}». Выберите его: /start") from None
    try:
        category = lookup_category(" ".join(parts[1:])) if parts[1:] else Category.GENERAL
    except ValueError:
        raise Unknown(f"Не знаю категории «{' '.join(parts[1:])[:32]}». Есть: {_KINDS}.") from None
    return sign, category


def describe(subscription: Subscription) -> str:
    return f"{subscription.sign.emoji} {subscription.sign.ru}: {HEADINGS[subscription.category]}"


def router(service: HoroscopeService, subscriptions: SubscriptionStore) -> Router:
    """The bot's handlers over ``service`` and the readers' ``subscriptions``."""
    routes = Router(name="horogen")
    ballot = Ballot(service)

    async def send_horoscope(
        message: Message,
        user_id: int,
        sign: Sign,
        category: Category = Category.GENERAL,
        day: dt.date | None = None,
    ) -> None:
        try:
            text = await service.text(sign, day, category, reader_of(user_id))
        except OutOfWindow:
            await message.answer("Этот день уже прошёл: вот гороскоп на сегодня.")
            await send_horoscope(message, user_id, sign, category)
            return
        except (NoModel, Busy, GenerationFailed, CacheError):
            await message.answer(NOT_READY)
            return
        ticket = ticket_for(service.keys, user_id, text)
        await message.answer(answer_text(text), reply_markup=answer_keyboard(text, ticket))

    async def subscribe(message: Message, chat: int, sign: Sign, category: Category) -> None:
        subscription = Subscription(chat, sign, category)
        try:
            new = await asyncio.to_thread(subscriptions.subscribe, subscription)
        except TooMany:
            await message.answer(f"Подписок может быть не больше {PER_CHAT}: /subscriptions")
            return
        except CacheError:
            await message.answer(NOT_READY)
            return
        what = f"{describe(subscription)}"
        await message.answer(
            f"Готово: {what} — каждое утро." if new else f"Вы уже подписаны: {what}."
        )

    @routes.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Выберите знак зодиака:", reply_markup=keyboard())

    @routes.message(Command("help"))
    async def help_(message: Message) -> None:
        await message.answer(HELP)

    @routes.message(Command("subscribe"))
    async def subscribe_command(message: Message, command: CommandObject) -> None:
        try:
            sign, category = parse_request(command.args or "")
        except Unknown as error:
            await message.answer(str(error))
            return
        await subscribe(message, message.chat.id, sign, category)

    @routes.message(Command("unsubscribe"))
    async def unsubscribe_command(message: Message, command: CommandObject) -> None:
        sign = category = None
        if command.args:
            try:
                sign, category = parse_request(command.args)
            except Unknown as error:
                await message.answer(str(error))
                return
            if len(_NON_LETTERS.sub(" ", command.args).split()) == 1:
                category = None  # "/unsubscribe Лев": every category of the sign
        try:
            dropped = await asyncio.to_thread(
                subscriptions.unsubscribe, message.chat.id, sign, category
            )
        except CacheError:
            await message.answer(NOT_READY)
            return
        await message.answer(
            f"Готово, отписал: {dropped}." if dropped else "Таких подписок нет: /subscriptions"
        )

    @routes.message(Command("subscriptions"))
    async def subscriptions_command(message: Message) -> None:
        try:
            held = await asyncio.to_thread(subscriptions.of_chat, message.chat.id)
        except CacheError:
            await message.answer(NOT_READY)
            return
        if not held:
            await message.answer(f"Подписок нет. {SUBSCRIBE_HOW}")
            return
        lines = "\n".join(describe(s) for s in held)
        await message.answer(f"Каждое утро я присылаю:\n{lines}\n\nОтписаться: /unsubscribe")

    @routes.callback_query(SignChoice.filter())
    async def sign_pressed(query: CallbackQuery, callback_data: SignChoice) -> None:
        try:
            sign = Sign(callback_data.sign)
        except ValueError:  # crafted callback data
            await query.answer(UNKNOWN_BUTTON)
            return
        await query.answer()
        if isinstance(query.message, Message):
            await send_horoscope(query.message, query.from_user.id, sign)

    @routes.callback_query(CategoryChoice.filter())
    async def category_pressed(query: CallbackQuery, callback_data: CategoryChoice) -> None:
        try:
            day = dt.date.fromisoformat(callback_data.day)
            sign, category = Sign(callback_data.sign), Category(callback_data.category)
        except ValueError:  # crafted callback data
            await query.answer(UNKNOWN_BUTTON)
            return
        await query.answer()
        if isinstance(query.message, Message):
            await send_horoscope(query.message, query.from_user.id, sign, category, day)

    @routes.callback_query(SubscribeChoice.filter())
    async def subscribe_pressed(query: CallbackQuery, callback_data: SubscribeChoice) -> None:
        try:
            sign, category = Sign(callback_data.sign), Category(callback_data.category)
        except ValueError:  # crafted callback data
            await query.answer(UNKNOWN_BUTTON)
            return
        await query.answer()
        if isinstance(query.message, Message):
            await subscribe(query.message, query.message.chat.id, sign, category)

    @routes.callback_query(VoteChoice.filter())
    async def vote_pressed(query: CallbackQuery, callback_data: VoteChoice) -> None:
        reader = reader_of(query.from_user.id)
        try:
            sign = Sign(callback_data.sign)
            model = (
                f"{service.slot.store.name}/{callback_data.version}"
                if callback_data.version
                else service.model(reader).label
            )
            vote = Vote(
                verdict=callback_data.verdict,  # type: ignore[arg-type]
                ticket=callback_data.ticket,
                date=callback_data.day,  # type: ignore[arg-type]
                category=Category(callback_data.category),
                model=model,
            )
        except (ValueError, NoModel):  # crafted data (pydantic's errors are ValueErrors)
            await query.answer(UNKNOWN_BUTTON)
            return
        try:
            count = await asyncio.to_thread(ballot.vote, sign, vote, reader=reader, address=reader)
        except RateLimited:
            await query.answer("Слишком много оценок подряд: попробуйте через минуту.")
            return
        except (NotServed, OutOfWindow, HorogenError) as error:
            log.info("vote not recorded: %s", error)
            await query.answer(CLOSED)
            return
        await query.answer(f"Спасибо! 👍 {count.likes} · 👎 {count.dislikes}")

    @routes.callback_query()
    async def unknown_button(query: CallbackQuery) -> None:
        await query.answer(UNKNOWN_BUTTON)

    @routes.message(F.text)
    async def typed(message: Message) -> None:
        text = message.text or ""
        if text.startswith("/"):  # a command the bot does not have
            await message.answer(HELP)
            return
        try:
            sign, category = parse_request(text)
        except Unknown as error:
            first = _NON_LETTERS.sub(" ", text).split()[:1]
            if first and _is_sign(first[0]):
                await message.answer(str(error))  # a sign with a category we do not know
            else:
                await message.answer(HELP, reply_markup=keyboard())
            return
        user = message.from_user.id if message.from_user else message.chat.id
        await send_horoscope(message, user, sign, category)

    return routes


def _is_sign(word: str) -> bool:
    try:
        lookup_sign(word)
    except ValueError:
        return False
    return True


class RetryMiddleware(BaseRequestMiddleware):
    """Retries a Bot API call that failed on the network, with a 5xx or a 429, with
    exponential backoff: ``getMe`` until it succeeds, others :data:`SEND_ATTEMPTS` times.
    ``getUpdates`` is left to the dispatcher's own backoff."""

    def __init__(self, config: BackoffConfig = BACKOFF) -> None:
        self.config = config

    async def __call__(self, make_request: Any, bot: Bot, method: Any) -> Any:
        if isinstance(method, GetUpdates):
            return await make_request(bot, method)
        backoff = Backoff(self.config)
        attempts = None if method.__api_method__ == "getMe" else SEND_ATTEMPTS
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                delay: float = error.retry_after
                failure: Exception = error
                next(backoff)
            except (TelegramNetworkError, TelegramServerError) as error:
                delay, failure = next(backoff), error
            if attempts is not None and backoff.counter >= attempts:
                raise failure
            log.warning(
                "Bot API %s failed (%s); retrying in %.1f s",
                method.__api_method__,
                type(failure).__name__,
                delay,
            )
            await asyncio.sleep(delay)


def make_bot(settings: ServeSettings) -> Bot:
    """A bot for ``settings.bot_token`` on ``settings.bot_api_url``."""
    if settings.bot_token is None or not settings.bot_token.get_secret_value():
        raise ConfigError("the bot needs a token: set HOROGEN_SERVE__BOT_TOKEN (from @BotFather)")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.bot_api_url))
    session.middleware(RetryMiddleware())
    try:
        return Bot(token=settings.bot_token.get_secret_value(), session=session)
    except Exception:  # aiogram's TokenValidationError repeats the token: never show it
        raise ConfigError(
            "serve.bot_token is not a Telegram bot token (expected digits:letters)"
        ) from None


async def _set_commands(bot: Bot) -> None:
    """The commands in the reader's menu: nice to have, never a reason to stop."""
    try:
        await bot.set_my_commands(COMMANDS)
    except TelegramAPIError as error:
        log.warning("could not set the bot's command menu: %s", type(error).__name__)


async def run_bot(
    settings: ServeSettings, service: HoroscopeService, subscriptions: SubscriptionStore
) -> None:
    """Poll the Bot API and answer until cancelled (or SIGINT/SIGTERM)."""
    bot = make_bot(settings)
    dispatcher = Dispatcher()
    dispatcher.include_router(router(service, subscriptions))
    await asyncio.to_thread(service.open)
    await asyncio.to_thread(subscriptions.create)
    menu = asyncio.create_task(_set_commands(bot))
    watchers = [asyncio.create_task(s.watch(settings.poll_seconds)) for s in service.slots()]
    try:
        await dispatcher.start_polling(bot, backoff_config=BACKOFF, polling_timeout=25)
    finally:
        menu.cancel()
        for watcher in watchers:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await bot.session.close()
        service.stores.close()
        subscriptions.close()
