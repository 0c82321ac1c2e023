"""Novelty: the longest run of words shared with one training text, through the index."""

from __future__ import annotations

import math
import random

import pytest

from horogen.evaluate.metrics.novelty import copy_share
from horogen.evaluate.scorers.base import ScoringContext
from horogen.evaluate.scorers.novelty import CorpusIndex, NoveltyScorer, suffix_array, words_of

CORPUS = [
    "Сегодня звёзды благоволят вам. Смело беритесь за новые дела: удача на вашей стороне.",
    "Вечер подходит для встречи с друзьями. Тёплая беседа поможет забыть о заботах.",
    "День подходит для финансовых решений, но крупные покупки лучше отложить.",
]
COPIED = "Вечер подходит для встречи с друзьями. Тёплая беседа развеет тревоги."
FRESH = "Утро начнётся с хороших новостей, а к вечеру вы почувствуете прилив сил."


def brute_longest(corpus: list[str], text: str) -> int:
    query, best = words_of(text), 0
    for other in map(words_of, corpus):
        for i in range(len(query)):
            for j in range(len(other)):
                k = 0
                while i + k < len(query) and j + k < len(other) and query[i + k] == other[j + k]:
                    k += 1
                best = max(best, k)
    return best


def test_a_copied_text_is_caught_and_a_fresh_one_is_not() -> None:
    index = CorpusIndex.build(CORPUS)
    # "вечер подходит для встречи с друзьями тёплая беседа": 8 of its 10 words
    assert index.longest_shared(COPIED) == (8, 10)
    run, words = index.longest_shared(FRESH)
    assert words == 12 and run <= 2
    novelty = NoveltyScorer().score([COPIED, FRESH], ScoringContext(corpus=index))
    assert novelty[0] == pytest.approx(0.2) and novelty[1] >= 1 - 2 / 12
    assert copy_share(novelty) == 0.5


def test_runs_never_span_two_training_texts() -> None:
    # the end of one text and the start of the next, glued: at most the longer part
    glued = "покупки лучше отложить Сегодня звёзды благоволят вам смело"
    assert CorpusIndex.build(CORPUS[2:] + CORPUS[:1]).longest_shared(glued)[0] == 5


def test_the_index_agrees_with_brute_force_and_survives_saving(tmp_path) -> None:
    rng = random.Random(7)
    vocabulary = [
        "день",
        "вечер",
        "удача",
        "звёзды",
        "вам",
        "вы",
        "сил",
        "дела",
        "новые",
        "смело",
        "к",
        "и",
        "в",
    ]
    corpus = [" ".join(rng.choices(vocabulary, k=rng.randint(3, 30))) for _ in range(40)]
    index = CorpusIndex.build(corpus)
    index.save(tmp_path / "index")
    loaded = CorpusIndex.load(tmp_path / "index")
    assert loaded.texts == 40
    for _ in range(60):
        text = " ".join(rng.choices(vocabulary, k=rng.randint(1, 25)))
        assert loaded.longest_shared(text)[0] == brute_longest(corpus, text), text


def test_the_suffix_array_sorts_every_suffix() -> None:
    import numpy as np

    tokens = np.array([3, 1, 2, 1, 2, 1, -1, 3, 1, -2])
    order = suffix_array(tokens)
    suffixes = [tuple(tokens[i:]) for i in order]
    assert suffixes == sorted(suffixes) and sorted(order) == list(range(len(tokens)))


def test_without_a_corpus_novelty_is_undefined() -> None:
    assert all(math.isnan(v) for v in NoveltyScorer().score([FRESH], ScoringContext()))
    assert copy_share([None]) is None
