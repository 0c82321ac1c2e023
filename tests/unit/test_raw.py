import datetime as dt

import pytest

from horogen.raw import from_csv, to_csv
from horogen.schema import Category, Record, normalize_whitespace
from horogen.signs import Sign

NOW = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)


def make(sign: Sign, text: str, category: Category = Category.GENERAL) -> Record:
    return Record(
        date=dt.date(2026, 11, 25),
        sign=sign,
        category=category,
        source="newsler",
        text=text,
        url="https://www.newsler.ru/horoscope",
        collected_at=NOW,
    )


def test_texts_with_quotes_commas_and_newlines_round_trip() -> None:
    records = [
        make(Sign.ARIES, 'Скажите "да", и\nвсё\u00a0получится; «ёлки»,'),
        make(Sign.LEO, ""),
        make(Sign.PISCES, "Первая строка\r\nвторая"),
    ]
    assert from_csv(to_csv(records)) == sorted(records, key=lambda r: r.sign.value)


def test_rows_are_written_in_a_stable_order() -> None:
    a, b = make(Sign.PISCES, "б"), make(Sign.ARIES, "а", Category.LOVE)
    assert to_csv([a, b]) == to_csv([b, a])
    assert to_csv([a, b]).decode().splitlines()[0] == (
        "date,sign,category,source,text,url,collected_at"
    )


def test_a_foreign_header_is_refused() -> None:
    with pytest.raises(ValueError, match="expected"):
        from_csv(b"day,sign,text\n2026-11-25,aries,x\n")


def test_whitespace_normalization_keeps_paragraphs_and_nbsp() -> None:
    assert normalize_whitespace("  Первый \t абзац\n\n\n  второй\u00a0абзац  ") == (
        "Первый абзац\nвторой\u00a0абзац"
    )
