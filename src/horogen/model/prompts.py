"""The model's input: one function builds it for training, evaluation and serving alike.

The original system trained on the bare sign name and its bot then sent "♈Овен", a prompt
the model had never seen; every caller goes through :func:`build_prompt` instead.
"""

from __future__ import annotations

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


def build_prompt(sign: Sign | str, category: Category | str = Category.GENERAL) -> str:
    """The prompt for ``sign`` and ``category``: ``"гороскоп: Овен; тема: любовь"``.

    ``sign`` is a :class:`Sign` or its slug (``"aries"``), ``category`` a :class:`Category`
    or its value; anything else raises ``ValueError`` naming the valid values.
    """
    if not isinstance(sign, Sign):
        sign = sign_from_slug(str(sign))
    return f"гороскоп: {sign.ru}; тема: {CATEGORY_RU[parse_category(category)]}"


def prompt_table() -> dict[str, dict[str, str]]:
    """Every prompt, ``{sign slug: {category: prompt}}``: what a version freezes."""
    return {
        sign.value: {category.value: build_prompt(sign, category) for category in Category}
        for sign in Sign
    }


def parse_category(category: Category | str) -> Category:
    """The category for a value such as ``"love"``; ``ValueError`` names the valid ones."""
    if isinstance(category, Category):
        return category
    try:
        return Category(str(category).lower())
    except ValueError:
        valid = ", ".join(c.value for c in Category)
        raise ValueError(f"unknown category {category!r}; expected one of: {valid}") from None
