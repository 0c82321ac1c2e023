"""LanguageTool's Russian rules, offline: a thin wrapper over ``pylat-ru`` (pure Python, no
Java), plus two agreements its rules see only in some forms: a personal pronoun and its
verb ("вы … получишь"; LanguageTool only next to each other) and an adjective and the noun
right after it ("первая шаг", "нового информацию"; LanguageTool's rules only in some
cases), both checked over every reading pymorphy3 gives.

``pylat-ru`` is young (0.1.0a0, pinned exactly in pyproject.toml): everything horogen uses
of it is here. Its rules see one sentence at a time, so texts are checked sentence by
sentence and each sentence's findings are cached (generated texts repeat sentences a lot).
Measured cost: docs/benchmarks.md ("Offline scorers").
"""

from __future__ import annotations

import itertools
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
#: The rule id horogen's adjective-noun check reports under (LanguageTool's own).
AGREEMENT = "Unify_Adj_NN_gender"
ADJECTIVES = frozenset({"ADJF", "PRTF"})


@dataclass(frozen=True)
class Finding:
    """One thing a rule found wrong: the rule and the words it is about."""

    rule: str
    words: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.words!r} ({self.message})"


#: What acceptability counts of LanguageTool: its grammar and spelling rules (XML rules of
#: these categories, and these native rules); punctuation, style, typography and the rest
#: are off, which also makes a check about a third faster.
CATEGORIES = frozenset({"GRAMMAR", "TYPOS"})
NATIVE = frozenset({"MORFOLOGIK_RULE_RU_RU", "RU_VERB_CONJUGATION", "WORD_REPEAT_RULE"})


@cache
def _tool(disabled: tuple[str, ...]):  # -> pylat_ru.LanguageToolRU, imported when used
    """The checker, built once per set of disabled rules (about 0.7 s, then 2 s on the
    first sentence while the rules compile)."""
    from pylat_ru import LanguageToolRU

    every = LanguageToolRU()
    off = {r.id for r in every.grammar_engine.get_all_rules() if r.category_id not in CATEGORIES}
    off |= {r.rule_id for r in every.java_rules_engine.rules if r.rule_id not in NATIVE}
    return LanguageToolRU(disabled_rules=sorted(off | set(disabled)))


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
    reported = {finding.words.lower() for finding in found}
    own = []
    if "RU_VERB_CONJUGATION" not in disabled:
        own += pronoun_verb_findings(sentence)
    if AGREEMENT not in disabled:
        own += adjective_noun_findings(sentence)
    return tuple(found + [f for f in own if f.words not in reported])


def _agree(adjective, noun) -> bool:
    """Same case and number, and in the singular the same gender (or a noun of common
    gender, "сирота")."""
    a, n = adjective.tag, noun.tag
    if a.case != n.case or a.number != n.number:
        return False
    return n.number == "plur" or a.gender == n.gender or "Ms-f" in n or n.gender is None


def adjective_noun_findings(sentence: str) -> list[Finding]:
    """An adjective (or participle) right before a noun, each the most likely reading of
    its word, with no pair of their readings agreeing in gender, number and case."""
    morph = analyzer()
    tokens = words(sentence)
    found = []
    for first, second in itertools.pairwise(tokens):
        if sentence.find(f"{first} {second}") < 0:
            continue  # something between them (a comma, a dash): not one phrase
        adjectives = morph.parse(first.lower())
        nouns = morph.parse(second.lower())
        if adjectives[0].tag.POS not in ADJECTIVES or nouns[0].tag.POS != "NOUN":
            continue
        adjectives = [p for p in adjectives if p.tag.POS in ADJECTIVES]
        nouns = [p for p in nouns if p.tag.POS == "NOUN"]
        if not any(_agree(a, n) for a in adjectives for n in nouns):
            found.append(Finding(AGREEMENT, f"{first} {second}".lower(), "no agreement"))
    return found


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
