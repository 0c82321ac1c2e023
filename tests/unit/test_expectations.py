"""Data tests on processed partitions: each expectation passes on good data and catches bad."""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa
import pytest

from horogen.errors import DataError
from horogen.process import expectations, rules, synthetic
from horogen.process.settings import ProcessSettings
from horogen.schema import PROCESSED_SCHEMA

DAY = dt.date(2026, 11, 25)
SETTINGS = ProcessSettings()


def good_rows() -> list[dict]:
    rng = random.Random(1)
    rows = []
    for index, sign in enumerate(rules.SIGNS * 2):
        text = synthetic.base_text(rng, 300 + index * 7)
        rows.append(
            {
                "date": DAY,
                "sign": sign,
                "category": "general",
                "source": f"site{index}",
                "text": text,
                "url": "https://x.example",
                "collected_at": dt.datetime(2026, 11, 25, 6, tzinfo=dt.UTC),
                "text_hash": rules.text_hash(text),
            }
        )
    return rows


def table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=PROCESSED_SCHEMA)


def test_a_good_partition_passes_every_expectation() -> None:
    passed = expectations.validate(table(good_rows()), DAY, SETTINGS, rules.SIGNS)
    assert passed == ["schema", *expectations.EXPECTATIONS]


def test_an_empty_partition_passes_when_the_input_lacked_signs() -> None:
    assert expectations.failures(PROCESSED_SCHEMA.empty_table(), DAY, SETTINGS, ()) == {}


def spoil(index: int, **changes: object) -> list[dict]:
    rows = good_rows()
    rows[index] = rows[index] | changes
    return rows


@pytest.mark.parametrize(
    ("rows", "name"),
    [
        (spoil(0, date=DAY - dt.timedelta(days=1)), "date_is_partition"),
        (spoil(0, text="Коротко", text_hash=rules.text_hash("Коротко")), "length_bounds"),
        (spoil(0, text="Ж" * 501, text_hash=rules.text_hash("Ж" * 501)), "length_bounds"),
        (spoil(0, text="Ж" * 299 + "@", text_hash=rules.text_hash("Ж" * 299 + "@")), "alphabet"),
        (spoil(0, text="Ж" * 150 + "  " + "Ж" * 150), "alphabet"),
        (spoil(0, text=" " + "Ж" * 300), "alphabet"),
        (spoil(0, sign="ophiuchus"), "known_signs"),
        (spoil(1, text_hash=good_rows()[0]["text_hash"]), "unique_text"),
        (spoil(0, text_hash="0" * 64), "hash_matches_text"),
        (spoil(0, url=None), "no_nulls"),
    ],
)
def test_each_expectation_catches_its_problem(rows: list[dict], name: str) -> None:
    found = expectations.failures(table(rows), DAY, SETTINGS, rules.SIGNS)
    assert name in found
    with pytest.raises(DataError, match=name):
        expectations.validate(table(rows), DAY, SETTINGS, rules.SIGNS)


def test_every_sign_must_survive_when_the_input_had_all() -> None:
    rows = [row for row in good_rows() if row["sign"] != "leo"]
    assert "leo" in expectations.failures(table(rows), DAY, SETTINGS, rules.SIGNS)["every_sign"]
    # an input without all twelve, or the check turned off, asks nothing
    assert expectations.failures(table(rows), DAY, SETTINGS, rules.SIGNS[:-1]) == {}
    relaxed = ProcessSettings(require_every_sign=False)
    assert expectations.failures(table(rows), DAY, relaxed, rules.SIGNS) == {}


def test_schema_is_checked_first() -> None:
    wrong = table(good_rows()).drop_columns(["text_hash"])
    assert list(expectations.failures(wrong, DAY, SETTINGS)) == ["schema"]


def test_alphabet_follows_the_settings() -> None:
    text = "Новый iPhone до 15:00 " + "Ж" * 300
    rows = spoil(0, text=text, text_hash=rules.text_hash(text))
    assert "alphabet" in expectations.failures(table(rows), DAY, SETTINGS)
    latin = ProcessSettings(keep_latin=True, keep_digits=True, max_length=600)
    assert expectations.failures(table(rows), DAY, latin) == {}


def test_digits_pass_by_default_and_fail_the_originals_alphabet() -> None:
    text = "Хотя бы 2 часа до 15:00 " + "Ж" * 300
    rows = spoil(0, text=text, text_hash=rules.text_hash(text))
    assert expectations.failures(table(rows), DAY, SETTINGS) == {}
    original = ProcessSettings(keep_digits=False)
    assert "alphabet" in expectations.failures(table(rows), DAY, original)
