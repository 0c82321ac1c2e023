"""Novelty: how much of a text is its own. Per text 1 − (the longest run of words it shares,
verbatim and in order, with one training text ÷ its words); a text sharing more than half
its words in one run is a copy.

The training corpus is indexed once (:class:`CorpusIndex`): its words as integer ids, the
texts joined with a separator of their own between them (so no run spans two texts), and
the suffix array of that sequence. The longest run a text shares starting at each of its
words is then a binary search, so a query costs O(words × log corpus) whatever the
corpus's size. Words are compared lower-cased, with ё as е; punctuation is ignored.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from horogen import atomic
from horogen.evaluate.scorers.base import Scorer, ScoringContext

#: A text sharing more than this share of its words in one run is a copy.
COPY_SHARE = 0.5
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+")
#: The id of a word the corpus does not have (below every separator).
UNKNOWN = np.iinfo(np.int64).min
FILES = ("tokens.npy", "suffixes.npy", "vocabulary.json")


def words_of(text: str) -> list[str]:
    return [word.replace("ё", "е") for word in WORD.findall(text.lower())]


def suffix_array(tokens: np.ndarray) -> np.ndarray:
    """The suffix array of ``tokens`` by prefix doubling: each round sorts by the ranks of
    the first 2ᵏ tokens, until every rank is distinct."""
    count = len(tokens)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    rank = np.unique(tokens, return_inverse=True)[1].astype(np.int64)
    step = 1
    while True:
        following = np.full(count, -1, dtype=np.int64)
        following[: count - step] = rank[step:]
        order = np.lexsort((following, rank))
        pairs_first, pairs_second = rank[order], following[order]
        new = np.empty(count, dtype=np.int64)
        changed = (pairs_first[1:] != pairs_first[:-1]) | (pairs_second[1:] != pairs_second[:-1])
        new[order] = np.concatenate(([0], np.cumsum(changed)))
        rank = new
        if rank.max() == count - 1:
            return order.astype(np.int64)
        step *= 2


class CorpusIndex:
    """The training corpus, indexed for the longest shared run of words."""

    def __init__(self, tokens: np.ndarray, suffixes: np.ndarray, vocabulary: dict[str, int]):
        self.tokens = tokens
        self.suffixes = suffixes
        self.vocabulary = vocabulary

    @classmethod
    def build(cls, texts: Iterable[str]) -> CorpusIndex:
        vocabulary: dict[str, int] = {}
        ids: list[int] = []
        for number, text in enumerate(texts):
            ids.extend(vocabulary.setdefault(word, len(vocabulary)) for word in words_of(text))
            ids.append(-1 - number)  # a separator no text has
        tokens = np.asarray(ids, dtype=np.int64)
        return cls(tokens, suffix_array(tokens), vocabulary)

    @property
    def texts(self) -> int:
        return int((self.tokens < 0).sum())

    def save(self, folder: Path) -> None:
        """Write the index to ``folder`` whole (a reader never sees half of one)."""
        with atomic.new_directory(folder) as partial:
            partial.mkdir()
            np.save(partial / FILES[0], self.tokens)
            np.save(partial / FILES[1], self.suffixes)
            (partial / FILES[2]).write_text(json.dumps(self.vocabulary, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> CorpusIndex:
        tokens = np.load(folder / FILES[0], mmap_mode="r")
        suffixes = np.load(folder / FILES[1], mmap_mode="r")
        vocabulary = json.loads((folder / FILES[2]).read_text("utf-8"))
        return cls(tokens, suffixes, vocabulary)

    def longest_shared(self, text: str) -> tuple[int, int]:
        """(the longest run of words ``text`` shares with one corpus text, its words)."""
        query = np.asarray(
            [self.vocabulary.get(word, UNKNOWN) for word in words_of(text)], dtype=np.int64
        )
        best = 0
        for start in range(len(query)):
            if len(query) - start <= best:
                break
            best = max(best, self._longest_at(query[start:]))
        return best, len(query)

    def _longest_at(self, query: np.ndarray) -> int:
        """The longest prefix of ``query`` found anywhere in the corpus: the longest common
        prefix with the suffixes on either side of where ``query`` would sort."""
        low, high = 0, len(self.suffixes)
        while low < high:
            middle = (low + high) // 2
            if self._compare(int(self.suffixes[middle]), query) < 0:
                low = middle + 1
            else:
                high = middle
        return max(
            (self._common(int(self.suffixes[i]), query) for i in (low - 1, low)
             if 0 <= i < len(self.suffixes)),
            default=0,
        )  # fmt: skip

    def _common(self, position: int, query: np.ndarray) -> int:
        corpus = self.tokens[position : position + len(query)]
        differs = np.flatnonzero(corpus != query[: len(corpus)])
        return int(differs[0]) if len(differs) else len(corpus)

    def _compare(self, position: int, query: np.ndarray) -> int:
        """<0 when the corpus suffix at ``position`` sorts before ``query``."""
        common = self._common(position, query)
        if common == len(query):
            return 0
        if position + common >= len(self.tokens):
            return -1
        return -1 if self.tokens[position + common] < query[common] else 1


def shared_share(index: CorpusIndex, text: str) -> float:
    """The share of ``text``'s words in its longest run shared with the corpus (NaN for a
    text without words)."""
    run, count = index.longest_shared(text)
    return run / count if count else math.nan


class NoveltyScorer(Scorer):
    """1 − the shared share, against ``context.corpus`` (a :class:`CorpusIndex`, or the
    texts themselves, indexed on first use)."""

    def __init__(self) -> None:
        self._built: tuple[int, CorpusIndex] | None = None

    def index_of(self, corpus: Sequence[str] | CorpusIndex) -> CorpusIndex:
        if isinstance(corpus, CorpusIndex):
            return corpus
        if self._built is None or self._built[0] != id(corpus):
            self._built = (id(corpus), CorpusIndex.build(corpus))
        return self._built[1]

    def score(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[float]:
        if context is None or context.corpus is None:
            return [math.nan] * len(texts)
        index = self.index_of(context.corpus)
        return [1.0 - shared_share(index, text) for text in texts]
