"""The Russian date parser the adapters share."""

from __future__ import annotations

import datetime as dt

import pytest

from horogen.calendar_ru import MONTHS_GENITIVE
from horogen.collect.dates import format_russian_date, parse_russian_date

D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25 ноября 2026", D(2026, 11, 25)),
        ("25 ноября", D(2026, 11, 25)),
        ("25.11.2026", D(2026, 11, 25)),
        ("05.03.2025", D(2025, 3, 5)),
        ("1 января 2027", D(2027, 1, 1)),
        ("1 мая", D(2026, 5, 1)),
        ("25 НОЯБРЯ 2026", D(2026, 11, 25)),
        ("25\xa0ноября\xa02026", D(2026, 11, 25)),
        ("25 ноября 2026 г.", D(2026, 11, 25)),
        ("25 ноября, 2026", D(2026, 11, 25)),
        ("25 нояб. 2026", D(2026, 11, 25)),
        ("3 сент.", D(2026, 9, 3)),
        ("Гороскоп для Овна на 25 ноября 2026", D(2026, 11, 25)),
        ("Гороскоп на сегодня, 3 марта", D(2026, 3, 3)),
        ("2026-11-25", D(2026, 11, 25)),
        ("2026-11-25T00:00:00+03:00", D(2026, 11, 25)),
        ("29 февраля 2024", D(2024, 2, 29)),
    ],
)
def test_parses(text: str, expected: dt.date) -> None:
    assert parse_russian_date(text, 2026) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "Гороскоп на сегодня",
        "31 февраля 2026",  # no such day
        "29 февраля",  # not in 2026
        "32.01.2026",
        "25 ноябрьский",  # not a month
        "25 ноябя 2026",  # misspelt month
        "2025 ноября",  # a year is not a day
        "12.2026",
    ],
)
def test_no_date(text: str | None) -> None:
    assert parse_russian_date(text, 2026) is None


def test_every_month_name() -> None:
    for month, name in enumerate(MONTHS_GENITIVE, start=1):
        assert parse_russian_date(f"10 {name} 2026", 1999) == D(2026, month, 10)
        assert parse_russian_date(f"10 {name}", 2026) == D(2026, month, 10)


def test_yo_spelling_and_case() -> None:
    assert parse_russian_date("Сегодня, 7 Декабря", 2026) == D(2026, 12, 7)


def test_first_date_wins() -> None:
    assert parse_russian_date("с 21 марта по 20 апреля", 2026) == D(2026, 3, 21)


def test_year_is_taken_near_the_given_day() -> None:
    new_year = D(2026, 12, 31)
    assert parse_russian_date("1 января", 2026, near=new_year) == D(2027, 1, 1)
    assert parse_russian_date("31 декабря", 2027, near=D(2027, 1, 1)) == D(2026, 12, 31)
    assert parse_russian_date("25 ноября", 2026, near=D(2026, 11, 24)) == D(2026, 11, 25)
    # A stated year is never moved.
    assert parse_russian_date("1 января 2026", 2026, near=new_year) == D(2026, 1, 1)
    # 29 February: the nearest year that has one.
    assert parse_russian_date("29 февраля", 2025, near=D(2025, 3, 1)) == D(2024, 2, 29)
    assert parse_russian_date("29 февраля", 2024, near=D(2024, 3, 1)) == D(2024, 2, 29)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25 ноября 2026", D(2026, 11, 25)),
        ("  25 ноября 2026 г. ", D(2026, 11, 25)),
        ("25 ноября 2026 года", D(2026, 11, 25)),
        ("25.11.2026", D(2026, 11, 25)),
        ("21 марта — 20 апреля", None),  # a sign's dates, not a day
        ("Гороскоп на 25 ноября", None),
        ("25 ноября: гороскоп", None),
    ],
)
def test_whole(text: str, expected: dt.date | None) -> None:
    assert parse_russian_date(text, 2026, whole=True) == expected


def test_format_round_trips() -> None:
    day = D(2026, 1, 1)
    for _ in range(366):
        assert parse_russian_date(format_russian_date(day), 1999) == day
        assert parse_russian_date(format_russian_date(day, year=False), day.year) == day
        day += dt.timedelta(days=1)
    assert format_russian_date(D(2026, 11, 25)) == "25 ноября 2026"
    assert format_russian_date(D(2026, 3, 8), year=False) == "8 марта"
