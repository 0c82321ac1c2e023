"""Horoscopes from a model: requests (sign, category, date, sample) in, texts out, with the
slots the model wrote filled from the request (``ResolvedModel.fill``).

Every text's seed is derived from the base seed and its request, the way the logged
version derives it (:func:`horogen.model.pyfunc.row_seed`), so the transformers backend
and ``mlflow.pyfunc.load_model(...).predict`` agree for sample 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from horogen.model.backends import TextBackend, load_backend
from horogen.model.pyfunc import row_seed
from horogen.model.settings import GenerationSettings
from horogen.model.store import ResolvedModel
from horogen.model.strategy import Strategy
from horogen.schema import Category
from horogen.signs import Sign


class TextRequest(BaseModel):
    """One text to generate."""

    model_config = ConfigDict(frozen=True)

    sign: Sign
    category: Category = Category.GENERAL
    date: dt.date
    #: Which of several texts for the same sign, category and date (each its own seed).
    sample: int = 0

    def seed(self, base: int) -> int:
        key = self.date.isoformat()
        if self.sample:
            key += f"|{self.sample}"
        return row_seed(base, self.sign.value, self.category.value, key)


class GeneratedText(BaseModel):
    """A generated horoscope and everything needed to make it again."""

    sign: Sign
    category: Category
    date: dt.date
    sample: int
    text: str
    #: The registered version (``None`` for a model directory).
    version: int | None
    model: str
    backend: str
    seed: int
    strategy: Strategy


@dataclass
class HoroscopeGenerator:
    """A resolved model with a loaded backend."""

    model: ResolvedModel
    backend: TextBackend

    @classmethod
    def load(cls, model: ResolvedModel, settings: GenerationSettings) -> HoroscopeGenerator:
        return cls(model, load_backend(model, settings))

    def generate(
        self, requests: Sequence[TextRequest], strategy: Strategy, *, seed: int = 0
    ) -> list[GeneratedText]:
        """A text per request, decoded with ``strategy``, seeded from ``seed``."""
        prompts = [self.model.prompt(r.sign.value, r.category.value, r.date) for r in requests]
        seeds = [request.seed(seed) for request in requests]
        texts = [
            self.model.fill(text, request.sign.value, request.date)
            for request, text in zip(
                requests, self.backend.generate(prompts, seeds, strategy), strict=True
            )
        ]
        version = self.model.version.version if self.model.version else None
        return [
            GeneratedText(
                **request.model_dump(),
                text=text,
                version=version,
                model=self.model.label,
                backend=self.backend.name,
                seed=text_seed,
                strategy=strategy,
            )
            for request, text, text_seed in zip(requests, texts, seeds, strict=True)
        ]


def requests_for(
    signs: Sequence[Sign], categories: Sequence[Category], date: dt.date, samples: int = 1
) -> list[TextRequest]:
    """Every combination, sign by sign."""
    return [
        TextRequest(sign=sign, category=category, date=date, sample=sample)
        for sign in signs
        for category in categories
        for sample in range(samples)
    ]
