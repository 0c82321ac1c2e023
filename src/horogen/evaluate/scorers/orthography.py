"""Offline acceptability: an orthography check, not a judgement of grammar or sense.

A text passes when every Russian word is a form in pymorphy3's dictionary and every
sentence (razdel's split) starts with a capital letter and ends with . ! ? or …, with a
space after each sentence end. A text can pass and still be nonsense; what this catches is
what a small generator gets wrong first: made-up words ("облакаы") and broken sentences.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from razdel import sentenize

from horogen.evaluate.scorers.base import Scorer, ScoringContext
from horogen.evaluate.scorers.russian import is_known, is_russian_word, is_word, tokens, words

#: What may close a sentence, and what may follow that mark (closing quotes, brackets).
TERMINAL = ".!?…"
CLOSERS = "»\"”’')]"
#: A sentence end glued to the next sentence: "день.Завтра".
GLUED = re.compile(r"[^\W\d_]{2,}[.!?…]+[«\"]?[А-ЯЁA-Z]")
#: Words this short before a period are abbreviations (т. е., и т. д., г.), not sentence ends.
ABBREVIATION_MAX = 3


def problems(text: str) -> list[str]:
    """What keeps a text from passing, in words; empty when it passes."""
    if not text.strip():
        return ["empty text"]
    found = [f"unknown word {word!r}" for word in _unknown_words(text)]
    for number, sentence in enumerate(sentenize(text), start=1):
        found.extend(f"sentence {number}: {issue}" for issue in _sentence_problems(sentence.text))
    if GLUED.search(text):
        found.append("no space after a sentence end")
    return found


def _unknown_words(text: str) -> list[str]:
    unknown: list[str] = []
    for word in words(text):
        if is_russian_word(word) and not is_known(word) and word not in unknown:
            unknown.append(word)
    return unknown


def _sentence_problems(sentence: str) -> list[str]:
    found = []
    first_letter = next((char for char in sentence if char.isalpha()), None)
    if first_letter is not None and not first_letter.isupper():
        found.append("starts with a small letter")
    if not sentence.rstrip(CLOSERS).endswith(tuple(TERMINAL)):
        found.append("does not end with . ! ? or …")
    if _lowercase_after_end(tokens(sentence)):
        found.append("a small letter follows a sentence end")
    return found


def _lowercase_after_end(parts: list[str]) -> bool:
    """razdel keeps "день. завтра" as one sentence; a period after a long word followed by a
    small letter is a sentence end all the same."""
    for before, mark, after in zip(parts, parts[1:], parts[2:], strict=False):
        if (
            mark in {".", "!", "?", "…", "..."}
            and is_word(before)
            and (len(before) > ABBREVIATION_MAX or mark != ".")
            and is_word(after)
            and after[0].islower()
        ):
            return True
    return False


class OrthographyScorer(Scorer):
    """Acceptability as an orthography check: 1 when ``problems(text)`` is empty."""

    def score(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[float]:
        return [0.0 if problems(text) else 1.0 for text in texts]
