"""The offline scorers on hand-written Russian texts; expected values are worked out by hand
in the comments, not read off the code."""

from __future__ import annotations

import math

import numpy as np
import pytest

from horogen.errors import DataError
from horogen.evaluate.scorers.char_tfidf import CharTfidfDiversityScorer
from horogen.evaluate.scorers.diversity import per_text_diversity
from horogen.evaluate.scorers.lexicon import LexiconSentimentScorer, lexicon, polarity
from horogen.evaluate.scorers.orthography import OrthographyScorer, problems
from horogen.evaluate.scorers.russian import is_known, lemma
from horogen.evaluate.scoring import build_scorers, score_texts
from horogen.evaluate.settings import ScorersSettings, offline

GOOD = "Сегодня звёзды благоволят вам. Не бойтесь перемен!"
GLOOMY = "День будет тяжёлым: ссоры, обиды и разочарования. Вас ждут неудачи и потери."


# --- acceptability: orthography ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        GOOD,
        "Т.е. всё будет хорошо, и т.д. А вы?",  # abbreviations are not sentence ends
        "«Звёзды на вашей стороне», — говорят астрологи.",
        "Вас ждёт успех — не упустите его… Будьте смелее!»",
        "Марс в 3-м доме. Кое-что изменится по-новому.",
        "Проверьте email до обеда.",  # Latin words are not checked
    ],
)
def test_well_formed_russian_passes(text) -> None:
    assert problems(text) == []
    assert OrthographyScorer().score([text]) == [1.0]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Сегодня облакаы благоволят вам.", "unknown word 'облакаы'"),
        ("Это длятогсвои дела.", "unknown word 'длятогсвои'"),
        ("Сегодня хорошее cолнце.", "unknown word 'cолнце'"),  # a Latin c inside
        ("сегодня хороший день.", "sentence 1: starts with a small letter"),
        ("Сегодня хороший день", "sentence 1: does not end with . ! ? or …"),
        ("Сегодня хороший день. завтра тоже.", "sentence 1: a small letter follows"),
        ("Сегодня хороший день.Завтра тоже!", "no space after a sentence end"),
        ("   ", "empty text"),
    ],
)
def test_made_up_words_and_broken_sentences_fail(text, problem) -> None:
    assert any(found.startswith(problem) for found in problems(text)), problems(text)
    assert OrthographyScorer().score([text]) == [0.0]


def test_hyphenated_words_are_known_whole_or_by_parts() -> None:
    assert is_known("кое-что")
    assert is_known("Овен-путешественник")  # not in the dictionary whole, both parts are
    assert not is_known("Овен-облакаы")


# --- sentiment: lexicon -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # тяжёлый, ссора, обида, разочарование, неудача, потеря: six negative words
        (GLOOMY, -6),
        # повезти, удача
        ("Сегодня вам повезёт, удача на вашей стороне.", 2),
        # бояться, flipped by не
        ("Не бойтесь перемен!", 1),
        # удачный, flipped by не two words before
        ("Не самый удачный день.", -1),
        # ссора, flipped by избегать
        ("Избегайте ссор.", 1),
        # упустить flipped by не; the flip is spent, шанс counts as it is
        ("Не упустите шанс.", 2),
        # нет ни: one negation (concord), each clause its own: удача and радость flipped
        ("Нет ни удачи, ни радости.", -2),
        # бояться is five words after не: outside the window of three
        ("Не стоит сегодня так сильно бояться.", -1),
        # the comma ends the clause: проблема is not negated
        ("Не спешите, проблемы решатся.", -1),
        # трудность and удача cancel out
        ("Возможны трудности на работе, но удача на вашей стороне.", 0),
        ("Овен, сегодня вторник.", 0),
    ],
)
def test_polarity_counts_lemmas_with_negation(text, expected) -> None:
    assert polarity(text) == expected


def test_a_clearly_negative_text_scores_0_and_neutral_or_positive_1() -> None:
    scores = LexiconSentimentScorer().score([GLOOMY, "Овен, сегодня вторник.", GOOD])
    assert scores == [0.0, 1.0, 1.0]


def test_the_lexicon_is_a_few_hundred_known_words_of_one_polarity_each() -> None:
    import tomllib
    from importlib import resources

    source = tomllib.loads(
        resources.files("horogen.evaluate.scorers")
        .joinpath("sentiment_lexicon.toml")
        .read_text("utf-8")
    )
    for side in ("positive", "negative"):
        words = source[side]
        assert len(words) >= 150, side
        assert len(set(words)) == len(words), f"{side}: duplicates"
        unknown = [word for word in words if not is_known(word)]
        assert unknown == [], f"{side}: not in the dictionary: {unknown}"
    positive = {lemma(word) for word in source["positive"]}
    negative = {lemma(word) for word in source["negative"]}
    assert positive.isdisjoint(negative), positive & negative
    assert set(lexicon().polarity) == positive | negative


