"""What pages print beside a horoscope but is no part of it: the sign's name and its dates
("Овен", "21.03 – 20.04", "Овен (21 марта — 20 апреля):"), on a line of their own or
leading the text. Every adapter's records go through :func:`without_labels`."""

from __future__ import annotations

import re

from horogen.collect.dates import DATE_RANGE
from horogen.signs import is_sign_word

_WORD = re.compile(r"[a-zа-яё]+", re.IGNORECASE)
_SIGN_NAME = r"[A-Za-zА-Яа-яЁё]+"
_BRACKETED_RANGE = rf"[(\[]?\s*(?:{DATE_RANGE.pattern})\s*[)\]]?"
#: A label leading the first line: "Овен (21.03 – 20.04):", "21.03–20.04.", "Овен:".
_LEADING = re.compile(
    rf"^\W*?(?P<name>{_SIGN_NAME})?[\s,:—–-]*{_BRACKETED_RANGE}[\s:.,—–-]*"
    rf"|^\W*?(?P<alone>{_SIGN_NAME})\s*:\s*",
    re.IGNORECASE,
)


def without_labels(text: str) -> str:
    """``text`` without lines that hold nothing but sign names and date ranges, and without
    such a label at the start of its first line (a sign's name alone leads prose such as
    "Овен сегодня…", so it goes only when a colon or a date range follows it)."""
    lines = [line for line in text.split("\n") if not _is_label(line)]
    if lines:
        lines[0] = _strip_leading(lines[0])
    return "\n".join(lines)


def _is_label(line: str) -> bool:
    rest = DATE_RANGE.sub(" ", line)
    words = _WORD.findall(rest)
    if not all(is_sign_word(word) for word in words):
        return False
    return bool(words) or rest != line


def _strip_leading(line: str) -> str:
    match = _LEADING.match(line)
    if match is None:
        return line
    name = match.group("name") or match.group("alone")
    if name is not None and not is_sign_word(name):
        return line
    return line[match.end() :]
