"""``horogen bot``: the Telegram bot (aiogram 3), answering from the same stores and model
as the API (the same :class:`~horogen.serve.service.HoroscopeService`).

``/start`` shows the twelve signs as buttons; a press (or a sign's name typed) answers
with today's horoscope and a like/dislike pair under it; ``/help`` says what the bot does.
A Bot API that is down or answers errors is retried with backoff: the bot does not exit.
The token is only ever handed to aiogram: it appears in no message, log line or error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import GetUpdates
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.backoff import Backoff, BackoffConfig

from horogen.errors import ConfigError, HorogenError
from horogen.schema import Category
from horogen.serve.feedback import Ballot, NotServed
from horogen.serve.flight import Busy, GenerationFailed
from horogen.serve.ratelimit import RateLimited
from horogen.serve.schemas import Horoscope, Vote
from horogen.serve.service import HoroscopeService, NoModel, OutOfWindow
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import CacheError
from horogen.signs import Sign, lookup_sign

log = logging.getLogger(__name__)

#: Retries of one Bot API call that failed on the network or with a 5xx (getMe: forever).
SEND_ATTEMPTS = 6
BACKOFF = BackoffConfig(min_delay=0.5, max_delay=30.0, factor=2.0, jitter=0.1)

HELP = (
    "Я присылаю гороскоп на сегодня для вашего знака зодиака: один и тот же текст для всех "
    "читателей в этот день. Нажмите /start и выберите знак (или напишите его название, "
    "например «Лев»). Под гороскопом можно поставить 👍 или 👎: так мы узнаём, какая "
    "модель пишет лучше."
)
NOT_READY = "Модель ещё не готова, попробуйте через минуту."
UNKNOWN_BUTTON = "Эта кнопка устарела или неизвестна: нажмите /start."
CLOSED = "Этот гороскоп уже не принимает оценок."
_NON_LETTERS = re.compile(r"[^\w\s-]")


class SignChoice(CallbackData, prefix="sign"):
    sign: str


class VoteChoice(CallbackData, prefix="vote"):
    verdict: str
    sign: str
    day: str
    #: The registered version whose text was read; 0: a model directory (the current one).
    version: int
    #: The text's ticket for this user (:mod:`horogen.serve.identity`): proof it was served.
    ticket: str


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


def vote_keyboard(text: Horoscope, ticket: str) -> InlineKeyboardMarkup:
    def button(label: str, verdict: str) -> InlineKeyboardButton:
        data = VoteChoice(
            verdict=verdict,
            sign=text.sign,
            day=text.date.isoformat(),
            version=text.version or 0,
            ticket=ticket,
        )
        return InlineKeyboardButton(text=label, callback_data=data.pack())

    return InlineKeyboardMarkup(inline_keyboard=[[button("👍", "like"), button("👎", "dislike")]])


def answer_text(text: Horoscope) -> str:
    return f"{text.emoji} {text.name} · {text.date:%d.%m.%Y}\n\n{text.text}"


def router(service: HoroscopeService) -> Router:
    """The bot's handlers over ``service``."""
    routes = Router(name="horogen")
    ballot = Ballot(service)

    async def send_horoscope(message: Message, sign: Sign, user_id: int) -> None:
        reader = reader_of(user_id)
        try:
            text = await service.text(sign, None, Category.GENERAL, reader)
        except (NoModel, Busy, GenerationFailed, CacheError):
            await message.answer(NOT_READY)
            return
        ticket = ""
        if service.keys is not None:  # short: callback data holds at most 64 bytes
            category, code = text.category.value, text.sign.value
            ticket = service.keys.ticket(reader, text.model, text.date, category, code, size=8)
        await message.answer(answer_text(text), reply_markup=vote_keyboard(text, ticket))

    @routes.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Выберите знак зодиака:", reply_markup=keyboard())

    @routes.message(Command("help"))
    async def help_(message: Message) -> None:
        await message.answer(HELP)

    @routes.callback_query(SignChoice.filter())
    async def sign_pressed(query: CallbackQuery, callback_data: SignChoice) -> None:
        try:
            sign = Sign(callback_data.sign)
        except ValueError:
            await query.answer(UNKNOWN_BUTTON)
            return
        await query.answer()
        if isinstance(query.message, Message):
            await send_horoscope(query.message, sign, query.from_user.id)

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
        try:
            sign = lookup_sign(_NON_LETTERS.sub("", message.text or "").strip())
        except ValueError:
            await message.answer(HELP, reply_markup=keyboard())
            return
        user = message.from_user.id if message.from_user else message.chat.id
        await send_horoscope(message, sign, user)

    return routes


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


async def run_bot(settings: ServeSettings, service: HoroscopeService) -> None:
    """Poll the Bot API and answer until cancelled (or SIGINT/SIGTERM)."""
    bot = make_bot(settings)
    dispatcher = Dispatcher()
    dispatcher.include_router(router(service))
    await asyncio.to_thread(service.open)
    watchers = [asyncio.create_task(s.watch(settings.poll_seconds)) for s in service.slots()]
    try:
        await dispatcher.start_polling(bot, backoff_config=BACKOFF, polling_timeout=25)
    finally:
        for watcher in watchers:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await bot.session.close()
        service.stores.close()
