"""Reading raw CSVs: the reference reader, its line numbers, and the fast-path checks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pytest

from horogen import raw
from horogen.process import local, rawcsv, synthetic
from horogen.process.rawcsv import RawFile, parse_reference
from horogen.schema import RAW_COLUMNS, Record

DAY = dt.date(2026, 11, 25)
FILE = RawFile("raw/date=2026-11-25/site.csv", DAY, 0)
HEADER = ",".join(RAW_COLUMNS) + "\n"


def row(text: str = "Текст", *, date: str = "2026-11-25", collected: str = "") -> str:
    collected = collected or "2026-11-25T06:00:00Z"
    return f"{date},leo,general,site,{text},https://x.example/leo,{collected}\n"


def parse(data: str | bytes) -> rawcsv.Parsed:
    payload = data.encode("utf-8") if isinstance(data, str) else data
    return parse_reference(payload, FILE)


def test_a_file_written_by_raw_to_csv_reads_back_whole() -> None:
    records = [
        Record(
            date=DAY,
            sign=sign,
            category="general",
            source="site",
            text='Текст с "кавычками", запятой\nи второй строкой',
            url="https://x.example",
            collected_at=dt.datetime(2026, 11, 25, 6, 0, 0, 123456, tzinfo=dt.UTC),
        )
        for sign in ("leo", "aries")
    ]
    parsed = parse(raw.to_csv(records))
    assert parsed.malformed == []
    assert [fields[4] for fields in parsed.rows] == [records[0].text] * 2
    assert parsed.records == 2


def test_line_numbers_count_the_lines_of_multi_line_texts() -> None:
    data = HEADER + row('"три\nстроки\nтекста"') + row(date="2026-13-01") + row()
    parsed = parse(data)
    assert [(item.line, item.reason) for item in parsed.malformed] == [
        (5, "bad date '2026-13-01' (expected 2026-11-25)")
    ]
    assert len(parsed.rows) == 2


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (row(date="2026-11-24"), "date 2026-11-24 is not the partition's day 2026-11-25"),
        (row(date="вчера"), "bad date 'вчера'"),
        (row(collected="yesterday"), "bad collected_at 'yesterday'"),
        (row(collected="2026-11-25T06:00:00+03:00"), "expected ISO 8601 in UTC"),
        (row(collected="2026-02-30T06:00:00Z"), "bad collected_at"),
        (row().rstrip("\n") + ",extra\n", "8 fields, expected 7"),
        ("2026-11-25,leo,general\n", "3 fields, expected 7"),
        ('2026-11-25,leo,general,"site"x,t,u,2026-11-25T06:00:00Z\n', "broken quoting"),
    ],
)
def test_each_kind_of_bad_row_is_reported_with_its_line(bad: str, reason: str) -> None:
    parsed = parse(HEADER + row() + bad + row())
    assert len(parsed.malformed) == 1
    assert parsed.malformed[0].line == 3
    assert reason in parsed.malformed[0].reason
    assert parsed.malformed[0].file == FILE.path
    assert len(parsed.rows) == 2


def test_invalid_utf8_is_reported() -> None:
    data = (HEADER + row()).encode() + row().encode()[:-10] + b"\xff\xfe\n" + row().encode()
    parsed = parse(data)
    assert [(item.line, item.reason) for item in parsed.malformed] == [
        (3, "bytes that are not UTF-8")
    ]
    assert len(parsed.rows) == 2


def test_a_quote_never_closed_swallows_the_rest_and_says_so() -> None:
    data = HEADER + row() + row('"не закрыто') + row() + row()
    parsed = parse(data)
    assert len(parsed.rows) == 1
    assert len(parsed.malformed) == 1
    assert parsed.malformed[0].line == 3
    assert "never closed" in parsed.malformed[0].reason


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (HEADER.replace("collected_at", "fetched_at"), "unknown column(s) 'fetched_at'"),
        (HEADER.replace(",url", ""), "lacks column(s) 'url'"),
        (HEADER.replace("sign,category", "category,sign"), "another order"),
    ],
)
def test_a_bad_header_makes_every_row_malformed(header: str, reason: str) -> None:
    parsed = parse(header + row() + row())
    assert [item.line for item in parsed.malformed] == [2, 3]
    assert all(reason in item.reason for item in parsed.malformed)
    assert parsed.rows == []


def test_bom_blank_lines_and_crlf_are_read() -> None:
    data = "\ufeff" + HEADER.replace("\n", "\r\n") + row().replace("\n", "\r\n") + "\r\n" + row()
    parsed = parse(data)
    assert parsed.malformed == []
    assert len(parsed.rows) == 2


def test_empty_and_header_only_files_have_no_rows() -> None:
    assert parse(b"").records == 0
    assert parse(HEADER).records == 0


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2026-11-25T06:00:00Z", True),
        ("2026-11-25T06:00:00.1Z", True),
        ("2026-11-25T06:00:00.123456+00:00", True),
        ("2026-11-25T06:00:00.1234567Z", False),
        ("2026-11-25T06:00:00", False),
        ("2026-11-25T23:59:60Z", False),
        ("2026-11-25T24:00:00Z", False),
        ("2026-11-31T06:00:00Z", False),
        ("2026-11-25 06:00:00Z", False),
    ],
)
def test_collected_at(value: str, ok: bool) -> None:
    assert rawcsv.collected_at_ok(value) is ok


def test_canonical_length_is_what_pythons_writer_writes() -> None:
    rng = random.Random(5)
    for _ in range(200):
        fields = [
            synthetic.dirty(rng, synthetic.base_text(rng, rng.randint(1, 80)), exact=False)
            for _ in range(7)
        ]
        fields[rng.randrange(7)] = ""
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(fields)
        assert rawcsv.canonical_length(fields) == len(buffer.getvalue().encode("utf-8"))


def test_day_of_and_raw_file_listing(lake) -> None:
    assert rawcsv.day_of("raw/date=2026-11-25/site.csv") == DAY
    with pytest.raises(ValueError, match="not a raw partition file"):
        rawcsv.day_of("processed/date=2026-11-25/part-0.parquet")
    lake.write_bytes("raw/date=2026-11-25/b.csv", b"x")
    lake.write_bytes("raw/date=2026-11-25/a.csv", b"xy")
    lake.write_bytes("raw/date=2026-11-25/notes.txt", b"x")
    assert rawcsv.list_raw_files(lake, DAY) == [
        RawFile("raw/date=2026-11-25/a.csv", DAY, 2),
        RawFile("raw/date=2026-11-25/b.csv", DAY, 1),
    ]
    assert rawcsv.list_raw_files(lake, DAY + dt.timedelta(days=1)) == []


@pytest.mark.parametrize(
    "data",
    [
        HEADER + row() + row(date="2026-11-24"),
        HEADER + row() + row().rstrip("\n") + ",extra\n",
        HEADER + row() + "2026-11-25,leo\n",
        HEADER + row() + '2026-11-25,leo,general,"site"x,t,u,2026-11-25T06:00:00Z\n',
        HEADER + row('"не закрыто'),
        HEADER + row('"quoted for no reason"'),
        HEADER.replace("\n", "\r\n") + row().replace("\n", "\r\n"),
        "\ufeff" + HEADER + row(),
        HEADER + row() + "\n",
        HEADER + row().rstrip("\n"),
        HEADER.replace("url", "link") + row(),
        HEADER + row(collected="2026-11-25T23:59:60Z"),
        HEADER + row("текст \ufffd"),
        HEADER + row(date=""),
        HEADER + "2026-11-25,leo,general,site,Текст,https://x.example,\n",
    ],
)
def test_polars_fast_path_refuses_anything_unusual(data: str) -> None:
    payload = data.encode("utf-8")
    assert local.read_native(payload, RawFile(FILE.path, DAY, len(payload))) is None


def test_polars_fast_path_takes_files_written_by_python() -> None:
    payload = synthetic.generate([DAY], 300, sources=1, seed=2)["raw/date=2026-11-25/site01.csv"]
    frame = local.read_native(payload, RawFile(FILE.path, DAY, len(payload)))
    assert frame is not None
    native = [tuple(value or "" for value in fields) for fields in frame.rows()]
    assert native == parse_reference(payload, FILE).rows  # empty fields read as null
