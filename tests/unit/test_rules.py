"""The cleaning rules (reference implementation): every rule and edge case."""

from __future__ import annotations

import hashlib
import random
import re

import polars as pl
import pytest

from horogen.process import local, rules, synthetic
from horogen.process.rules import ProcessSettings, classify, clean_text

WORDS = "Сегодня звёзды советуют вам не спешить"


@pytest.mark.parametrize("space", rules.UNICODE_SPACES)
def test_every_unicode_space_becomes_one_space(space: str) -> None:
    assert clean_text(f"Сегодня{space}звёзды") == "Сегодня звёзды"
    assert clean_text(f"Сегодня {space} {space}звёзды") == "Сегодня звёзды"


def test_no_break_space_no_longer_cuts_the_text() -> None:
    # the original kept only what came before the first no-break space
    assert clean_text("В\u00a0понедельник всё\u00a0получится.") == "В понедельник всё получится."


@pytest.mark.parametrize("char", ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_invisible_characters_inside_a_word_are_deleted(char: str) -> None:
    assert clean_text(f"звёз{char}ды") == "звёзды"


def test_stress_accents_are_deleted_and_decomposed_letters_composed() -> None:
    assert clean_text("за\u0301мок") == "замок"
    assert clean_text("и\u0306од е\u0308лка И\u0306 Е\u0308") == "йод ёлка Й Ё"


def test_typographic_variants_become_the_kept_punctuation() -> None:
    assert clean_text("“Да” и „нет‟") == '"Да" и "нет"'
    assert clean_text("кто\u2011то, из\u2010за, 5\u2212") == "кто-то, из-за, 5-"
    assert clean_text("а\u2012б\u2015в") == "а–б—в"


def test_kept_punctuation_stays() -> None:
    text = 'Да, нет. Что? Вот! Итак: раз; два - три – четыре — «пять» "шесть" (семь)…'
    assert clean_text(text) == text
    assert set(rules.PUNCTUATION) <= set(text)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Купите новый iPhone сегодня", "Купите новый сегодня"),
        ("Wi-Fi работает", "- работает"),
        ("Сегодня online встреча", "Сегодня встреча"),
        ("до 15:00 и 3 раза", "до 15:00 и 3 раза"),
        ("хотя бы 2 часа", "хотя бы 2 часа"),
        ("1 ноября — хороший день", "1 ноября — хороший день"),
    ],
)
def test_latin_is_removed_and_digits_kept_by_default(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("до 15:00 и 3 раза", "до: и раза"),
        ("хотя бы 2 часа", "хотя бы часа"),
        ("Ёлка 2026 года", "Ёлка года"),
    ],
)
def test_keep_digits_false_is_the_originals_behaviour(raw: str, cleaned: str) -> None:
    assert clean_text(raw, ProcessSettings(keep_digits=False)) == cleaned


def test_keep_latin_and_keep_digits() -> None:
    settings = ProcessSettings(keep_latin=True, keep_digits=True)
    assert clean_text("Новый iPhone до 15:00", settings) == "Новый iPhone до 15:00"
    assert clean_text("Новый iPhone до 15:00", ProcessSettings()) == "Новый до 15:00"
    assert clean_text("Новый iPhone до 15:00", ProcessSettings(keep_digits=False)) == "Новый до:"


@pytest.mark.parametrize(
    "emoji", ["😊", "♈", "✨", "❤️", "🙏🏻", "👨‍👩‍👧", "🇷🇺", "→", "★", "©", "°", "%", "#", "_", "@"]
)
def test_other_symbols_are_removed(emoji: str) -> None:
    assert clean_text(f"Удача{emoji}рядом") == "Удача рядом"
    assert clean_text(f"{emoji} Удача рядом {emoji}") == "Удача рядом"


def test_words_never_glue_and_whitespace_collapses() -> None:
    assert clean_text("слово😀😀слово") == "слово слово"
    assert clean_text("слово.😀слово") == "слово. слово"
    assert clean_text("  первый\n\nабзац\tи   второй \r\n") == "первый абзац и второй"


def test_space_before_closing_and_after_opening_punctuation_goes() -> None:
    assert clean_text("Купите новый iPhone, и всё") == "Купите новый, и всё"
    assert clean_text("Удача ( 🔥 рядом ) и « 🔥 тут » !") == "Удача (рядом) и «тут»!"
    assert clean_text("Итак 🔥 : раз 🔥 ; два …") == "Итак: раз; два…"


