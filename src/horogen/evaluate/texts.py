"""Texts a user brings to ``horogen score``: a CSV with a ``text`` column (``.csv``), JSON
lines with a ``text`` field (``.jsonl``, ``.ndjson``), or plain text, one text a line
(anything else). Blank texts are skipped; a file with none left is an error."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from horogen.errors import DataError

JSON_LINES = {".jsonl", ".ndjson"}


def read_texts(path: Path) -> list[str]:
    """The file's texts, in order; every problem is a DataError naming the file (and line)."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        texts = _csv_texts(path, content)
    elif suffix in JSON_LINES:
        texts = _json_lines_texts(path, content)
    else:
        texts = content.splitlines()
    texts = [text.strip() for text in texts if text.strip()]
    if not texts:
        raise DataError(f"{path}: no texts (the file is empty or every text is blank)")
    return texts


def _csv_texts(path: Path, content: str) -> list[str]:
    reader = csv.DictReader(io.StringIO(content, newline=""))
    if reader.fieldnames is None:
        return []
    if "text" not in reader.fieldnames:
        columns = ", ".join(repr(name) for name in reader.fieldnames)
        raise DataError(f"{path}: no 'text' column (columns: {columns})")
    try:
        return [row["text"] or "" for row in reader]
    except csv.Error as error:
        raise DataError(f"{path} line {reader.line_num}: {error}") from None


def _json_lines_texts(path: Path, content: str) -> list[str]:
    texts = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{path} line {number}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise DataError(f"{path} line {number}: not an object with a string 'text' field")
        texts.append(record["text"])
    return texts
