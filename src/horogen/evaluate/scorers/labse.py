"""Hub diversity backend ``labse``: cosine similarity of sentence-transformers embeddings
(sentence-transformers/LaBSE by default, or any sentence-transformers model)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sentence_transformers import SentenceTransformer

from horogen.evaluate.scorers import hub
from horogen.evaluate.scorers.base import Scorer, ScoringContext
from horogen.evaluate.scorers.diversity import per_text_diversity


class EmbeddingDiversityScorer(Scorer):
    def __init__(self, model: str, *, batch_size: int, device: str) -> None:
        self.encoder = hub.load(
            "diversity", model, lambda ref: SentenceTransformer(ref, device=device)
        )
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text."""
        return self.encoder.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def score(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[float]:
        embeddings = self.embed(texts)
        return per_text_diversity(embeddings @ embeddings.T)
