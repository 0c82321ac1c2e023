"""Russian words and lemmas for the offline backends (pymorphy3 + its OpenCorpora
dictionary, razdel's tokenizer)."""

from __future__ import annotations

import re
from functools import cache, lru_cache

import pymorphy3
from razdel import tokenize

#: A word: letters, possibly joined by hyphens (``кое-что``).
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@cache
def analyzer() -> pymorphy3.MorphAnalyzer:
    """The morphological analyzer, loaded once per process (about 0.3 s)."""
    return pymorphy3.MorphAnalyzer(lang="ru")


def tokens(text: str) -> list[str]:
    """Words and punctuation marks, in order."""
    return [token.text for token in tokenize(text)]


def words(text: str) -> list[str]:
    """The words of a text, whatever their script (razdel would split "cолнце", with a
    Latin c, in two)."""
    return WORD.findall(text)


def is_word(token: str) -> bool:
    return WORD.fullmatch(token) is not None


def is_russian_word(token: str) -> bool:
    """A word with at least one Cyrillic letter (mixed-script words included, so that a
    Latin look-alike inside a Russian word is caught as unknown)."""
    return is_word(token) and CYRILLIC.search(token) is not None


#: Words recur across texts: caching their analysis makes scoring several times faster.
_WORDS_CACHED = 200_000


@lru_cache(maxsize=_WORDS_CACHED)
def is_known(word: str) -> bool:
    """Whether the dictionary has this word form (a hyphenated word: whole, or each part)."""
    morph = analyzer()
    word = word.lower()
    if morph.word_is_known(word):
        return True
    parts = word.split("-")
    return len(parts) > 1 and all(morph.word_is_known(part) for part in parts)


@lru_cache(maxsize=_WORDS_CACHED)
def lemma(word: str) -> str:
    """The most likely normal form, with ё written as е (texts spell it either way)."""
    return analyzer().parse(word.lower())[0].normal_form.replace("ё", "е")
