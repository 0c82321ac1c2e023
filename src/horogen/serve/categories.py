"""The categories and days as readers read them: Russian names for the page, the bot and
the permalinks, and the lookup of a category a reader typed."""

from __future__ import annotations

import datetime as dt

from horogen.calendar_ru import MONTHS_GENITIVE
from horogen.schema import Category

#: The short name of a category: a button's label.
NAMES: dict[Category, str] = {
    Category.GENERAL: "Общий",
    Category.LOVE: "Любовный",
    Category.BUSINESS: "Деловой",
    Category.HEALTH: "Здоровье",
    Category.EROTIC: "Эротический",
    Category.ANTI: "Антигороскоп",
    Category.COOK: "Кулинарный",
    Category.MOBILE: "Мобильный",
}

#: The category in a phrase: "Лев: любовный гороскоп на 2 декабря".
HEADINGS: dict[Category, str] = {
    Category.GENERAL: "общий гороскоп",
    Category.LOVE: "любовный гороскоп",
    Category.BUSINESS: "деловой гороскоп",
    Category.HEALTH: "гороскоп здоровья",
    Category.EROTIC: "эротический гороскоп",
    Category.ANTI: "антигороскоп",
    Category.COOK: "кулинарный гороскоп",
    Category.MOBILE: "мобильный гороскоп",
}

_ALIASES: dict[str, Category] = {
    "любовь": Category.LOVE,
    "бизнес": Category.BUSINESS,
    "работа": Category.BUSINESS,
    "эротика": Category.EROTIC,
    "анти": Category.ANTI,
    "кулинария": Category.COOK,
    "кухня": Category.COOK,
}


def lookup_category(name: str) -> Category:
    """The category a slug (``love``), a Russian name in any case (``Любовный``) or a common
    word for it (``любовь``) names; :class:`ValueError` naming the valid ones otherwise."""
    key = name.strip().lower().replace("ё", "е")
    for category in Category:
        if key in (category.value, NAMES[category].lower(), HEADINGS[category]):
            return category
    if key in _ALIASES:
        return _ALIASES[key]
    valid = ", ".join(name.lower() for name in NAMES.values())
    raise ValueError(f"нет категории «{name.strip()[:32]}»; есть: {valid}")


def day_in_words(day: dt.date) -> str:
    """``2 декабря 2026``."""
    return f"{day.day} {MONTHS_GENITIVE[day.month - 1]} {day.year}"
