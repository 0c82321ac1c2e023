"""Dates as Russian pages print them: "25 ноября 2026", "25 ноября", "25.11.2026".

Shared by the source adapters; adapters call :func:`parse_russian_date` on the text of
the element that states a page's date, and the mirrors print dates with
:func:`format_russian_date`.
"""

from __future__ import annotations

import datetime as dt
import re

from horogen.calendar_ru import MONTHS_GENITIVE

#: Month names in the genitive ("25 ноября") and the abbreviations pages use ("25 нояб.").
MONTHS: dict[str, int] = {
    "января": 1,
    "янв": 1,
    "февраля": 2,
    "фев": 2,
    "февр": 2,
    "марта": 3,
    "мар": 3,
    "апреля": 4,
    "апр": 4,
    "мая": 5,
    "июня": 6,
    "июн": 6,
    "июля": 7,
    "июл": 7,
    "августа": 8,
    "авг": 8,
    "сентября": 9,
    "сен": 9,
    "сент": 9,
    "октября": 10,
    "окт": 10,
    "ноября": 11,
    "ноя": 11,
    "нояб": 11,
    "декабря": 12,
    "дек": 12,
}


_NUMERIC = r"(?P<nd>\d{1,2})\.(?P<nm>\d{1,2})\.(?P<ny>\d{4})"
_MONTH_WORD = "|".join(sorted(MONTHS, key=len, reverse=True))
_RANGE_END = rf"\d{{1,2}}\.\d{{1,2}}(?:\.\d{{2,4}})?|\d{{1,2}}\s+(?:{_MONTH_WORD})(?![а-яё])\.?"
#: A sign's dates as pages print them beside its name: "21.03 – 20.04", "21.03-20.04.",
#: "21 марта — 20 апреля", "с 21 марта по 20 апреля" (any case, any dash, any spaces).
DATE_RANGE = re.compile(
    rf"(?<![\d.])(?:\bс\s+)?(?:{_RANGE_END})\s*(?:[-–—]|по)\s*(?:{_RANGE_END})(?![\d])",
    re.IGNORECASE,
)
_ISO = r"(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
_WORDS = r"(?P<wd>\d{1,2})\s+(?P<wm>[а-я]+)\.?(?:,?\s+(?P<wy>\d{4}))?"
_DATE = re.compile(rf"(?<![\d.\-])(?:{_NUMERIC}|{_ISO}|{_WORDS})(?![\d])")
# What may follow a date in an element that holds nothing else ("25 ноября 2026 г.").
_YEAR_WORD = re.compile(r"\s*(?:г\.?|года?)?\s*", re.IGNORECASE)


def parse_russian_date(
    text: str | None,
    default_year: int,
    *,
    near: dt.date | None = None,
    whole: bool = False,
) -> dt.date | None:
    """The first date in ``text``, or ``None`` when it states none.

    Understands "25 ноября 2026", "25 ноября" (the year is ``default_year``), "25 нояб.",
    "25.11.2026" and ISO "2026-11-25" (as in ``<time datetime>``). Any case, ``ё``,
    non-breaking spaces. Impossible dates ("31 февраля") are no date.

    ``near``: for a date without a year, take the year that puts it closest to ``near``
    (a page collected on 31 December that says "1 января" means next year's).
    ``whole``: the text must be the date and nothing else (an optional "г."/"года" may
    follow), so that prose such as "21 марта – 20 апреля" is not taken for a date.
    """
    if not text:
        return None
    text = text.lower().replace("ё", "е")
    if whole:
        stripped = text.strip()
        match = _DATE.match(stripped)
        if not match or _YEAR_WORD.fullmatch(stripped[match.end() :]) is None:
            return None
        return _to_date(match, default_year, near)
    for match in _DATE.finditer(text):
        day = _to_date(match, default_year, near)
        if day is not None:
            return day
    return None


def _to_date(match: re.Match[str], default_year: int, near: dt.date | None) -> dt.date | None:
    groups = match.groupdict()
    try:
        if groups["nd"]:
            return dt.date(int(groups["ny"]), int(groups["nm"]), int(groups["nd"]))
        if groups["iy"]:
            return dt.date(int(groups["iy"]), int(groups["im"]), int(groups["id"]))
    except ValueError:
        return None
    month = MONTHS.get(groups["wm"])
    if month is None:
        return None
    day = int(groups["wd"])
    if groups["wy"]:
        return _safe_date(int(groups["wy"]), month, day)
    if near is None:
        return _safe_date(default_year, month, day)
    candidates = [
        found
        for year in (near.year - 1, near.year, near.year + 1)
        if (found := _safe_date(year, month, day)) is not None
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda found: abs((found - near).days))


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def format_russian_date(day: dt.date, *, year: bool = True) -> str:
    """``day`` as Russian pages print it: "25 ноября 2026" (or "25 ноября")."""
    text = f"{day.day} {MONTHS_GENITIVE[day.month - 1]}"
    return f"{text} {day.year}" if year else text