@pytest.mark.parametrize("tail", ["Читать далее", "Подробнее…", "Читать далее →", "ПОДРОБНЕЕ"])
def test_site_tails_are_cut_after_a_sentence(tail: str) -> None:
    assert clean_text(f"Всё получится. {tail}") == "Всё получится."
    assert clean_text(f"Всё получится!\n{tail}") == "Всё получится!"
    assert clean_text(f"Всё получится…{tail}") == "Всё получится…"


def test_tails_edge_cases() -> None:
    assert clean_text("Подробнее") == ""
    assert clean_text("Всё получится. Подробнее… Читать далее") == "Всё получится."
    assert clean_text("Всё получится. Читать далее: https://example.com/x") == "Всё получится."
    # a sentence that ends in the word, and a tail that is not at the end, stay
    assert clean_text("Изучите документы подробнее.") == "Изучите документы подробнее."
    assert clean_text("Подробнее расскажет луна.") == "Подробнее расскажет луна."
    assert clean_text("Луна. Читать далее о звёздах.") == "Луна. Читать далее о звёздах."


def test_length_counts_characters_not_bytes() -> None:
    text = "ж" * 300
    assert len(text.encode("utf-8")) == 600
    assert classify("leo", text) == (None, text)


@pytest.mark.parametrize(
    ("length", "rule"), [(299, "too_short"), (300, None), (500, None), (501, "too_long")]
)
def test_length_bounds_are_inclusive_and_apply_after_cleaning(
    length: int, rule: str | None
) -> None:
    base = synthetic.base_text(random.Random(length), length)
    nbsp = "\u00a0"
    dressed = f"✨ {base.replace(' ', nbsp, 3)} Читать далее"
    assert len(dressed) > length
    assert classify("leo", dressed) == (rule, base)


def test_length_bounds_come_from_the_settings() -> None:
    settings = ProcessSettings(min_length=5, max_length=10)
    assert classify("leo", "Коротко", settings)[0] is None
    assert classify("leo", "Чуть", settings)[0] == "too_short"
    assert classify("leo", "Слишком длинно", settings)[0] == "too_long"
    with pytest.raises(ValueError, match="min_length"):
        ProcessSettings(min_length=10, max_length=5)


@pytest.mark.parametrize(
    ("sign", "text", "rule"),
    [
        (None, WORDS, "missing_sign"),
        ("", WORDS, "missing_sign"),
        ("Aries", WORDS, "unknown_sign"),
        (" leo", WORDS, "unknown_sign"),
        ("ophiuchus", WORDS, "unknown_sign"),
        ("овен", WORDS, "unknown_sign"),
        ("leo", None, "empty_text"),
        ("leo", "", "empty_text"),
        ("leo", " \u00a0\n", "empty_text"),
        ("leo", "✨✨ 👉 ©", "empty_text"),
        ("leo", "Cегодня " + WORDS, "mixed_script"),  # a Latin C
        ("leo", "Сегодня звёздЫ", "too_short"),
        (None, "", "missing_sign"),  # the first rule that applies names the drop
        ("Aries", "", "unknown_sign"),
    ],
)
def test_drop_rules(sign: str | None, text: str | None, rule: str) -> None:
    assert (
        classify(sign, text, ProcessSettings(min_length=1 if rule != "too_short" else 50))[0]
        == rule
    )


def test_latin_words_beside_russian_ones_are_not_mixed_script() -> None:
    settings = ProcessSettings(min_length=1)
    assert classify("leo", "Ваш Instagram-аккаунт и iPhone", settings)[0] is None
    assert classify("leo", "Ваш Instаgram", settings)[0] == "mixed_script"  # Cyrillic а


def test_every_sign_slug_is_known() -> None:
    assert len(rules.SIGNS) == 12
    for sign in rules.SIGNS:
        assert classify(sign, WORDS, ProcessSettings(min_length=1))[0] is None


def test_text_hash_is_sha256_of_utf8() -> None:
    assert rules.text_hash("абв") == hashlib.sha256("абв".encode()).hexdigest()
    assert rules.text_hash("абв") == (
        "39e305d37ff46062cc8bfc3ca667491e07d17cfa2e71404c641381fa1b8cc2ca"
    )


