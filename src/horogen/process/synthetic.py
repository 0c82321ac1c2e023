"""Synthetic raw partitions that hit every processing rule and edge case.

Used by the parity test (both engines on the same input) and by ``bench/process.py``.
Each row's text is a *base* text — Russian prose that the rules leave unchanged — dressed
in dirt: some that the rules undo exactly (Unicode spaces, line breaks, emoji, Latin words
and numbers between words, zero-width characters, stress accents, decomposed й/ё,
typographic quotes, site tails), so that base lengths of 299, 300, 500 and 501 stay so
after cleaning; and some that changes the text ("Wi-Fi до 15:00", links, mixed-script
words). Then rows with no sign, unknown signs, empty texts, texts re-published by other
sources (duplicates), and CSV quoting (quotes, commas, line breaks) in every file.
:func:`corrupt` adds malformed records (bad dates, wrong field counts, broken quoting,
bad headers, invalid UTF-8) at known lines.

Everything is a function of the seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
from collections.abc import Iterator

from horogen.lake import Lake
from horogen.layout import RAW_FILE, raw_path
from horogen.process import rules
from horogen.schema import RAW_COLUMNS, Category

#: The lengths around the default bounds that every data set includes.
BOUNDARY_LENGTHS = (299, 300, 500, 501)

_WORD_TEXT = (
    "сегодня завтра звёзды луна солнце день неделя вечер утро время путь шаг решение "
    "дело работа любовь семья друзья партнёр близкие деньги успех удача энергия силы "
    "настроение здоровье отдых поездка встреча разговор письмо новости планы мечты цели "
    "вам вас ваши ваш свой своё стоит нужно можно лучше важно легко спокойно смело "
    "терпеливо внимательно будет станет принесёт откроет поможет покажет подскажет "
    "удастся получится придётся хочется кажется новый новые старые добрые яркие тихий "
    "долгий короткий главный первый последний свежий тёплый лёгкий серьёзный неожиданный "
    "интересный спокойный уверенный мягкий твёрдый чуть очень слишком почти совсем ещё "
    "уже снова вдруг сразу потом позже раньше вместе отдельно иногда всегда"
)
_WORDS = tuple(_WORD_TEXT.split())

_STARTS = (
    "Сегодня", "Завтра", "Звёзды", "Луна", "Этот день", "Вечером", "Утром", "Неделя",
    "Венера", "Марс", "Юпитер", "Ваша интуиция", "Близкие", "Партнёр", "Работа",
)  # fmt: skip

#: Every Unicode space but a lone carriage return, which raw texts never hold (the collector
#: normalizes it away) and which Python's csv writer would leave unquoted.
_SPACES = tuple(space for space in rules.UNICODE_SPACES if space != "\r")
_LATIN = ("online", "deadline", "Instagram", "iPhone", "Telegram", "VIP", "OK", "SMS")
_NUMBERS = ("15", "3", "2026", "100", "7", "12", "1000")
_EMOJI = ("♈", "♉", "♌", "✨", "❤️", "🌙", "⭐", "🔥", "💫", "👉", "😊", "🙏🏻", "👨‍👩‍👧")
_TAILS = (" Читать далее", "\nПодробнее…", " Читать далее →", " ПОДРОБНЕЕ", " Читать полностью")
_CHANGING_DIRT = (
    " Wi-Fi ", " до 15:00 ", " на 5% ", " https://t.me/horoscope ", " (см. www.site.ru) ",
    " № 7 ", " C++ ", " 2+2=4 ",
)  # fmt: skip
_CATEGORIES = tuple(category.value for category in Category)
_UNKNOWN_SIGNS = ("ophiuchus", "Aries", "овен", " leo", "LEO", "змееносец")
_EMPTY_TEXTS = ("", " ", "\u00a0", "\n\n", "✨✨", "👉 https://example.com", "12:00", "!!!")


def base_sentence(rng: random.Random) -> str:
    """One sentence of plain Russian prose with the punctuation the rules keep."""
    words = [rng.choice(_WORDS) for _ in range(rng.randint(5, 13))]
    if rng.random() < 0.4:
        words[rng.randrange(1, len(words))] += ","
    shape = rng.random()
    if shape < 0.08:
        i = rng.randrange(1, len(words) - 1)
        words[i], words[i + 1] = "«" + words[i], words[i + 1].rstrip(",") + "»"
    elif shape < 0.14:
        i = rng.randrange(1, len(words) - 1)
        words[i], words[i + 1] = '"' + words[i], words[i + 1].rstrip(",") + '"'
    elif shape < 0.2:
        i = rng.randrange(1, len(words) - 1)
        words[i], words[i + 1] = "(" + words[i], words[i + 1].rstrip(",") + ")"
    elif shape < 0.28:
        words.insert(rng.randrange(2, len(words)), "—")
    elif shape < 0.32:
        words[rng.randrange(1, len(words))] += ":"
    text = rng.choice(_STARTS) + " " + " ".join(words).rstrip(",:")
    return text + rng.choice((".", ".", ".", "!", "?", "…", "."))


def base_text(rng: random.Random, length: int) -> str:
    """Prose of exactly ``length`` characters that cleaning leaves as it is."""
    if length < 2:
        return "Да"[:length]
    parts: list[str] = []
    total = -1
    while total < length:
        parts.append(base_sentence(rng))
        total += len(parts[-1]) + 1
    text = " ".join(parts)[: length - 1]
    if not text[-1].isalpha() and text[-1] not in "»)…!?.":
        text = text[:-1] + "а"
    return text + "."


def dirty(rng: random.Random, text: str, *, exact: bool) -> str:
    """``text`` as a page might publish it; with ``exact`` the dirt cleans away exactly.

    Each kind of dirt hits a share of texts close to what the mirror's sites show: a
    typographer's no-break spaces (30 %), numbers (25 %), Latin words (15 %), emoji (15 %),
    tails (8 %), doubled spaces and line breaks (6 %), invisible characters and accents,
    decomposed letters, typographic quotes (a few % each).
    """
    pieces = text.split(" ")
    typographer = rng.random() < 0.30
    odd_space = rng.random() < 0.05
    latin = rng.random() < 0.15
    numbers = rng.random() < 0.25
    spacing = rng.random() < 0.06
    emoji = rng.random() < 0.05
    changing = not exact and rng.random() < 0.15
    for i in range(len(pieces) - 1):
        piece = pieces[i]
        if typographer and len(piece) <= 2:
            pieces[i] += "\u00a0"
        elif odd_space and rng.random() < 0.2:
            pieces[i] += rng.choice(_SPACES)
        elif latin and rng.random() < 0.04:
            pieces[i] += " " + rng.choice(_LATIN) + " "
        elif numbers and rng.random() < 0.04:
            pieces[i] += " " + rng.choice(_NUMBERS) + rng.choice((" ", "\u00a0"))
        elif spacing and rng.random() < 0.05:
            pieces[i] += rng.choice(("  ", " \n", "\n\n", "\t"))
        elif emoji and rng.random() < 0.05:
            pieces[i] += " " + rng.choice(_EMOJI) + " "
        elif changing and rng.random() < 0.04:
            pieces[i] += rng.choice(_CHANGING_DIRT)
        else:
            pieces[i] += " "
    out = "".join(pieces)
    roll = rng.random()
    if roll < 0.03:
        out = out.replace("й", "и\u0306").replace("ё", "е\u0308")
    elif roll < 0.06:
        out = out.replace("ие", "и\u0301е", 2).replace("ра", "р\u00ad" + "а", 1)
        out = out.replace("ст", "с\u200bт", 1)
    elif roll < 0.09:
        out = out.replace('"', "“", 1).replace('"', "”", 1)
    if rng.random() < 0.06:
        out = rng.choice(_EMOJI) + rng.choice((" ", "")) + out
    if rng.random() < 0.06:
        out += rng.choice((" ", "")) + rng.choice(_EMOJI)
    if rng.random() < 0.08 and text[-1] in ".!?…":
        out += rng.choice(_TAILS)
    return out


def _collected_at(rng: random.Random, day: dt.date) -> str:
    moment = dt.datetime.combine(day, dt.time(5), tzinfo=dt.UTC) + dt.timedelta(
        seconds=rng.randrange(3 * 3600), microseconds=rng.randrange(1_000_000)
    )
    style = rng.random()
    if style < 0.1:
        return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if style < 0.2:
        return moment.isoformat()
    return moment.isoformat().replace("+00:00", "Z")


def rows(
    day: dt.date, count: int, sources: tuple[str, ...], rng: random.Random
) -> Iterator[tuple[str, list[str]]]:
    """``count`` raw rows for ``day`` as (source, fields)."""
    syndicated: list[str] = []
    for index in range(count):
        source = sources[index % len(sources)]
        sign = rules.SIGNS[(index // len(sources)) % len(rules.SIGNS)]
        category = _CATEGORIES[(index // (len(sources) * 12)) % len(_CATEGORIES)]
        roll = rng.random()
        exact = False
        if roll < 0.015:
            sign = ""
        elif roll < 0.03:
            sign = rng.choice(_UNKNOWN_SIGNS)
        if rng.random() < 0.02:
            text = rng.choice(_EMPTY_TEXTS)
        else:
            pick = rng.random()
            if pick < 0.12 and syndicated:  # re-published by another source
                base = rng.choice(syndicated)
            elif pick < 0.25:
                base = base_text(rng, rng.choice(BOUNDARY_LENGTHS))
                exact = True
            else:
                base = base_text(rng, int(rng.triangular(150, 650, 400)))
            if rng.random() < 0.02:
                word = rng.randrange(len(base) // 2)
                at = base.find("о", word)
                base = base[:at] + "o" + base[at + 1 :] if at >= 0 else base  # Latin o
            text = dirty(rng, base, exact=exact or rng.random() < 0.7)
            if len(syndicated) < 500 and rng.random() < 0.05:
                syndicated.append(base)
        url = f"https://{source}.example/{day.isoformat()}/{sign or 'none'}/{category}"
        fields = [day.isoformat(), sign, category, source, text, url, _collected_at(rng, day)]
        yield source, fields
        if rng.random() < 0.003:  # the same record twice in one file
            yield source, list(fields)


def to_csv_bytes(records: list[list[str]]) -> bytes:
    """Rows as a raw CSV, written the way ``horogen.raw.to_csv`` writes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(RAW_COLUMNS)
    writer.writerows(records)
    return buffer.getvalue().encode("utf-8")


