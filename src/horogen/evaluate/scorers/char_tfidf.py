"""Offline diversity: cosine similarity of TF-IDF vectors of character n-grams.

It sees shared wording, not shared meaning: two texts that say the same in different words
look diverse to it, where LaBSE would not be fooled.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from horogen.evaluate.scorers.base import Scorer, ScoringContext
from horogen.evaluate.scorers.diversity import per_text_diversity


class CharTfidfDiversityScorer(Scorer):
    """The vectorizer is fitted on each set it scores: IDF weights come from that set."""

    def __init__(self, ngram_min: int = 2, ngram_max: int = 4) -> None:
        self.ngram_range = (ngram_min, ngram_max)

    def score(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[float]:
        return per_text_diversity(self.similarity(texts))

    def similarity(self, texts: Sequence[str]) -> np.ndarray:
        """Cosine similarities; identical texts are similar (1) even when they have no
        n-grams (empty texts), which have a zero vector."""
        ids = np.unique(np.asarray(texts, dtype=object), return_inverse=True)[1]
        same = (ids[:, None] == ids[None, :]).astype(float)
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=self.ngram_range)
        try:
            vectors = vectorizer.fit_transform(texts)  # rows are L2-normalized
        except ValueError:  # no n-gram in any text: all of them empty
            return same
        return np.maximum((vectors @ vectors.T).toarray(), same)
