"""What the API answers and accepts: one pydantic model each, also the text store's row format."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from horogen.model.strategy import Strategy
from horogen.schema import Category
from horogen.serve.categories import NAMES
from horogen.signs import Sign
from horogen.verdicts import Verdict


class Horoscope(BaseModel):
    """One text: the same for every reader of a sign, category, day and model version."""

    model_config = ConfigDict(frozen=True)

    sign: Sign
    name: str = Field(description="The sign's Russian name.")
    emoji: str
    date: dt.date
    category: Category
    text: str
    model: str = Field(description="horogen/3 for a registered version, else a directory.")
    version: int | None = Field(description="The registered version; null for a directory.")
    strategy: Strategy
    ticket: str | None = Field(
        default=None,
        description="For this reader only: send it back with a verdict on this text.",
    )


class Horoscopes(BaseModel):
    """The twelve signs for a day and category."""

    date: dt.date
    category: Category
    model: str
    version: int | None
    horoscopes: list[Horoscope]


class SignInfo(BaseModel):
    sign: Sign
    name: str
    emoji: str


class About(BaseModel):
    """What the page needs to draw itself: signs, the servable days, the model."""

    today: dt.date
    first_date: dt.date
    last_date: dt.date
    signs: list[SignInfo]
    categories: list[Category]
    category_names: dict[Category, str] = Field(
        default_factory=lambda: dict(NAMES), description="Each category's Russian name."
    )
    model: str | None
    version: int | None


class Ready(BaseModel):
    model: str
    version: int | None
    strategy: Strategy


class Vote(BaseModel):
    """A reader's verdict on the text served for a sign, category and day."""

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    ticket: str = Field(
        min_length=10,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The `ticket` of the text as it was served to this reader (the reader is "
        "the `horogen_reader` cookie that came with it; one verdict per reader and text, a "
        "new one replaces the last).",
    )
    date: dt.date | None = Field(default=None, description="Default: today.")
    category: Category = Category.GENERAL
    model: str = Field(
        min_length=1,
        max_length=512,
        pattern=r"^[^\x00-\x1f]+$",
        description="The model whose text was read (the answer's `model`).",
    )


class VoteCount(BaseModel):
    """The votes a text has, after this one."""

    sign: Sign
    date: dt.date
    category: Category
    model: str
    version: int | None
    verdict: Verdict
    likes: int
    dislikes: int


class Problem(BaseModel):
    """An error: what went wrong and what to do."""

    detail: str


class UnknownSign(Problem):
    valid: list[str] = Field(description="The signs' slugs; Russian names work too.")


def horoscope(
    sign: Sign,
    category: Category,
    day: dt.date,
    text: str,
    *,
    model: str,
    version: int | None,
    strategy: Strategy,
) -> Horoscope:
    return Horoscope(
        sign=sign,
        name=sign.ru,
        emoji=sign.emoji,
        date=day,
        category=category,
        text=text,
        model=model,
        version=version,
        strategy=strategy,
    )
