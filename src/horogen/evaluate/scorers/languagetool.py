"""LanguageTool's Russian rules, offline: a thin wrapper over ``pylat-ru`` (pure Python, no
Java), plus the one agreement LanguageTool checks only next to the pronoun: a personal
pronoun and its verb ("вы … получишь").

``pylat-ru`` is young (0.1.0a0, pinned exactly in pyproject.toml): everything horogen uses
of it is here. Its rules see one sentence at a time, so texts are checked sentence by
sentence and each sentence's findings are cached (generated texts repeat sentences a lot).
Measured cost: docs/benchmarks.md ("Offline scorers").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from razdel import sentenize

from horogen.evaluate.scorers.russian import analyzer, words

#: Rules whose findings are not errors of a horoscope's language (none so far: the clean
#: validation texts raise no finding; add a rule id here or in the settings if one does).
DISABLED: tuple[str, ...] = ()
#: Sentences whose findings are kept.
_SENTENCES_CACHED = 100_000
#: Personal pronouns in the nominative and the person and number of their verb.
PRONOUNS = {
    "я": ("1per", "sing"),
    "ты": ("2per", "sing"),
    "он": ("3per", "sing"),
    "она": ("3per", "sing"),
    "оно": ("3per", "sing"),
    "мы": ("1per", "plur"),
    "вы": ("2per", "plur"),
    "они": ("3per", "plur"),
}
#: Words a pronoun's verb may be separated from it by (adverbs, particles).
BETWEEN = frozenset({"ADVB", "PRCL", "CONJ"})
#: How far (in words) after the pronoun its verb is looked for.
REACH = 3


@dataclass(frozen=True)
class Finding:
    """One thing a rule found wrong: the rule and the words it is about."""

    rule: str
    words: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.words!r} ({self.message})"


@cache
def _tool(disabled: tuple[str, ...]):  # -> pylat_ru.LanguageToolRU, imported when used
    """The checker, built once per set of disabled rules (about 0.7 s, then 2 s on the
    first sentence while the rules compile)."""
    from pylat_ru import LanguageToolRU

    return LanguageToolRU(disabled_rules=list(disabled))


def findings(text: str, disabled: Iterable[str] = DISABLED) -> list[Finding]:
    """What LanguageTool's rules and the pronoun-verb check find in ``text``."""
    key = tuple(sorted(disabled))
    found: list[Finding] = []
    for sentence in sentenize(text):
        found.extend(_sentence_findings(sentence.text, key))
    return found


@lru_cache(maxsize=_SENTENCES_CACHED)
def _sentence_findings(sentence: str, disabled: tuple[str, ...]) -> tuple[Finding, ...]:
    matches = _tool(disabled).check(sentence)
    found = [Finding(m.rule_id, m.original_error, m.message) for m in matches]
    if "RU_VERB_CONJUGATION" not in disabled:
        reported = {finding.words for finding in found}
        found += [f for f in pronoun_verb_findings(sentence) if f.words not in reported]
    return tuple(found)


def pronoun_verb_findings(sentence: str) -> list[Finding]:
    """A personal pronoun followed (within :data:`REACH` words, only adverbs and particles
    between) by a present or future verb none of whose readings has the pronoun's person
    and number: "вы сегодня получишь", "они делает"."""
    morph = analyzer()
    tokens = [word.lower() for word in words(sentence)]
    found = []
    for index, token in enumerate(tokens):
        if token not in PRONOUNS:
            continue
        person, number = PRONOUNS[token]
        for offset, word in enumerate(tokens[index + 1 : index + 1 + REACH], start=1):
            parses = morph.parse(word)
            finite = [p for p in parses if p.tag.POS == "VERB" and p.tag.tense != "past"]
            if finite and all(p.tag.POS == "VERB" for p in parses):
                if not any(p.tag.person == person and p.tag.number == number for p in finite):
                    span = " ".join(tokens[index : index + 1 + offset])
                    found.append(
                        Finding("RU_VERB_CONJUGATION", span, "the verb's person does not agree")
                    )
                break
            if not any(p.tag.POS in BETWEEN for p in parses):
                break
    return found
