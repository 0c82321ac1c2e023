"""Build ``labelled.jsonl``, the scorers' validation set, from the texts written for it.

Written by hand: ``clean.txt`` (48 horoscope texts, correct Russian, neutral or positive),
``negative.txt`` (12 gloomy ones, correct Russian), ``paraphrases.tsv`` (12 texts of
clean.txt said again in other words: the clean line number, a tab, the paraphrase).
Generated here, one of each kind per clean text where the text allows it, deterministic:

- ``nonword``: one word edited (a letter doubled, two swapped, one dropped) into a form
  pymorphy3's dictionary does not have;
- ``agreement``: an adjective before its noun put in another gender ("хорошая день");
- ``conjugation``: the verb after a personal pronoun put in another person ("вы получишь");
- ``noun_subject``: the verb after a noun subject put in the other number ("звёзды
  советует"), which the offline scorer is not expected to catch: kept to say so;
- ``near_copy``: a text of the novelty corpus (the first half of clean.txt) with one late
  word changed, or with a short sentence put before it.

Rerun after editing the written texts: ``python tests/data/scorers/build.py``.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pymorphy3

HERE = Path(__file__).parent
#: The first CORPUS clean texts are the novelty corpus; the rest are fresh texts.
CORPUS = 24
WORD_CHARS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
PRONOUNS = {"я", "ты", "он", "она", "оно", "мы", "вы", "они"}
PERSONS = [("1per", "sing"), ("2per", "sing"), ("3per", "sing"), ("1per", "plur"),
           ("2per", "plur"), ("3per", "plur")]  # fmt: skip
OPENERS = ["Сегодня особенный день.", "Звёзды говорят ясно.", "Слушайте себя."]

morph = pymorphy3.MorphAnalyzer(lang="ru")


def written() -> tuple[list[str], list[str], list[tuple[int, str]]]:
    clean = (HERE / "clean.txt").read_text("utf-8").splitlines()
    negative = (HERE / "negative.txt").read_text("utf-8").splitlines()
    paraphrases = []
    for line in (HERE / "paraphrases.tsv").read_text("utf-8").splitlines():
        number, text = line.split("\t")
        paraphrases.append((int(number) - 1, text))
    return clean, negative, paraphrases


def split_words(text: str) -> list[tuple[int, int]]:
    """(start, end) of each Cyrillic word."""
    spans, start = [], None
    for index, char in enumerate(text + " "):
        if char.lower() in WORD_CHARS:
            start = index if start is None else start
        elif start is not None:
            spans.append((start, index))
            start = None
    return spans


def replace(text: str, span: tuple[int, int], word: str) -> str:
    original = text[span[0] : span[1]]
    if original[0].isupper():
        word = word[0].upper() + word[1:]
    return text[: span[0]] + word + text[span[1] :]


def nonword(text: str, rng: random.Random) -> tuple[str, str] | None:
    spans = [s for s in split_words(text) if s[1] - s[0] >= 5]
    rng.shuffle(spans)
    for span in spans:
        word = text[span[0] : span[1]].lower()
        at = rng.randrange(1, len(word) - 2)
        edits = [
            word[:at] + word[at] + word[at:],  # a letter doubled
            word[:at] + word[at + 1] + word[at] + word[at + 2 :],  # two swapped
            word[:at] + word[at + 1 :],  # one dropped
        ]
        rng.shuffle(edits)
        for edited in edits:
            if edited != word and not morph.word_is_known(edited):
                return replace(text, span, edited), edited
    return None


def _parses(word: str, pos: str) -> list:
    return [p for p in morph.parse(word) if pos == p.tag.POS]


def agreement(text: str, rng: random.Random) -> tuple[str, str] | None:
    spans = split_words(text)
    pairs = list(itertools.pairwise(spans))
    rng.shuffle(pairs)
    for adjective, noun in pairs:
        a_word, n_word = text[slice(*adjective)].lower(), text[slice(*noun)].lower()
        if text[adjective[1] : noun[0]] != " ":
            continue
        nouns = [p for p in _parses(n_word, "NOUN") if p.tag.number == "sing" and p.tag.gender]
        adjectives = _parses(a_word, "ADJF")
        if not nouns or not adjectives or len({p.tag.gender for p in nouns}) > 1:
            continue
        gender, case = nouns[0].tag.gender, nouns[0].tag.case
        if not any(p.tag.gender == gender and p.tag.case == case for p in adjectives):
            continue
        for other in sorted({"masc", "femn", "neut"} - {gender}):
            inflected = adjectives[0].inflect({other, case, "sing"})
            if inflected is None or inflected.word == a_word:
                continue
            readings = _parses(inflected.word, "ADJF")
            if any(p.tag.gender == gender and p.tag.case == case for p in readings):
                continue  # the same spelling fits the noun too ("хорошего")
            return replace(text, adjective, inflected.word), f"{inflected.word} {n_word}"
    return None


def conjugation(text: str, rng: random.Random) -> tuple[str, str] | None:
    spans = split_words(text)
    for index, span in enumerate(spans):
        if text[slice(*span)].lower() not in PRONOUNS:
            continue
        for verb_span in spans[index + 1 : index + 4]:
            parses = morph.parse(text[slice(*verb_span)].lower())
            finite = [p for p in parses if p.tag.POS == "VERB" and p.tag.tense != "past"]
            if not finite:
                if any(p.tag.POS in {"ADVB", "PRCL"} for p in parses):
                    continue
                break
            own = (finite[0].tag.person, finite[0].tag.number)
            others = [person for person in PERSONS if person != own]
            rng.shuffle(others)
            for person, number in others:
                inflected = finite[0].inflect({person, number})
                word = text[slice(*verb_span)].lower()
                if inflected is not None and inflected.word != word:
                    changed = replace(text, verb_span, inflected.word)
                    return changed, f"{text[slice(*span)].lower()} … {inflected.word}"
            break
    return None


def noun_subject(text: str, rng: random.Random) -> tuple[str, str] | None:
    spans = split_words(text)
    for noun, verb in itertools.pairwise(spans):
        nouns = _parses(text[slice(*noun)].lower(), "NOUN")
        verbs = _parses(text[slice(*verb)].lower(), "VERB")
        if not nouns or not verbs or text[noun[1] : verb[0]] != " ":
            continue
        if nouns[0].tag.case != "nomn" or verbs[0].tag.person != "3per":
            continue
        number = "sing" if verbs[0].tag.number == "plur" else "plur"
        inflected = verbs[0].inflect({number})
        if inflected is not None:
            return replace(text, verb, inflected.word), f"{text[slice(*noun)]} {inflected.word}"
    return None


def near_copy(text: str, rng: random.Random) -> tuple[str, str]:
    spans = split_words(text)
    if rng.random() < 0.5:
        span = spans[rng.randrange(len(spans) * 3 // 4, len(spans))]
        return replace(text, span, "внезапно"), "one late word changed"
    opener = rng.choice(OPENERS)
    return f"{opener} {text}", f"{opener!r} put before"


def build() -> list[dict[str, object]]:
    clean, negative, paraphrases = written()
    rows: list[dict[str, object]] = []
    rows += [{"kind": "clean", "of": i, "text": t} for i, t in enumerate(clean)]
    rows += [{"kind": "negative", "of": i, "text": t} for i, t in enumerate(negative)]
    rows += [{"kind": "paraphrase", "of": i, "text": t} for i, t in paraphrases]
    makers = {
        "nonword": nonword,
        "agreement": agreement,
        "conjugation": conjugation,
        "noun_subject": noun_subject,
    }
    for kind, make in makers.items():
        for index, text in enumerate(clean):
            made = make(text, random.Random(f"{kind}-{index}"))
            if made is not None:
                rows.append({"kind": kind, "of": index, "text": made[0], "change": made[1]})
    for index, text in enumerate(clean[:CORPUS]):
        made, change = near_copy(text, random.Random(f"near_copy-{index}"))
        rows.append({"kind": "near_copy", "of": index, "text": made, "change": change})
    return rows


if __name__ == "__main__":
    rows = build()
    with (HERE / "labelled.jsonl").open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    kinds = {str(row["kind"]) for row in rows}
    print({kind: sum(row["kind"] == kind for row in rows) for kind in sorted(kinds)})
