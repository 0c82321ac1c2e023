"""The mirror's horoscope texts: Russian horoscope-like prose, with the dirt real pages have.

:func:`horoscope_text` is a :data:`~horogen.mirror.base.TextFn`. A text is a function of
(source, sign, category, day) alone: the seed is a blake2b hash of that key, so every run,
process and machine sees the same texts. A text is an opening, body sentences drawn from the
category's bank (plus advice and a line about the sign) up to a target length, and a closing
(phrase banks in ``mirror/phrases.py``). Then the dirt, each at its own rate per text:

- empty items (:data:`EMPTY_RATE`);
- syndication: for :data:`SYNDICATION_RATE` of (sign, category, day), most sources publish
  one and the same text, seeded by a key without the source;
- Latin words ("online", "deadline", "Instagram"), digits ("до 15:00", "3 раза");
- typographers' non-breaking spaces after short words, before dashes and in numbers;
- emoji (the sign's ♈ … before, ✨ ❤️ … after), "Читать далее" / "Подробнее…" tails;
- doubled spaces and stray line breaks.

Texts are :data:`MIN_LENGTH`–:data:`MAX_LENGTH` characters long, empty items aside.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re

from horogen.mirror import phrases as ph
from horogen.schema import Category
from horogen.signs import Sign

MIN_LENGTH = 200
MAX_LENGTH = 700
#: Room left below MAX_LENGTH for the dirt added after the prose is composed.
_CORE_MAX = MAX_LENGTH - 30
_TARGET_MODE = 400

EMPTY_RATE = 0.01
SYNDICATION_RATE = 0.10
#: Share of sources that take a syndicated text.
SYNDICATED_SHARE = 0.6
LATIN_RATE = 0.15
DIGITS_RATE = 0.25
NBSP_RATE = 0.30
EMOJI_RATE = 0.15
TAIL_RATE = 0.08
SPACING_RATE = 0.06

_NBSP = "\u00a0"
_SHORT_WORD = re.compile(r"(?<![\w-])(" + "|".join(ph.SHORT_WORDS) + r") +(?=\w)", re.IGNORECASE)
_DASH = re.compile(r" +— ")
_NUMBER_WORD = re.compile(r"(\d) +(?=[а-яё])")


def horoscope_text(source: str, sign: Sign, category: Category, day: dt.date) -> str:
    """The text ``source`` publishes for ``sign``, ``category`` and ``day``; may be empty."""
    if _rng("empty", source, sign, category, day).random() < EMPTY_RATE:
        return ""
    if _syndicated(source, sign, category, day):
        return _compose(_rng("syndicated", sign, category, day), sign, category, day)
    return _compose(_rng("text", source, sign, category, day), sign, category, day)


def _rng(*key: object) -> random.Random:
    """A generator seeded by ``key``: stable across processes (unlike ``hash()``)."""
    text = "\x1f".join(str(part) for part in key)
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _syndicated(source: str, sign: Sign, category: Category, day: dt.date) -> bool:
    return (
        _rng("syndication", sign, category, day).random() < SYNDICATION_RATE
        and _rng("syndication", source, sign, category, day).random() < SYNDICATED_SHARE
    )


def _compose(rng: random.Random, sign: Sign, category: Category, day: dt.date) -> str:
    slots = _slots(rng, sign, day)

    def fill(template: str) -> str:
        sentence = template.format(**slots)
        return sentence[:1].upper() + sentence[1:]

    anti = category is Category.ANTI
    opening = fill(rng.choice(ph.ANTI_OPENINGS if anti else ph.OPENINGS))
    closing = fill(rng.choice(ph.ANTI_CLOSINGS if anti else ph.CLOSINGS))

    forced = []  # the dirt that comes as whole sentences
    if rng.random() < LATIN_RATE:
        forced.append(fill(rng.choice(ph.LATIN)))
    if rng.random() < DIGITS_RATE:
        forced.append(fill(rng.choice(ph.DIGITS)))

    pool = list(ph.BODY[category])
    if category is Category.GENERAL:  # a general horoscope touches on every part of life
        for other in (Category.LOVE, Category.BUSINESS, Category.HEALTH):
            pool += rng.sample(ph.BODY[other], 2)
    pool += rng.sample(ph.ADVICE, 2 if anti else 4)
    pool.append(rng.choice(ph.SIGN_LINES[sign]))
    rng.shuffle(pool)

    target = rng.triangular(MIN_LENGTH, _CORE_MAX, _TARGET_MODE)
    body = list(forced)
    length = sum(len(s) + 1 for s in (opening, closing, *body))
    for template in pool:
        if length >= target:
            break
        sentence = fill(template)
        if sentence in body or length + len(sentence) + 1 > _CORE_MAX:
            continue
        body.insert(rng.randrange(len(body) + 1), sentence)
        length += len(sentence) + 1

    return _dirty(rng, [opening, *body, closing], sign, category)


def _slots(rng: random.Random, sign: Sign, day: dt.date) -> dict[str, object]:
    nom, dat, gen = ph.SIGN_FORMS[sign]
    hour = rng.randint(9, 20)
    grouping = rng.choice((_NBSP, _NBSP, " ", ""))  # how the site writes 10 000

    def thousands(number: int) -> str:
        return f"{number:,}".replace(",", grouping)

    return {
        "nom": nom,
        "dat": dat,
        "gen": gen,
        "trait": rng.choice(ph.TRAITS[sign]),
        "planet_gen": ph.PLANET_GEN[sign],
        "element": ph.ELEMENT_GEN[sign],
        "weekday": ph.WEEKDAYS[day.weekday()],
        "date": f"{day.day} {ph.MONTHS_GEN[day.month - 1]}",
        "color": rng.choice(ph.COLORS),
        "lucky": rng.randint(1, 99),
        "time": f"{hour}:{rng.choice(('00', '30'))}",
        "hour": hour,
        "hour2": hour + rng.randint(1, 3),
        "minutes": rng.choice((15, 20, 30, 40)),
        "few": rng.randint(2, 4),
        "many": rng.randint(5, 8),
        "percent": rng.randrange(60, 95, 5),
        "money": thousands(rng.choice((1000, 2000, 3000, 5000, 10000))),
        "steps": thousands(rng.choice((5000, 8000, 10000))),
    }


def _dirty(rng: random.Random, sentences: list[str], sign: Sign, category: Category) -> str:
    """Join the sentences the way a real page would show them."""
    separators = [" "] * (len(sentences) - 1)
    if rng.random() < SPACING_RATE:
        separators[rng.randrange(len(separators))] = rng.choice(("  ", "\n", "\n\n", " \n"))
    if rng.random() < SPACING_RATE:
        i = rng.randrange(len(sentences))
        sentences[i] = sentences[i].replace(" ", "  ", 1)
    text = sentences[0] + "".join(sep + s for sep, s in zip(separators, sentences[1:], strict=True))

    if rng.random() < NBSP_RATE:  # a typographer ran over the text
        text = _SHORT_WORD.sub(lambda m: m.group(1) + _NBSP, text)
        text = _DASH.sub(_NBSP + "— ", text)
        text = _NUMBER_WORD.sub(lambda m: m.group(1) + _NBSP, text)

    if rng.random() < EMOJI_RATE:
        if rng.random() < 0.5:
            text = f"{sign.emoji} {text}"
        else:
            text = f"{text} {rng.choice(ph.CATEGORY_EMOJI.get(category, ph.EMOJI_AFTER))}"
    if rng.random() < TAIL_RATE:
        text += rng.choice((" ", "\n")) + rng.choice(ph.TAILS)
    return text
