"""Small processed corpora for the training tests and benchmark: realistic Russian
horoscopes (300–500 characters) composed from phrase lists, written as processed partitions
with the processed schema."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from horogen.config import Settings
from horogen.deployment import Deployment
from horogen.lake import Lake
from horogen.layout import processed_path
from horogen.model.settings import GenerationSettings
from horogen.model.strategy import Strategy
from horogen.schema import PROCESSED_SCHEMA
from horogen.signs import Sign
from horogen.train.settings import FreshModelSettings, TrainSettings

OPENINGS = (
    "сегодня звёзды советуют не торопиться с важными решениями.",
    "этот день принесёт неожиданные новости и приятные встречи.",
    "Луна в благоприятном аспекте поможет вам завершить начатое.",
    "утро начнётся спокойно, но к вечеру событий станет больше.",
    "день подходит для того, чтобы навести порядок в делах и мыслях.",
    "планеты обещают удачу тем, кто готов действовать смело.",
)
BY_CATEGORY = {
    "general": (
        "Постарайтесь уделить время близким людям и выслушать их советы.",
        "Не бойтесь перемен: они откроют новые возможности для роста.",
        "Вечером лучше отдохнуть и набраться сил перед насыщенной неделей.",
        "Интуиция подскажет правильный путь, доверьтесь внутреннему голосу.",
        "Хороший момент, чтобы начать новое дело или вернуться к старой мечте.",
        "Будьте внимательны к мелочам, в них может скрываться важная подсказка.",
    ),
    "love": (
        "В отношениях важно проявить терпение и нежность к партнёру.",
        "Одиноких ждёт романтическое знакомство в неожиданном месте.",
        "Искренний разговор поможет развеять старые обиды и недопонимание.",
        "Вечер идеально подходит для свидания или прогулки вдвоём.",
        "Не требуйте от любимого человека слишком многого, будьте мягче.",
        "Подарите близкому человеку маленький сюрприз, он оценит внимание.",
    ),
    "business": (
        "На работе появится шанс проявить себя и получить признание коллег.",
        "Финансовые вопросы лучше решать после тщательного анализа.",
        "Деловые переговоры пройдут успешно, если вы будете спокойны.",
        "Не стоит брать в долг и делать крупные покупки без плана.",
        "Руководство заметит ваши старания, продолжайте в том же духе.",
        "Новый проект потребует сил, но принесёт достойный результат.",
    ),
}
CLOSINGS = (
    "Удачный цвет дня — зелёный, счастливое число — семь.",
    "Помните: всё получится, если верить в себя.",
    "Звёзды на вашей стороне, используйте этот шанс.",
    "Завершите день спокойной прогулкой на свежем воздухе.",
)


def horoscope(sign: Sign, category: str, rng: random.Random) -> str:
    """One text of 300–500 characters for ``sign`` and ``category``."""
    while True:
        parts = [f"{sign.ru}, {rng.choice(OPENINGS)}"]
        pool = list(BY_CATEGORY[category])
        rng.shuffle(pool)
        for sentence in pool:
            if len(" ".join([*parts, sentence])) > 430:
                break
            parts.append(sentence)
        parts.append(rng.choice(CLOSINGS))
        text = " ".join(parts)
        if 300 <= len(text) <= 500:
            return text


def day_table(
    day: dt.date,
    categories: tuple[str, ...] = ("general", "love"),
    sources: tuple[str, ...] = ("horo.mail.ru",),
    seed: int = 0,
) -> pa.Table:
    rng = random.Random(f"{seed}-{day}")
    rows = []
    for source in sources:
        for sign in Sign:
            for category in categories:
                text = horoscope(sign, category, rng)
                rows.append(
                    {
                        "date": day,
                        "sign": sign.value,
                        "category": category,
                        "source": source,
                        "text": text,
                        "url": f"https://{source}/{sign.value}/{day}/",
                        "collected_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                        "text_hash": hashlib.sha256(text.encode()).hexdigest(),
                    }
                )
    return pa.Table.from_pylist(rows, schema=PROCESSED_SCHEMA)


def write_table(lake: Lake, day: dt.date, table: pa.Table) -> None:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    lake.write_bytes(processed_path(day), buffer.getvalue())


def write_corpus(lake: Lake, first: dt.date, days: int, **options: object) -> list[dt.date]:
    """Write ``days`` processed partitions from ``first`` on; the days written."""
    written = [first + dt.timedelta(days=offset) for offset in range(days)]
    for day in written:
        write_table(lake, day, day_table(day, **options))  # type: ignore[arg-type]
    return written


def tiny_train_settings(**overrides: object) -> TrainSettings:
    """Training settings for a model small enough to train in seconds on two cores."""
    values: dict[str, object] = {
        "base": "fresh",
        "epochs": 3,
        "batch_size": 8,
        "min_rows": 10,
        "max_source_length": 24,  # "гороскоп: Лев; тема: любовь; день: среда, 2 декабря"
        "max_target_length": 64,
        "logging_steps": 4,
        "fresh": FreshModelSettings(
            vocab_size=800, d_model=64, d_ff=128, num_layers=2, num_heads=4
        ),
    }
    return TrainSettings(**(values | overrides))


#: Texts of the tiny model: 40 tokens are enough to tell them apart and fast to make.
TINY_GENERATION = GenerationSettings(strategy=Strategy(max_new_tokens=40))


def tiny_settings(lake: str, **overrides: object) -> Settings:
    """Settings with the tiny model, its short texts and a lake; ``overrides`` replace
    whole sections."""
    sections = {"train": tiny_train_settings(), "generation": TINY_GENERATION} | overrides
    return Settings(lake=lake, **sections)  # type: ignore[arg-type]


def train_with(settings: Settings, **options: object):
    """``train`` with the sections of ``settings``, as the CLI calls it."""
    from horogen.train.trainer import train

    return train(
        settings.train,
        lake=settings.open_lake(),
        models=Deployment(settings).models,
        strategy=settings.generation.strategy,
        **options,  # type: ignore[arg-type]
    )


def settings_env(settings: BaseModel, prefix: str = "HOROGEN_TRAIN__") -> dict[str, str]:
    """The values of ``settings`` that differ from the defaults, as ``HOROGEN_*`` variables."""
    env: dict[str, str] = {}

    def add(values: dict[str, object], prefix: str) -> None:
        for key, value in values.items():
            if isinstance(value, dict):
                add(value, f"{prefix}{key.upper()}__")
            else:
                env[f"{prefix}{key.upper()}"] = str(value)

    add(settings.model_dump(mode="json", exclude_defaults=True), prefix)
    return env


#: The same tiny model as environment variables, for `horogen train` in a subprocess.
TINY_ENV = settings_env(tiny_train_settings()) | settings_env(
    TINY_GENERATION, prefix="HOROGEN_GENERATION__"
)
