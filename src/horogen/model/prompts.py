"""The model's input: one function builds it for training, evaluation and serving alike.

The original system trained on the bare sign name and its bot then sent "♈Овен", a prompt
the model had never seen; every caller goes through :func:`build_prompt` instead. The
prompt names the sign, the category and the date (weekday, day and month), so that a text
can be about its day: "гороскоп: Лев; тема: любовь; день: среда, 2 декабря".

A version freezes the recipe (:func:`prompt_recipe`: the template and its words) in its
``model_config``; the logged model builds prompts from its own copy
(:func:`horogen.model.pyfunc.prompt_of`), so a later change here leaves it alone. Versions
logged before the date was added froze a table of every prompt instead, and keep it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from horogen.calendar_ru import MONTHS_GENITIVE, WEEKDAYS
from horogen.model.pyfunc import prompt_of
from horogen.schema import Category
from horogen.signs import Sign, sign_from_slug

#: How a category reads in the prompt.
CATEGORY_RU: dict[Category, str] = {
    Category.GENERAL: "общий",
    Category.LOVE: "любовь",
    Category.BUSINESS: "бизнес",
    Category.HEALTH: "здоровье",
    Category.EROTIC: "эротический",
    Category.ANTI: "антигороскоп",
    Category.COOK: "кулинарный",
    Category.MOBILE: "мобильный",
}


#: The prompt's template over the recipe's words.
TEMPLATE = "гороскоп: {sign}; тема: {category}; день: {weekday}, {day} {month}"


def prompt_recipe() -> dict[str, Any]:
    """What builds every prompt, frozen into a version's ``model_config["prompt"]``."""
    return {
        "template": TEMPLATE,
        "signs": {sign.value: sign.ru for sign in Sign},
        "categories": {category.value: CATEGORY_RU[category] for category in Category},
        # keyed by number: MLflow logs each as a short param (prompt/months/12)
        "weekdays": {str(index): name for index, name in enumerate(WEEKDAYS)},
        "months": {str(index + 1): name for index, name in enumerate(MONTHS_GENITIVE)},
    }


def build_prompt(
    sign: Sign | str, category: Category | str = Category.GENERAL, date: dt.date | None = None
) -> str:
    """The prompt for ``sign``, ``category`` and ``date`` (default: today):
    ``"гороскоп: Овен; тема: любовь; день: среда, 2 декабря"``.

    ``sign`` is a :class:`Sign` or its slug (``"aries"``), ``category`` a :class:`Category`
    or its value; anything else raises ``ValueError`` naming the valid values.
    """
    if not isinstance(sign, Sign):
        sign = sign_from_slug(str(sign))
    day = (date or dt.date.today()).isoformat()
    config = {"prompt": prompt_recipe()}
    return prompt_of(config, sign.value, parse_category(category).value, day)


def sample_prompts() -> list[str]:
    """A prompt for every sign and category, their dates spread over a year so that every
    weekday, day and month appears (what a fresh tokenizer learns the prompts from)."""
    first = dt.date(2026, 1, 1)
    pairs = [(sign, category) for sign in Sign for category in Category]
    days = [first + dt.timedelta(days=index * 4) for index in range(len(pairs))]
    return [
        build_prompt(sign, category, day) for (sign, category), day in zip(pairs, days, strict=True)
    ]


def parse_category(category: Category | str) -> Category:
    """The category for a value such as ``"love"``; ``ValueError`` names the valid ones."""
    if isinstance(category, Category):
        return category
    try:
        return Category(str(category).lower())
    except ValueError:
        valid = ", ".join(c.value for c in Category)
        raise ValueError(f"unknown category {category!r}; expected one of: {valid}") from None
