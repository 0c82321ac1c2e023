"""Diversity from a similarity matrix: the part every diversity backend shares.

A set's diversity is 1 minus the mean cosine similarity over the pairs of *different*
texts. The original system averaged over the whole matrix, diagonal included: each text's
similarity of 1 to itself pulled every score down, the more so the smaller the set.
"""

from __future__ import annotations

import math

import numpy as np


def per_text_diversity(similarity: np.ndarray) -> list[float]:
    """1 minus each text's mean similarity to the others; their mean is the set's diversity.

    Similarities are clipped to 0..1 first (a negative cosine counts as unrelated), so every
    value is in 0..1. A set of one has no pairs: its one value is NaN.
    """
    count = similarity.shape[0]
    if similarity.shape != (count, count):
        raise ValueError(f"a similarity matrix must be square, not {similarity.shape}")
    if count < 2:
        return [math.nan] * count
    clipped = np.clip(similarity, 0.0, 1.0)
    np.fill_diagonal(clipped, 0.0)
    mean_to_others = clipped.sum(axis=1) / (count - 1)
    return [float(value) for value in 1.0 - mean_to_others]
