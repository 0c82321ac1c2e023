"""Finding a text's signs, weekdays, days and months (every case form), and the slots
training puts in their place."""

from __future__ import annotations

import datetime as dt

import pytest

from horogen.mentions import find_mentions, foreign_mentions
from horogen.model.slots import SLOT_TOKENS, slot_text
from horogen.signs import Sign

WEDNESDAY = dt.date(2026, 12, 2)


def named(text: str) -> list[tuple[str, object, str | None, str | None]]:
    return [(m.kind, m.value, m.case, m.number) for m in find_mentions(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Львам повезёт", [("sign", "leo", "datv", "plur")]),
        ("о Льве", [("sign", "leo", "loct", "sing")]),
        ("для Овнов", [("sign", "aries", "gent", "plur")]),
        ("Весы, Близнецы", [("sign", "libra", "nomn", "plur"), ("sign", "gemini", "nomn", "plur")]),
        ("со Стрельцами", [("sign", "sagittarius", "ablt", "plur")]),
        ("в среду", [("weekday", 2, "accs", "sing")]),
        ("во вторник", [("weekday", 1, "accs", "sing")]),
        ("по пятницам", [("weekday", 4, "datv", "plur")]),
        ("Воскресенье — день отдыха", [("weekday", 6, "nomn", "sing")]),
        ("2 декабря", [("day", 2, None, None), ("month", 12, "gent", "sing")]),
        ("в мае", [("month", 5, "loct", "sing")]),
    ],
)  # fmt: skip
def test_every_case_form_is_found(text: str, expected: list) -> None:
    assert named(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "рыба на ужин и раки к пиву",  # lower case: food, not signs
        "Рыба на ужин",  # Pisces only in the plural
        "в рабочей среде и в среде коллег",  # environment, not Wednesday
        "хотя бы 2 часа, до 15:00",  # numbers without a month are not days
    ],
)
def test_homonyms_are_not_mentions(text: str) -> None:
    assert find_mentions(text) == []


def test_foreign_mentions_are_those_of_another_sign_or_date() -> None:
    text = "Львам 2 декабря в среду повезёт, а Ракам в пятницу, 4 января."
    assert [m.word for m in foreign_mentions(text, Sign.LEO, WEDNESDAY)] == [
        "Ракам",
        "пятницу",
        "4",
        "января",
    ]


def test_own_mentions_become_typed_slots_and_others_stay() -> None:
    text = "2 декабря Львам повезёт, в среду — особенно; Ракам — до 15 декабря. Лев, ждите."
    assert slot_text(text, Sign.LEO, WEDNESDAY) == (
        "<day> <month:gent> <sign:datv:plur> повезёт, в <weekday:accs:sing> — особенно; "
        "Ракам — до 15 декабря. <sign:nomn:sing>, ждите."
    )
    slots = {token for token in SLOT_TOKENS if token in slot_text(text, "leo", WEDNESDAY)}
    assert slots == {
        "<day>", "<month:gent>", "<sign:datv:plur>", "<weekday:accs:sing>", "<sign:nomn:sing>"
    }  # fmt: skip
