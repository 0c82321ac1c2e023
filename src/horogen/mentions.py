"""Where a Russian text names a zodiac sign, a weekday, a day or a month, in any case form.

Training turns a text's mentions of its own sign and date into slots
(:mod:`horogen.train.slots`); the ``consistency`` metric fails a text that names any other
(:mod:`horogen.evaluate.scorers.consistency`). Both read :func:`find_mentions`.

Every form comes from pymorphy3: each lemma's lexeme (all its forms with their grammemes)
is indexed once, so "Львам", "Льву", "Львов" are all Leo, "среду", "среды", "средам" all
Wednesday, and a text is scanned with dictionary look-ups instead of a parse per word.
Where a form stands for several cases ("Деве": dative or locative), the preposition before
it decides ("о Деве": locative), else the commonest reading.

Homonyms are handled where horoscopes meet them:

- a sign counts only when capitalized ("Рыбам", not "рыба на ужин"; "Рак", not "рак"),
  and Pisces only in the plural ("Рыба" at a sentence's start is a fish);
- "среда" is not Wednesday after an adjective ("в рабочей среде", "окружающая среда")
  nor in the locative ("в среде"): Wednesday is "в среду";
- a number is a day only right before a month in the genitive ("2 декабря"), never alone
  ("2 часа").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, Literal

from horogen.calendar_ru import WEEKDAYS
from horogen.signs import Sign

Kind = Literal["sign", "weekday", "day", "month"]

#: The lemma of each sign's name, as pymorphy3 gives it (Близнецы → близнец, Рыбы → рыба).
SIGN_LEMMAS: dict[Sign, str] = {
    Sign.ARIES: "овен",
    Sign.TAURUS: "телец",
    Sign.GEMINI: "близнец",
    Sign.CANCER: "рак",
    Sign.LEO: "лев",
    Sign.VIRGO: "дева",
    Sign.LIBRA: "весы",
    Sign.SCORPIO: "скорпион",
    Sign.SAGITTARIUS: "стрелец",
    Sign.CAPRICORN: "козерог",
    Sign.AQUARIUS: "водолей",
    Sign.PISCES: "рыба",
}
#: Signs named only in the plural.
PLURAL_ONLY = frozenset({Sign.PISCES, Sign.GEMINI, Sign.LIBRA})
#: The months' lemmas, January first (the weekdays' are their names).
MONTHS = (
    *("январь", "февраль", "март", "апрель", "май", "июнь"),
    *("июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"),
)
#: The cases a slot names (pymorphy3's second genitive, locative and accusative fold in).
CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
_FOLD = {"gen2": "gent", "gen1": "gent", "loc2": "loct", "loc1": "loct", "acc2": "accs"}
#: The cases a preposition allows, for forms that could be several.
PREPOSITION_CASES: dict[str, frozenset[str]] = {
    **dict.fromkeys(("в", "во", "на"), frozenset({"accs", "loct"})),
    **dict.fromkeys(("о", "об", "обо", "при"), frozenset({"loct"})),
    **dict.fromkeys(("к", "ко", "по"), frozenset({"datv"})),
    **dict.fromkeys(("за", "под", "над", "перед", "между"), frozenset({"ablt", "accs"})),
    **dict.fromkeys(("с", "со"), frozenset({"gent", "ablt"})),
    **dict.fromkeys(
        ("до", "от", "из", "у", "для", "без", "после", "около", "кроме", "среди", "накануне"),
        frozenset({"gent"}),
    ),
    **dict.fromkeys(("про", "через"), frozenset({"accs"})),
}
#: Which case wins when neither the form nor a preposition decides.
_PREFERENCE = ("nomn", "accs", "gent", "datv", "ablt", "loct")
_WORD = re.compile(r"[А-Яа-яЁё]+(?:-[А-Яа-яЁё]+)*|\d+")


@dataclass(frozen=True)
class Mention:
    """One mention: what it names and how it is inflected, and where it stands."""

    kind: Kind
    #: A sign's slug, a weekday (0 = Monday), a day of the month or a month (1–12).
    value: str | int
    word: str
    start: int
    end: int
    #: The case (``nomn`` … ``loct``) and number (``sing``/``plur``); ``None`` for a day.
    case: str | None = None
    number: str | None = None

    def names(self, sign: Sign | str, day: dt.date) -> bool:
        """Whether this mention is of ``sign`` or ``day`` (its weekday, day, month)."""
        own: dict[Kind, str | int] = {
            "sign": Sign(sign).value,
            "weekday": day.weekday(),
            "day": day.day,
            "month": day.month,
        }
        return own[self.kind] == self.value


@dataclass(frozen=True)
class _Reading:
    kind: Kind
    value: str | int
    case: str
    number: str


@cache
def morph_analyzer() -> Any:
    """pymorphy3's Russian analyzer (about 0.1 s to build, ~15 MB), once per process."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@cache
