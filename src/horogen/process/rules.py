"""The cleaning rules, declared once as data that both engines read.

``local.py`` (polars) and ``spark.py`` (PySpark) do not spell a rule of their own: they walk
:func:`cleaning_steps` and :data:`DROP_RULES` and translate each step into their own
expressions. :func:`clean_text` and :func:`classify` run the same data with Python's ``re``:
the reference the unit tests hold both engines to.

What the rules do to a text, in order:

1. ``compose``: a decomposed й or ё (и + U+0306, е + U+0308) becomes the single letter.
2. ``normalize``: non-breaking and other Unicode spaces (:data:`UNICODE_SPACES`) become a
   space; typographic variants become the punctuation we keep (“ ” „ → ", ‑ − → -);
   invisible characters (soft hyphen, zero-width spaces and joiners, BOM, combining
   accents such as stress marks) are deleted, so a word they sit in stays whole.
3. ``disallowed``: every run of characters outside the kept set — Russian letters and the
   punctuation . , ! ? : ; - – — « » " ( ) … — becomes one space, so words never glue;
   spaces count as part of a run, so this step also collapses whitespace (paragraphs
   become one line). **Digits** are in the set by default ("хотя бы 2 часа", "до 15:00"
   stay: without them the corpus is ungrammatical where a number stood, and the dates
   "2 декабря" that training turns into slots would lose their day); ``keep_digits =
   false`` in ``[process]`` is the original's behaviour ("до 15:00" becomes "до:").
   **Latin letters** are outside it ("Wi-Fi" becomes "-") unless ``keep_latin = true``.
4. ``tails``: site tails at the very end ("Читать далее", "Подробнее…", with whatever
   punctuation follows) are cut when they stand after a sentence's end or alone; "Изучите
   документы подробнее." keeps its last word.
5. ``space_before_closing`` / ``space_after_opening``: removal leaves "новый , и";
   no space before , . ! ? : ; … ) » and none after ( «.
6. ``strip``: no space at either end.

Then each row is judged by :data:`DROP_RULES`, the first that applies naming why it went:
``missing_sign`` (no sign), ``unknown_sign`` (not one of the 12 slugs, compared exactly),
``empty_text`` (nothing left after cleaning), ``mixed_script`` (a word that mixes Latin and
Russian letters, such as "Cегодня" with a Latin C: spam or OCR, which cleaning would cut
into pieces), ``too_short`` / ``too_long`` (cleaned length outside
``min_length``–``max_length``, inclusive, counted in characters), ``duplicate`` (a text
already kept that day; the row kept is the first by :data:`DEDUP_ORDER`). ``malformed``
counts raw rows that could not be read at all (see ``rawcsv.py``).

Regexes here use only what Rust's regex crate (polars), ``java.util.regex`` (Spark) and
Python's ``re`` read alike: literal characters, classes with ranges, ``+ *``, alternation,
groups, scoped ``(?iu:…)`` flags, ``$1`` in replacements, and ``^ $`` on texts that no longer
hold line breaks. A step's ``trigger`` (a regex found in every text the step changes) lets
an engine skip texts the step would leave alone; :func:`impure_pattern` does the same for
the normalize and removal steps as a whole.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from horogen.process.settings import ProcessSettings
from horogen.signs import Sign

#: The signs a row may carry: slugs, compared exactly.
SIGNS: tuple[str, ...] = tuple(sign.value for sign in Sign)

#: Russian letters (a class fragment: ranges for ``[...]``).
CYRILLIC = "А-Яа-яЁё"
LATIN = "A-Za-z"
DIGITS = "0-9"
#: Punctuation that stays, as characters.
PUNCTUATION = '.,!?:;-–—«»"()…'
#: Punctuation no space goes before, and after which none follows.
CLOSING = ",.!?:;…)»"
OPENING = "(«"
#: Punctuation that may stand between a sentence's end and a site tail, or after the tail.
SENTENCE_END = '.!?…»")'

#: Spaces other than U+0020 (including line breaks): each becomes a space.
UNICODE_SPACES: tuple[str, ...] = (
    "\t", "\n", "\x0b", "\x0c", "\r", "\x85",
    "\u00a0",  # no-break space: the original cut the text at the first one
    "\u1680",
    *(chr(code) for code in range(0x2000, 0x200B)),  # en quad … hair space
    "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
)  # fmt: skip

#: Characters deleted outright (not replaced by a space): they sit inside words.
INVISIBLE: tuple[str, ...] = (
    "\u00ad",  # soft hyphen
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",  # zero-width space/joiners, BOM
    *(chr(code) for code in range(0x0300, 0x0370)),  # combining marks: stress accents
)  # fmt: skip

#: Decomposed letters, composed before combining marks are deleted.
COMPOSE: dict[str, str] = {"и\u0306": "й", "И\u0306": "Й", "е\u0308": "ё", "Е\u0308": "Ё"}

#: Typographic variants of the punctuation we keep.
EQUIVALENTS: dict[str, str] = {
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"',
    "\u2010": "-", "\u2011": "-", "\u2212": "-",  # hyphen, non-breaking hyphen, minus
    "\u2012": "–",  # figure dash
    "\u2015": "—",  # horizontal bar
}  # fmt: skip

#: Site tails, lower case (matched in any case) and with single spaces.
TAILS: tuple[str, ...] = (
    "читать далее",
    "читать дальше",
    "читать полностью",
    "читать продолжение",
    "показать полностью",
    "узнать подробнее",
    "узнать больше",
    "подробнее",
)

#: Why a row is dropped, in the order rules are tried; a report counts every one of them.
DROP_RULES: tuple[str, ...] = (
    "malformed",
    "missing_sign",
    "unknown_sign",
    "empty_text",
    "mixed_script",
    "too_short",
    "too_long",
    "duplicate",
)

#: Among rows with the same cleaned text on a day, the first in this order is kept. Rows
#: equal in all of these and in the cleaned text are equal in every output column.
DEDUP_ORDER: tuple[str, ...] = ("source", "sign", "category", "url", "collected_at")

#: The order of rows in a processed partition (text_hash is unique within a day).
OUTPUT_ORDER: tuple[str, ...] = ("date", "sign", "category", "source", "text_hash")

#: A word mixing Latin and Russian letters.
MIXED_SCRIPT = f"[{CYRILLIC}][{LATIN}]|[{LATIN}][{CYRILLIC}]"


@dataclass(frozen=True)
class Substitute:
    """Replace each key by its value, literally. No key overlaps another, so applying the
    keys one after another and all at once (Aho-Corasick) give the same text."""

    name: str
    mapping: Mapping[str, str]
    #: A regex found in every text this step changes (``None``: no cheap one); an engine
    #: may skip the step for texts without a match, which changes nothing.
    trigger: str | None = None

    @property
    def single_chars(self) -> bool:
        """Every key one character and every value at most one (Spark's ``translate``)."""
        return all(len(key) == 1 and len(value) <= 1 for key, value in self.mapping.items())


@dataclass(frozen=True)
class Replace:
    """Replace every match of ``pattern``; ``replacement`` may hold ``$1``."""

    name: str
    pattern: str
    replacement: str
    trigger: str | None = None


@dataclass(frozen=True)
class Strip:
    """Remove ``chars`` from both ends."""

    name: str
    chars: str = " "
    trigger: str | None = None


Step = Substitute | Replace | Strip


def class_escape(chars: str) -> str:
    """``chars`` as members of a regex class, escaped alike for Rust, Java and Python."""
    return "".join("\\" + char if char in "\\]-[^&~" else char for char in chars)


def allowed_class(settings: ProcessSettings) -> str:
    """The inside of the ``[...]`` class of what a cleaned text may hold besides spaces."""
    return (
        CYRILLIC
        + (LATIN if settings.keep_latin else "")
        + (DIGITS if settings.keep_digits else "")
        + class_escape(PUNCTUATION)
    )


def tails_pattern() -> str:
    phrases = "|".join(re.escape(tail).replace("\\ ", " ") for tail in TAILS)
    punctuation = class_escape(" ,:;-–—«" + SENTENCE_END)
    return f"(^|[{class_escape(SENTENCE_END)}]) *(?:(?iu:{phrases})[{punctuation}]*)+$"


def normalize_steps() -> tuple[Step, ...]:
    """What runs before the mixed-script check: nothing here removes a letter."""
    mapping = {space: " " for space in UNICODE_SPACES} | EQUIVALENTS
    mapping |= {char: "" for char in INVISIBLE}
    compose_trigger = "[" + "".join(sorted({key[-1] for key in COMPOSE})) + "]"
    return (
        Substitute("compose", COMPOSE, trigger=compose_trigger),
        Substitute("normalize", mapping),
    )


def removal_steps(settings: ProcessSettings) -> tuple[Step, ...]:
    """Every run of what is not kept (and of spaces, when longer than one) → one space.

    The pattern matches only the runs that change: a single space stays untouched."""
    kept = allowed_class(settings)
    return (Replace("disallowed", f"[^{kept}]*[^{kept} ][^{kept}]*|  +", " "),)


def finishing_steps() -> tuple[Step, ...]:
    """Tails and spacing around punctuation; each names a cheap trigger."""
    closing = f" ([{class_escape(CLOSING)}])"
    opening = f"([{class_escape(OPENING)}]) "
    opening_trigger = "|".join(re.escape(char) + " " for char in OPENING)
    tails = tails_pattern()
    return (
        Replace("tails", tails, "$1", trigger=tails),
        Replace("space_before_closing", closing, "$1", trigger=closing),
        Replace("space_after_opening", opening, "$1", trigger=opening_trigger),
        Strip("strip", " ", trigger="^ | $"),
    )


def filter_steps(settings: ProcessSettings) -> tuple[Step, ...]:
    """What runs after the mixed-script check, to the cleaned text."""
    return removal_steps(settings) + finishing_steps()


def cleaning_steps(settings: ProcessSettings) -> tuple[Step, ...]:
    """Every step from a raw text to a cleaned one."""
    return normalize_steps() + filter_steps(settings)


def impure_pattern(settings: ProcessSettings) -> str:
    """Matches a text unless it holds only kept characters and single inner spaces; the
    normalize and removal steps leave a text without a match as it is."""
    return f"[^{allowed_class(settings)} ]|  |^ | $"


def text_hash(text: str) -> str:
    """SHA-256 of the cleaned text's UTF-8, in lower-case hex (Spark: ``sha2(text, 256)``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the reference implementation (Python's re), used by tests and small callers ---------


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _python_replacement(replacement: str) -> str:
    return re.sub(r"\$(\d)", r"\\\1", replacement)


def apply_steps(text: str, steps: tuple[Step, ...]) -> str:
    """Run ``steps`` over one text with Python's ``re``."""
    for step in steps:
        if isinstance(step, Substitute):
            for key, value in step.mapping.items():
                text = text.replace(key, value)
        elif isinstance(step, Replace):
            text = _compiled(step.pattern).sub(_python_replacement(step.replacement), text)
        else:
            text = text.strip(step.chars)
    return text


def clean_text(text: str | None, settings: ProcessSettings | None = None) -> str:
    """The cleaned text, as both engines compute it."""
    return apply_steps(text or "", cleaning_steps(settings or ProcessSettings()))


def classify(
    sign: str | None, text: str | None, settings: ProcessSettings | None = None
) -> tuple[str | None, str]:
    """``(rule, cleaned)``: the rule that drops the row (``None`` when kept) and the cleaned
    text; ``duplicate`` and ``malformed`` need more than one row and are not decided here."""
    settings = settings or ProcessSettings()
    normalized = apply_steps(text or "", normalize_steps())
    cleaned = apply_steps(normalized, filter_steps(settings))
    if not sign:
        return "missing_sign", cleaned
    if sign not in SIGNS:
        return "unknown_sign", cleaned
    if not cleaned:
        return "empty_text", cleaned
    if _compiled(MIXED_SCRIPT).search(normalized):
        return "mixed_script", cleaned
    if len(cleaned) < settings.min_length:
        return "too_short", cleaned
    if len(cleaned) > settings.max_length:
        return "too_long", cleaned
    return None, cleaned


def describe(settings: ProcessSettings | None = None) -> dict[str, object]:
    """The rules as a plain dict (for reports and docs)."""
    settings = settings or ProcessSettings()
    return {
        "min_length": settings.min_length,
        "max_length": settings.max_length,
        "keep_latin": settings.keep_latin,
        "keep_digits": settings.keep_digits,
        "drop_rules": list(DROP_RULES),
        "steps": [step.name for step in cleaning_steps(settings)],
    }
