"""The training set: prompts, window, de-duplication, the hash split and the fingerprint."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import pyarrow as pa
import pytest

from horogen.errors import DataError
from horogen.lake import Lake
from horogen.model.prompts import build_prompt
from horogen.schema import Category
from horogen.signs import Sign
from horogen.train.data import VALIDATION, DataWindow, build_training_set, split_of
from train_corpus import day_table, write_corpus, write_table

NOV1 = dt.date(2026, 11, 1)


def test_prompt_names_sign_category_and_date_in_russian() -> None:
    wednesday = dt.date(2026, 12, 2)
    expected = "гороскоп: Овен; тема: любовь; день: среда, 2 декабря"
    assert build_prompt(Sign.ARIES, Category.LOVE, wednesday) == expected
    assert build_prompt("aries", "love", wednesday) == expected
    assert build_prompt("PISCES", date=dt.date(2027, 3, 8)) == (
        "гороскоп: Рыбы; тема: общий; день: понедельник, 8 марта"
    )
    prompts = {build_prompt(sign, category, wednesday) for sign in Sign for category in Category}
    assert len(prompts) == len(Sign) * len(Category)
    assert build_prompt("leo", "love", wednesday) != build_prompt("leo", "love", NOV1)


def test_targets_carry_slots_for_their_own_sign_and_date(lake: Lake) -> None:
    day = dt.date(2026, 12, 2)  # a Wednesday
    text = (
        "2 декабря — хороший день: в среду звёзды благоволят Львам. Лев, не спешите, "
        "к вечеру всё решится, и хотя бы 2 часа уделите отдыху. " * 3
    )
    foreign = "Ракам лучше не строить планов на пятницу. " * 8
    table = day_table(day, categories=("general",))
    texts = table["text"].to_pylist()
    signs = table["sign"].to_pylist()
    leo, cancer = signs.index("leo"), signs.index("cancer")
    texts[leo] = text
    texts[signs.index("virgo")] = foreign  # Cancer and Friday in a text for Virgo
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    write_table(
        lake,
        day,
        table.set_column(4, "text", pa.array(texts)).set_column(7, "text_hash", pa.array(hashes)),
    )

    data = build_training_set(lake, min_rows=10, validation_buckets=2)
    rows = {row["sign"]: row for row in data.frame.iter_rows(named=True)}
    assert rows["leo"]["text"] == text
    assert rows["leo"]["target"].startswith(
        "<day> <month:gent> — хороший день: в <weekday:accs:sing> звёзды благоволят "
        "<sign:datv:plur>. <sign:nomn:sing>, не спешите, к вечеру всё решится, и хотя "
        "бы 2 часа"
    )
    assert rows["leo"]["prompt"] == "гороскоп: Лев; тема: общий; день: среда, 2 декабря"
    assert "virgo" not in rows and data.fingerprint.foreign_dropped == 1
    assert rows["cancer"]["target"] != texts[cancer]  # its own name became a slot
    kept = build_training_set(lake, min_rows=10, validation_buckets=2, foreign_mentions="keep")
    assert kept.fingerprint.rows == data.fingerprint.rows + 1
    assert kept.fingerprint.foreign_dropped == 0


@pytest.mark.parametrize(
    ("sign", "category", "named"),
    [("♈Овен", "love", "aries, taurus"), ("aries", "romance", "general, love")],
)
def test_prompt_rejects_unknown_values_naming_valid_ones(sign, category, named) -> None:
    with pytest.raises(ValueError, match=named):
        build_prompt(sign, category)


def test_split_is_stable_when_days_are_added(lake: Lake) -> None:
    write_corpus(lake, NOV1, 3)
    before = build_training_set(lake, min_rows=10)
    write_corpus(lake, NOV1 + dt.timedelta(days=3), 3, seed=1)
    after = build_training_set(lake, min_rows=10)

    assert after.fingerprint.rows > before.fingerprint.rows
    old = dict(before.frame.select("text_hash", "split").iter_rows())
    new = dict(after.frame.select("text_hash", "split").iter_rows())
    assert {text_hash: new[text_hash] for text_hash in old} == old
    assert 0 < after.fingerprint.validation_rows < after.fingerprint.train_rows
    assert all(split_of(h) == s for h, s in new.items())


def test_duplicates_across_days_and_sources_are_kept_once_from_the_earliest_day(
    lake: Lake,
) -> None:
    first = day_table(NOV1)
    write_table(lake, NOV1, first)
    # The next day repeats every text of the first, once from another source.
    repeat = first.set_column(0, "date", pa.array([NOV1 + dt.timedelta(days=1)] * len(first)))
    other = repeat.set_column(3, "source", pa.array(["newsler"] * len(first)))
    write_table(lake, NOV1 + dt.timedelta(days=1), pa.concat_tables([repeat, other]))

    data = build_training_set(lake, min_rows=10)

    assert data.fingerprint.rows == len(first) == data.frame["text_hash"].n_unique()
    assert set(data.frame["date"].to_list()) == {NOV1}
    assert data.fingerprint.days == 1


def test_fingerprint_counts_and_hash(lake: Lake) -> None:
    write_corpus(lake, NOV1, 2, categories=("general", "love"), sources=("a", "b"))
    data = build_training_set(lake, min_rows=10)
    fp = data.fingerprint

    assert fp.rows == 2 * 12 * 2 * 2 == fp.train_rows + fp.validation_rows
    assert (fp.first_date, fp.last_date, fp.days) == ("2026-11-01", "2026-11-02", 2)
    assert fp.rows_per_sign == {sign.value: 8 for sign in sorted(Sign, key=str)}
    assert fp.rows_per_source == {"a": 48, "b": 48}
    assert fp.rows_per_category == {"general": 48, "love": 48}
    assert len(fp.content_hash) == 64
    assert data.window == DataWindow(NOV1, dt.date(2026, 11, 2))
    # Same data, same fingerprint; one changed text, another hash.
    assert build_training_set(lake, min_rows=10).fingerprint == fp
    table = day_table(NOV1, sources=("a", "b"))
    texts = table["text"].to_pylist()
    texts[0] += " Изменено."
    hashes = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
    changed = table.set_column(4, "text", pa.array(texts))
    write_table(lake, NOV1, changed.set_column(7, "text_hash", pa.array(hashes)))
    assert build_training_set(lake, min_rows=10).fingerprint.content_hash != fp.content_hash


def test_window_selects_days(lake: Lake) -> None:
    write_corpus(lake, NOV1, 4)
    window = DataWindow(NOV1 + dt.timedelta(days=1), NOV1 + dt.timedelta(days=2))
    data = build_training_set(lake, window, min_rows=10)
    assert sorted(set(data.frame["date"].to_list())) == [
        NOV1 + dt.timedelta(days=1),
        NOV1 + dt.timedelta(days=2),
    ]
    assert str(data.window) == "2026-11-02..2026-11-03"
    # An open end closes at the last day found.
    assert build_training_set(lake, DataWindow(start=NOV1), min_rows=10).window.end == dt.date(
        2026, 11, 4
    )


def test_empty_window_is_a_data_error_naming_it(lake: Lake) -> None:
    write_corpus(lake, NOV1, 2)
    with pytest.raises(DataError, match=r"no processed data in window 2026-12-01\.\.2026-12-31"):
        build_training_set(lake, DataWindow(dt.date(2026, 12, 1), dt.date(2026, 12, 31)))
    with pytest.raises(DataError, match="no processed data in window all days"):
        build_training_set(Lake(str(lake.root) + "-empty"))


def test_too_few_rows_is_a_data_error(lake: Lake) -> None:
    write_corpus(lake, NOV1, 1)
    with pytest.raises(
        DataError, match=r"only 24 distinct texts in window all days.*train.min_rows"
    ):
        build_training_set(lake, min_rows=100)


def test_a_partition_without_the_processed_columns_is_named(lake: Lake) -> None:
    write_table(lake, NOV1, day_table(NOV1).drop_columns(["text_hash"]))
    with pytest.raises(
        DataError, match=r"date=2026-11-01/part-0.parquet lacks columns \['text_hash'\]"
    ):
        build_training_set(lake)


def test_validation_share_follows_the_buckets(lake: Lake) -> None:
    write_corpus(lake, NOV1, 10)
    data = build_training_set(lake)
    share = data.split(VALIDATION).height / data.frame.height
    assert 0.05 < share < 0.16


def test_fingerprint_ignores_the_order_of_rows_in_a_partition(lake: Lake) -> None:
    table = day_table(NOV1, sources=("a", "b"))
    write_table(lake, NOV1, table)
    before = build_training_set(lake, min_rows=10)
    order = list(range(len(table)))
    random.Random(3).shuffle(order)
    write_table(lake, NOV1, table.take(order))
    after = build_training_set(lake, min_rows=10)
    assert after.fingerprint == before.fingerprint
    assert sorted(after.frame["text_hash"].to_list()) == sorted(before.frame["text_hash"].to_list())


@pytest.mark.parametrize(
    ("column", "value", "named"),
    [
        ("sign", "ophiuchus", r"unknown sign values \('ophiuchus'\); expected one of: aquarius"),
        ("sign", None, "1 rows without sign"),
        ("category", "gossip", r"unknown category values \('gossip'\).*general"),
        ("category", None, "1 rows without category"),
        ("text", None, "1 rows without text"),
    ],
)
def test_bad_rows_are_a_data_error_naming_the_partition(
    lake: Lake, column: str, value: str | None, named: str
) -> None:
    write_corpus(lake, NOV1, 1)
    table = day_table(NOV1 + dt.timedelta(days=1))
    values = table[column].to_pylist()
    values[5] = value
    index = table.schema.get_field_index(column)
    write_table(
        lake, NOV1 + dt.timedelta(days=1), table.set_column(index, column, pa.array(values))
    )
    with pytest.raises(DataError, match=named) as caught:
        build_training_set(lake, min_rows=10)
    assert "date=2026-11-02/part-0.parquet" in str(caught.value)
    assert "horogen process` for 2026-11-02" in str(caught.value)
