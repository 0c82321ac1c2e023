"""The twelve zodiac signs and the spellings real pages use for them."""

from __future__ import annotations

import re
from enum import StrEnum


class Sign(StrEnum):
    """A zodiac sign; the value is the slug used in paths, URLs and the lake."""

    ARIES = "aries"
    TAURUS = "taurus"
    GEMINI = "gemini"
    CANCER = "cancer"
    LEO = "leo"
    VIRGO = "virgo"
    LIBRA = "libra"
    SCORPIO = "scorpio"
    SAGITTARIUS = "sagittarius"
    CAPRICORN = "capricorn"
    AQUARIUS = "aquarius"
    PISCES = "pisces"

    @property
    def ru(self) -> str:
        """The Russian name in the nominative case, capitalized ("Овен")."""
        return _RUSSIAN[self][0].capitalize()

    @property
    def genitive(self) -> str:
        """The Russian name in the genitive case, capitalized, as in "Гороскоп для Овна"."""
        return _RUSSIAN[self][1].capitalize()

    @property
    def emoji(self) -> str:
        return _EMOJI[self]


# Nominative first; then the case forms that headings use ("для Овна", "Овну", "Овнам").
_RUSSIAN: dict[Sign, tuple[str, ...]] = {
    Sign.ARIES: ("овен", "овна", "овну", "овном", "овне", "овны", "овнов", "овнам"),
    Sign.TAURUS: ("телец", "тельца", "тельцу", "тельцом", "тельце", "тельцы", "тельцов", "тельцам"),
    Sign.GEMINI: ("близнецы", "близнецов", "близнецам", "близнецами", "близнецах"),
    Sign.CANCER: ("рак", "рака", "раку", "раком", "раке", "раки", "раков", "ракам"),
    Sign.LEO: ("лев", "льва", "льву", "львом", "льве", "львы", "львов", "львам"),
    Sign.VIRGO: ("дева", "девы", "деве", "деву", "девой", "дев", "девам"),
    Sign.LIBRA: ("весы", "весов", "весам", "весами", "весах"),
    Sign.SCORPIO: (
        "скорпион",
        "скорпиона",
        "скорпиону",
        "скорпионом",
        "скорпионе",
        "скорпионы",
        "скорпионов",
        "скорпионам",
    ),
    Sign.SAGITTARIUS: (
        "стрелец",
        "стрельца",
        "стрельцу",
        "стрельцом",
        "стрельце",
        "стрельцы",
        "стрельцов",
        "стрельцам",
    ),
    Sign.CAPRICORN: (
        "козерог",
        "козерога",
        "козерогу",
        "козерогом",
        "козероге",
        "козероги",
        "козерогов",
        "козерогам",
    ),
    Sign.AQUARIUS: (
        "водолей",
        "водолея",
        "водолею",
        "водолеем",
        "водолее",
        "водолеи",
        "водолеев",
        "водолеям",
    ),
    Sign.PISCES: ("рыбы", "рыб", "рыбам", "рыбами", "рыбах"),
}

_EMOJI: dict[Sign, str] = dict(zip(Sign, "♈♉♊♋♌♍♎♏♐♑♒♓", strict=True))

_WORD_TO_SIGN: dict[str, Sign] = {
    word: sign for sign, words in _RUSSIAN.items() for word in words
} | {sign.value: sign for sign in Sign}

_EMOJI_TO_SIGN = {emoji: sign for sign, emoji in _EMOJI.items()}
_PARENTHESIZED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WORD = re.compile(r"[a-zа-я]+")


def parse_sign(heading: str | None) -> Sign | None:
    """Map a heading as a page prints it to a sign, or ``None`` when it names no sign.

    Accepts any case, zodiac emoji, trailing dates and punctuation ("Овен (21 марта – 20
    апреля)", "ОВЕН:", "♈ Овен"), and headings that name exactly one sign in any case form
    ("Гороскоп на сегодня для Овна", "Рак — гороскоп на сегодня", "Гороскоп для Девы на
    25 ноября"). Headings such as "Гороскоп на сегодня", "Для всех знаков зодиака." or
    "Овен и Телец" give ``None``.
    """
    if not heading:
        return None
    text = _PARENTHESIZED.sub(" ", heading.lower().replace("ё", "е"))
    named = {_WORD_TO_SIGN[word] for word in _WORD.findall(text) if word in _WORD_TO_SIGN}
    if len(named) == 1:
        return named.pop()
    if named:  # "Овен и Телец": a heading about several signs is not one sign's heading
        return None
    for char in heading:
        if char in _EMOJI_TO_SIGN:
            return _EMOJI_TO_SIGN[char]
    return None


def is_sign_word(word: str) -> bool:
    """Whether ``word`` is a sign's name in some case form ("Овен", "овнам") or a slug."""
    return word.lower().replace("ё", "е") in _WORD_TO_SIGN


def sign_from_slug(slug: str) -> Sign:
    """The sign for a slug such as ``"aries"``; raises ``ValueError`` naming the valid slugs."""
    try:
        return Sign(slug.lower())
    except ValueError:
        valid = ", ".join(s.value for s in Sign)
        raise ValueError(f"unknown sign {slug!r}; expected one of: {valid}") from None


def lookup_sign(name: str) -> Sign:
    """The sign a person typed: its slug or Russian name in any case (``"Leo"``,
    ``"лев"``, ``"ЛЕВ"``, ``"Лёв"`` is not a sign); ``ValueError`` names the valid ones."""
    word = name.strip().lower().replace("ё", "е")
    for sign in Sign:
        if word in (sign.value, _RUSSIAN[sign][0].replace("ё", "е")):
            return sign
    valid = ", ".join(f"{s.value} ({s.ru})" for s in Sign)
    raise ValueError(f"unknown sign {name!r}; expected one of: {valid}")