# --- diversity ----------------------------------------------------------------------------


def test_diversity_excludes_the_diagonal() -> None:
    similarity = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.8], [0.2, 0.8, 1.0]])
    # text 1: 1 - (0.5 + 0.2) / 2 = 0.65; text 2: 1 - (0.5 + 0.8) / 2 = 0.35;
    # text 3: 1 - (0.2 + 0.8) / 2 = 0.5; the set: 1 - 3.0 / 6 = 0.5 (diagonal in: 1/3)
    values = per_text_diversity(similarity)
    assert values == pytest.approx([0.65, 0.35, 0.5])
    assert np.mean(values) == pytest.approx(0.5)


def test_negative_similarity_counts_as_unrelated_and_one_text_has_none() -> None:
    assert per_text_diversity(np.array([[1.0, -0.4], [-0.4, 1.0]])) == [1.0, 1.0]
    assert math.isnan(per_text_diversity(np.array([[1.0]]))[0])


def test_char_tfidf_identical_texts_have_diversity_0() -> None:
    assert CharTfidfDiversityScorer().score([GOOD, GOOD, GOOD]) == pytest.approx([0, 0, 0])
    assert CharTfidfDiversityScorer().score(["", ""]) == [0.0, 0.0]


def test_char_tfidf_against_a_hand_computation() -> None:
    # Texts 1 and 2 are the same, text 3 shares no letter with them: similarities
    # s12 = 1, s13 = s23 = 0. Text 1: 1 - (1 + 0) / 2 = 0.5, text 2: 0.5, text 3: 1.
    # The set: 1 - (1 + 1 + 0 + 0 + 0 + 0) / 6 = 2/3; with the diagonal it would be
    # 1 - (3 + 2) / 9 = 4/9.
    same, other = "абв где", "жзи клм"
    values = CharTfidfDiversityScorer().score([same, same, other])
    assert values == pytest.approx([0.5, 0.5, 1.0])
    assert np.mean(values) == pytest.approx(2 / 3)


def test_char_tfidf_sees_shared_wording() -> None:
    close = ["Сегодня звёзды благоволят Овнам.", "Сегодня звёзды благоволят Тельцам."]
    apart = ["Сегодня звёзды благоволят Овнам.", "Финансы требуют внимания к мелочам."]
    scorer = CharTfidfDiversityScorer()
    assert 0 < np.mean(scorer.score(close)) < np.mean(scorer.score(apart)) < 1


# --- all three on a set -------------------------------------------------------------------


@pytest.fixture(scope="module")
def offline_scorers():
    return build_scorers(offline(ScorersSettings()))


def test_score_texts_gives_a_row_per_text_and_the_means(offline_scorers) -> None:
    texts = [GOOD, "Сегодня облакаы благоволят вам.", GLOOMY]
    result = score_texts(texts, offline_scorers)
    assert [row.text for row in result.rows] == texts
    assert [row.acceptability for row in result.rows] == [1.0, 0.0, 1.0]
    assert [row.sentiment for row in result.rows] == [1.0, 1.0, 0.0]
    summary = result.summary
    assert (summary.acceptability, summary.sentiment, summary.n) == (2 / 3, 2 / 3, 3)
    diversities = [row.diversity for row in result.rows]
    assert summary.diversity == pytest.approx(sum(diversities) / 3)
    assert 0 < summary.diversity < 1
    assert result.backends == {
        "acceptability": "grammar",
        "diversity": "e5",
        "sentiment": "lexicon",
        "consistency": "pymorphy",
        "novelty": "verbatim",
    }
    assert result.columns()["acceptability"] == [1.0, 0.0, 1.0]
    assert list(result.columns()) == [
        *("text", "acceptability", "diversity", "sentiment", "consistency", "novelty", "note")
    ]
    assert [row.consistency for row in result.rows] == [None] * 3  # no requests
    assert summary.novelty is None  # no corpus


def test_one_text_has_no_diversity_and_none_is_an_error(offline_scorers) -> None:
    result = score_texts([GOOD], offline_scorers)
    assert result.summary.diversity is None and result.rows[0].diversity is None
    assert result.summary.acceptability == 1.0
    with pytest.raises(DataError, match="no texts"):
        score_texts([], offline_scorers)
