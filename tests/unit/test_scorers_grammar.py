"""The offline grammar backend: LanguageTool's rules (pylat-ru) over pymorphy3's checks."""

from __future__ import annotations

import pytest

from horogen.evaluate.scorers.grammar import GrammarScorer, problems
from horogen.evaluate.scorers.languagetool import pronoun_verb_findings

CLEAN = [
    "Сегодня звёзды благоволят вам. Не бойтесь перемен!",
    "Вы сегодня получите награду за терпение.",
    "Новый день принесёт удачу, и вы почувствуете прилив сил.",
    "Они быстро делают свою работу, а мы поможем им советом.",
]


@pytest.mark.parametrize("text", CLEAN)
def test_clean_russian_passes(text) -> None:
    assert problems(text) == []
    assert GrammarScorer().score([text]) == [1.0]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Красивая дом стоит на холме.", "Unify_Adj_NN_gender"),  # gender
        ("Хороший новость ждёт вас.", "Unify_Adj_NN_gender"),
        ("Сегодня вы почувствуешь прилив сил.", "RU_VERB_CONJUGATION"),  # LanguageTool's
        ("Вам стоит отдохнуть, и вы получишь награду.", "RU_VERB_CONJUGATION"),  # horogen's
        ("Вы сегодня будешь счастлив.", "RU_VERB_CONJUGATION"),
        ("Облакаы плывут по небу.", "unknown word"),
    ],
)
def test_agreement_conjugation_and_made_up_words_fail(text, rule) -> None:
    assert any(rule in problem for problem in problems(text)), problems(text)
    assert GrammarScorer().score([text]) == [0.0]


def test_a_disabled_rule_is_not_counted() -> None:
    text = "Красивая дом стоит на холме."
    assert GrammarScorer(["Unify_Adj_NN_gender"]).score([text]) == [1.0]


def test_the_pronoun_check_names_the_words_and_skips_past_and_ambiguous_verbs() -> None:
    assert [f.words for f in pronoun_verb_findings("Они очень делает.")] == ["они очень делает"]
    assert pronoun_verb_findings("Вы были правы.") == []  # past tense: not checked
    assert pronoun_verb_findings("Вы, конечно, знаете.") == []