def sources_for(count: int) -> tuple[str, ...]:
    return tuple(f"site{index:02d}" for index in range(1, count + 1))


def generate(
    days: list[dt.date], rows_per_day: int, *, sources: int = 8, seed: int = 0
) -> dict[str, bytes]:
    """Raw CSV files by lake path: ``rows_per_day`` rows per day spread over ``sources``."""
    rng = random.Random(seed)
    names = sources_for(sources)
    files: dict[str, bytes] = {}
    for day in days:
        by_source: dict[str, list[list[str]]] = {name: [] for name in names}
        for source, fields in rows(day, rows_per_day, names, rng):
            by_source[source].append(fields)
        for source, records in by_source.items():
            files[raw_path(day, source)] = to_csv_bytes(records)
    return files


def corrupt(files: dict[str, bytes]) -> dict[str, bytes]:
    """Copies of ``files`` with malformed records added: one file of each kind of damage
    (the first files in path order), plus a file with a bad header."""
    out = dict(files)
    paths = sorted(files)
    damages = [
        lambda row: row.replace(row.split(",", 1)[0], "2026-13-45", 1),  # bad date
        lambda row: row.replace(row.split(",", 1)[0], "1999-01-01", 1),  # other day
        lambda row: row.rstrip("\n") + ",extra\n",  # 8 fields
        lambda row: ",".join(row.split(",")[:3]) + "\n",  # 3 fields
        lambda row: row.replace(",", ',"broken"quote', 1),  # broken quoting
        lambda row: row.rsplit(",", 1)[0] + ",yesterday\n",  # bad collected_at
        lambda row: "," + row.split(",", 1)[1],  # no date at all
    ]
    for index, (path, damage) in enumerate(zip(paths, damages, strict=False)):
        bad = damage(_plain_row(path)).encode("utf-8")
        if index % 2:  # at the end
            out[path] = out[path] + bad
        else:  # right after the header
            header, rest = out[path].split(b"\n", 1)
            out[path] = header + b"\n" + bad + rest
    if len(paths) > len(damages):
        path = paths[len(damages)]
        out[path] = out[path] + _plain_row(path).encode("utf-8")[:-20] + b"\xff\xfe\n"
    if len(paths) > len(damages) + 1:
        path = paths[len(damages) + 1]
        out[path] = out[path].replace(b"collected_at", b"fetched_at", 1)
    if len(paths) > len(damages) + 2:  # a quote that is never closed, at the very end
        path = paths[len(damages) + 2]
        out[path] = out[path] + _plain_row(path).replace(",site", ',"site').encode("utf-8")
    return out


def _plain_row(path: str) -> str:
    match = re.search(RAW_FILE, path)
    assert match, path
    day, source = match.group(2), path.rsplit("/", 1)[1].removesuffix(".csv")
    text = "Сегодня звёзды советуют не спешить"
    return f"{day},leo,general,{source},{text},https://x.example/leo,{day}T06:00:00Z\n"


def write(lake: Lake, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        lake.write_bytes(path, data)