def _forms() -> dict[str, tuple[_Reading, ...]]:
    """Every lower-case form of every sign, weekday and month, with its readings."""
    entries: list[tuple[Kind, str | int, str]] = [
        ("sign", sign.value, lemma) for sign, lemma in SIGN_LEMMAS.items()
    ]
    entries += [("weekday", index, lemma) for index, lemma in enumerate(WEEKDAYS)]
    entries += [("month", index + 1, lemma) for index, lemma in enumerate(MONTHS)]
    found: dict[str, list[_Reading]] = {}
    for kind, value, lemma in entries:
        for form in lexeme(lemma, animate=kind == "sign"):
            case = _FOLD.get(form.tag.case, form.tag.case)
            if case not in CASES:
                continue
            number = form.tag.number or "plur"  # pluralia tantum (весы) carry none
            reading = _Reading(kind, value, case, number)
            readings = found.setdefault(form.word.replace("ё", "е"), [])
            if reading not in readings:
                readings.append(reading)
    return {form: tuple(readings) for form, readings in found.items()}


def lexeme(lemma: str, *, animate: bool = False) -> list[Any]:
    """pymorphy3's forms of the noun ``lemma`` (its animate reading first when asked)."""
    parses = [
        p for p in morph_analyzer().parse(lemma) if p.normal_form == lemma and "NOUN" in p.tag
    ]
    if animate:
        parses.sort(key=lambda p: "anim" not in p.tag)
    if not parses:
        raise ValueError(f"pymorphy3 does not know the noun {lemma!r}")
    return list(parses[0].lexeme)


def find_mentions(text: str) -> list[Mention]:
    """Every sign, weekday, day and month ``text`` names, in order."""
    forms = _forms()
    words = list(_WORD.finditer(text))
    mentions: list[Mention] = []
    for index, match in enumerate(words):
        word = match.group()
        readings = forms.get(word.lower().replace("ё", "е"))
        if not readings:
            continue
        before = words[index - 1].group().lower() if index else ""
        reading = _reading(word, readings, before, partial(_before_is_adjective, words, index))
        if reading is None:
            continue
        if reading.kind == "month" and index and words[index - 1].group().isdigit():
            day = words[index - 1]
            if reading.case == "gent" and 1 <= int(day.group()) <= 31:
                mentions.append(Mention("day", int(day.group()), day.group(), *day.span()))
        mentions.append(
            Mention(reading.kind, reading.value, word, *match.span(), reading.case, reading.number)
        )
    return mentions


def _reading(
    word: str, readings: tuple[_Reading, ...], before: str, after_adjective: Callable[[], bool]
) -> _Reading | None:
    """The reading of ``word`` in its place, or ``None`` when it is not a mention."""
    kind = readings[0].kind
    if kind == "sign":
        if not word[:1].isupper():
            return None
        readings = tuple(
            r for r in readings if r.number == "plur" or Sign(r.value) not in PLURAL_ONLY
        )
    if kind == "weekday" and readings[0].value == 2:  # среда: also "environment"
        allowed = PREPOSITION_CASES.get(before)
        if after_adjective() or (allowed and not _cases(readings) & (allowed - {"loct"})):
            return None  # "в рабочей среде", "в среде"
        readings = tuple(r for r in readings if r.case != "loct")
    if not readings:
        return None
    allowed = PREPOSITION_CASES.get(before)
    if allowed:
        fitting = tuple(r for r in readings if r.case in allowed)
        if kind == "weekday":  # в/на + a weekday: the accusative ("в среду")
            fitting = tuple(r for r in fitting if r.case != "loct") or fitting
        readings = fitting or readings
    return min(readings, key=lambda r: _PREFERENCE.index(r.case))


def _cases(readings: tuple[_Reading, ...]) -> set[str]:
    return {reading.case for reading in readings}


def _before_is_adjective(words: list[re.Match[str]], index: int) -> bool:
    if not index:
        return False
    word = words[index - 1].group()
    if word.isdigit():
        return False
    return any(p.tag.POS in {"ADJF", "PRTF"} for p in morph_analyzer().parse(word)[:2])


def foreign_mentions(text: str, sign: Sign | str, day: dt.date) -> list[Mention]:
    """The mentions in ``text`` of any sign or date other than ``sign`` and ``day``."""
    return [mention for mention in find_mentions(text) if not mention.names(sign, day)]
