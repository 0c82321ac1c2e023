"""Hub backends built on a sequence classifier: ``rucola`` (acceptability) and ``rubert``
(sentiment). The classes' meaning comes from the model's ``config.id2label``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from horogen.evaluate.scorers import hub
from horogen.evaluate.scorers.base import Scorer, ScoringContext
from horogen.evaluate.scorers.labels import acceptable_index, negative_index


class SequenceClassifier:
    """A tokenizer and a classifier from one hub id or directory, run in batches."""

    def __init__(
        self, metric: str, model: str, *, batch_size: int, max_length: int, device: str
    ) -> None:
        self.tokenizer = hub.load(metric, model, AutoTokenizer.from_pretrained)
        self.model = hub.load(metric, model, AutoModelForSequenceClassification.from_pretrained)
        self.model.to(device).eval()
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length

    @classmethod
    def of(cls, metric: str, section: Any, device: str) -> SequenceClassifier:
        """The classifier a metric's settings section names: its ``model``, ``batch_size``
        and ``max_length``."""
        return cls(
            metric,
            section.model,
            batch_size=section.batch_size,
            max_length=section.max_length,
            device=device,
        )

    @property
    def id2label(self) -> dict[int, str]:
        return {int(index): label for index, label in self.model.config.id2label.items()}

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per text."""
        rows = []
        for start in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(
                list(texts[start : start + self.batch_size]),
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.device)
            with torch.inference_mode():
                logits = self.model(**batch).logits
            rows.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
        return np.concatenate(rows) if rows else np.zeros((0, len(self.id2label)))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """The most probable class of each text."""
        return self.probabilities(texts).argmax(axis=1)


class RucolaScorer(Scorer):
    """Acceptability from a RuCoLA classifier: 1 when the acceptable class is the likeliest."""

    def __init__(self, classifier: SequenceClassifier, acceptable_label: str | None) -> None:
        self.classifier = classifier
        self.acceptable = acceptable_index(classifier.id2label, acceptable_label)

    def score(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[float]:
        return [float(label == self.acceptable) for label in self.classifier.predict(texts)]


class RubertSentimentScorer(Scorer):
    """Sentiment from a classifier: 0 when the negative class is the likeliest, else 1."""

    def __init__(self, classifier: SequenceClassifier, negative_label: str) -> None:
        self.classifier = classifier
        self.negative = negative_index(classifier.id2label, negative_label)

    def score(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[float]:
        return [float(label != self.negative) for label in self.classifier.predict(texts)]
