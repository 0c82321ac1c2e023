"""Each offline scorer on the labelled set of tests/data/scorers: at least 95% of injected
errors caught, at most 5% of clean texts flagged (docs/evaluation.md has the table)."""

from __future__ import annotations

import pytest

from horogen.evaluate.scorers.char_tfidf import CharTfidfDiversityScorer
from horogen.evaluate.scorers.e5 import E5DiversityScorer
from horogen.evaluate.scorers.grammar import GrammarScorer
from horogen.evaluate.scorers.lexicon import LexiconSentimentScorer
from horogen.evaluate.scorers.novelty import NoveltyScorer
from scorer_validation import (
    acceptability,
    acceptability_drop,
    diversity,
    labelled,
    novelty,
    sentiment,
)

CAUGHT, FALSE_FLAGS = 0.95, 0.05


@pytest.fixture(scope="module")
def rows():
    return labelled()


def check(table) -> None:
    for row in table:
        if not row.target:
            continue
        if row.error:
            assert row.share >= CAUGHT, f"{row.metric}/{row.backend} caught {row}"
        else:
            assert row.share <= FALSE_FLAGS, f"{row.metric}/{row.backend} flagged {row}"


def test_the_set_has_every_kind(rows) -> None:
    sizes = {kind: len(found) for kind, found in rows.items()}
    assert sizes["clean"] == 48 and sizes["negative"] == 12 and sizes["near_copy"] == 24
    assert min(sizes["nonword"], sizes["agreement"], sizes["conjugation"]) >= 20


def test_grammar_catches_made_up_words_agreement_and_conjugation(rows) -> None:
    check(acceptability(GrammarScorer(), "grammar", rows))


def test_one_agreement_error_lowers_acceptability_by_more_than_half(rows) -> None:
    clean, broken = acceptability_drop(GrammarScorer(), rows)
    assert clean - broken >= 0.5, (clean, broken)


def test_the_lexicon_flags_gloomy_texts_only(rows) -> None:
    check(sentiment(LexiconSentimentScorer(), "lexicon", rows))


def test_novelty_catches_near_copies_and_not_fresh_texts_or_paraphrases(rows) -> None:
    check(novelty(NoveltyScorer(), rows))


@pytest.mark.parametrize(
    ("backend", "scorer"),
    [("e5", E5DiversityScorer()), ("char-tfidf", CharTfidfDiversityScorer())],
)
def test_diversity_sees_near_copies_and_not_different_texts(rows, backend, scorer) -> None:
    check(diversity(scorer.similarity, backend, rows))


def test_a_set_of_near_copies_is_less_diverse_than_one_of_different_texts(rows) -> None:
    scorer = E5DiversityScorer()
    different = [row["text"] for row in rows["clean"][:8]]
    copies = [row["text"] for row in rows["near_copy"][:4]] + different[:4]
    assert sum(scorer.score(different)) / 8 > 0.8 > sum(scorer.score(copies)) / 8


def test_e5_sees_paraphrases_that_character_ngrams_miss(rows) -> None:
    e5 = {r.kind: r for r in diversity(E5DiversityScorer().similarity, "e5", rows)}
    ngrams = {r.kind: r for r in diversity(CharTfidfDiversityScorer().similarity, "c", rows)}
    assert e5["paraphrase pair"].flagged >= 6 > ngrams["paraphrase pair"].flagged
