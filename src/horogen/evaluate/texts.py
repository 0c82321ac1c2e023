"""Texts a user brings to ``horogen score``: a CSV with a ``text`` column (``.csv``), JSON
lines with a ``text`` field (``.jsonl``, ``.ndjson``), or plain text, one text a line
(anything else). Blank texts are skipped; a file with none left is an error.

A CSV or JSON lines file whose every text also has a ``sign`` (a slug or a Russian name)
and a ``date`` (YYYY-MM-DD), and optionally a ``category``, gives each text's request — what
``horogen generate --json`` prints — and with it the ``consistency`` metric."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from horogen.errors import DataError
from horogen.model.generate import TextRequest
from horogen.schema import Category
from horogen.signs import lookup_sign

JSON_LINES = {".jsonl", ".ndjson"}


@dataclass(frozen=True)
class TextsToScore:
    texts: list[str]
    #: Each text's request, when the file gives every one (else ``None``).
    requests: list[TextRequest] | None = None


def read_texts(path: Path) -> list[str]:
    """The file's texts, in order; every problem is a DataError naming the file (and line)."""
    return read_texts_to_score(path).texts


def read_texts_to_score(path: Path) -> TextsToScore:
    """The file's texts, in order, and their requests where the file gives them all."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records = _csv_records(path, content)
    elif suffix in JSON_LINES:
        records = _json_lines_records(path, content)
    else:
        records = [(number, {"text": line}) for number, line in enumerate(content.splitlines(), 1)]
    records = [(line, record) for line, record in records if (record["text"] or "").strip()]
    if not records:
        raise DataError(f"{path}: no texts (the file is empty or every text is blank)")
    texts = [record["text"].strip() for _, record in records]
    if not all(record.get("sign") and record.get("date") for _, record in records):
        return TextsToScore(texts)
    return TextsToScore(texts, [_request(path, line, record) for line, record in records])


def _request(path: Path, line: int, record: dict[str, Any]) -> TextRequest:
    try:
        return TextRequest(
            sign=lookup_sign(str(record["sign"])),
            category=Category(str(record.get("category") or "general").lower()),
            date=dt.date.fromisoformat(str(record["date"])),
        )
    except ValueError as error:
        reason = str(error).splitlines()[0]
        raise DataError(f"{path} line {line}: not a request ({reason})") from None


def _csv_records(path: Path, content: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(content, newline=""))
    if reader.fieldnames is None:
        return []
    if "text" not in reader.fieldnames:
        columns = ", ".join(repr(name) for name in reader.fieldnames)
        raise DataError(f"{path}: no 'text' column (columns: {columns})")
    try:
        return [(reader.line_num, dict(row)) for row in reader]
    except csv.Error as error:
        raise DataError(f"{path} line {reader.line_num}: {error}") from None


def _json_lines_records(path: Path, content: str) -> list[tuple[int, dict[str, Any]]]:
    records = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{path} line {number}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise DataError(f"{path} line {number}: not an object with a string 'text' field")
        records.append((number, record))
    return records