def test_a_row_breaking_two_text_rules_is_dropped_by_the_earlier_one() -> None:
    # The documented order: … mixed_script, then the length bounds.
    settings = ProcessSettings(min_length=50, max_length=60)
    assert classify("leo", "Cегодня", settings)[0] == "mixed_script"  # and too short
    assert classify("leo", "Cегодня " + "звёзды " * 20, settings)[0] == "mixed_script"  # long


def test_the_report_names_the_settings_and_the_steps_in_the_documented_order() -> None:
    settings = ProcessSettings(min_length=10, max_length=20, keep_latin=True)
    described = rules.describe(settings)
    assert (described["min_length"], described["max_length"]) == (10, 20)
    assert (described["keep_latin"], described["keep_digits"]) == (True, True)
    assert described["steps"] == [  # rules.py, "What the rules do to a text, in order"
        "compose",
        "normalize",
        "disallowed",
        "tails",
        "space_before_closing",
        "space_after_opening",
        "strip",
    ]


def test_class_escape_escapes_what_rust_java_and_python_treat_specially() -> None:
    assert rules.class_escape("a-b]c^d[e\\f&g~h") == "a\\-b\\]c\\^d\\[e\\\\f\\&g\\~h"
    assert re.fullmatch(f"[{rules.class_escape(rules.PUNCTUATION)}]+", rules.PUNCTUATION)


def test_substitutions_do_not_overlap() -> None:
    # so applying keys one by one (Spark) and all at once (polars) give the same text
    for step in rules.normalize_steps():
        assert isinstance(step, rules.Substitute)
        keys = list(step.mapping)
        for key in keys:
            assert not any(key in other for other in keys if other != key)
            assert not any(key in value for value in step.mapping.values())


def test_every_pattern_compiles_in_python_and_polars() -> None:
    settings = ProcessSettings(keep_latin=True, keep_digits=True)
    patterns = [rules.MIXED_SCRIPT, rules.impure_pattern(settings)]
    for step in rules.cleaning_steps(settings):
        patterns += [p for p in (getattr(step, "pattern", None), step.trigger) if p]
    frame = pl.DataFrame({"text": ["Проверка"]})
    for pattern in patterns:
        re.compile(pattern)
        frame.select(pl.col("text").str.contains(pattern))


def test_triggers_find_every_text_their_step_changes() -> None:
    rng = random.Random(7)
    texts = [synthetic.dirty(rng, synthetic.base_text(rng, 200), exact=False) for _ in range(300)]
    texts += ["и\u0306", " ( а", "а « б", "а , б", " Подробнее", "a "]
    for step in rules.cleaning_steps(ProcessSettings()):
        if step.trigger is None:
            continue
        for text in texts:
            for current in (text, clean_text(text)):
                if rules.apply_steps(current, (step,)) != current:
                    assert re.search(step.trigger, current), (step.name, current)


def test_pure_texts_pass_normalize_and_removal_unchanged() -> None:
    rng = random.Random(3)
    settings = ProcessSettings()
    steps = rules.normalize_steps() + rules.removal_steps(settings)
    for _ in range(300):
        text = synthetic.base_text(rng, rng.randint(5, 400))
        assert not re.search(rules.impure_pattern(settings), text)
        assert rules.apply_steps(text, steps) == text


def test_cleaning_is_idempotent() -> None:
    rng = random.Random(11)
    for _ in range(300):
        text = synthetic.dirty(rng, synthetic.base_text(rng, rng.randint(50, 600)), exact=False)
        once = clean_text(text)
        assert clean_text(once) == once


def test_polars_steps_agree_with_the_reference_on_edge_cases() -> None:
    texts = [
        "Всё получится. Читать далее →",
        "Купите новый iPhone, и всё",
        "Удача ( 🔥 рядом ) и « 🔥 тут » !",
        "за\u0301мок и\u0306од е\u0308лка",
        "“Да” и „нет‟ кто\u2011то",
        "Cегодня Instagram",
        "В\u00a0понедельник  до 15:00\n\nвсё",
        "",
        " ",
        "Подробнее",
    ]
    frame = pl.DataFrame({"text": texts})
    got = local.clean(frame.rename({"text": "_raw"}), ProcessSettings())["text"].to_list()
    assert sorted(got) == sorted(clean_text(text) for text in texts)
