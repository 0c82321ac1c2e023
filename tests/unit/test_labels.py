"""What is printed beside a horoscope but is no part of it."""

from __future__ import annotations

import pytest

from horogen.collect.dates import DATE_RANGE
from horogen.collect.labels import without_labels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Овен\n21.03 – 20.04\nСегодня хороший день.", "Сегодня хороший день."),
        ("Овен (21.03 – 20.04): Сегодня хороший день.", "Сегодня хороший день."),
        ("♈ Овен, 21 марта — 20 апреля\nСегодня хороший день.", "Сегодня хороший день."),
        ("21.03-20.04. Сегодня хороший день.", "Сегодня хороший день."),
        ("с 24 октября по 22 ноября\nСкорпионам повезёт.", "Скорпионам повезёт."),
        ("СКОРПИОН:\nСкорпионам повезёт.", "Скорпионам повезёт."),
        ("Скорпион: скорпионам повезёт.", "скорпионам повезёт."),
        # prose that starts with a sign's name, or holds dates, stays as it is
        ("Овен сегодня в центре внимания.", "Овен сегодня в центре внимания."),
        (
            "Овнам повезёт.\nВечером — 21.03 – 20.04 неважно.",
            "Овнам повезёт.\nВечером — 21.03 – 20.04 неважно.",
        ),
        ("Итог: день удачный.", "Итог: день удачный."),
        ("Встреча до 15:00, потом 3 - 5 звонков.", "Встреча до 15:00, потом 3 - 5 звонков."),
        ("Овен", ""),
    ],
)
def test_labels_are_removed_and_prose_kept(text: str, expected: str) -> None:
    assert without_labels(text) == expected


@pytest.mark.parametrize(
    "text",
    ["21.03 – 20.04", "21.03-20.04", "21 марта — 20 апреля", "22 Декабря-20 Января", "1.1 – 2.2"],
)
def test_date_ranges_as_pages_print_them(text: str) -> None:
    assert DATE_RANGE.fullmatch(text)


@pytest.mark.parametrize(
    "text", ["2026-11-25", "25.11.2026", "21 марта", "3 раза - 5 раз", "10-15"]
)
def test_what_is_no_date_range(text: str) -> None:
    assert DATE_RANGE.search(text) is None
