"""Scorers from settings: each metric's backends by name, imported only when chosen (the
hub ones pull in torch and transformers)."""

from __future__ import annotations

from collections.abc import Callable

from horogen.evaluate.scorers.base import Metric, Scorer, Scorers
from horogen.evaluate.settings import OFFLINE_BACKENDS, ScorersSettings

Factory = Callable[[ScorersSettings], Scorer]


def _rucola(settings: ScorersSettings) -> Scorer:
    from horogen.evaluate.scorers.classifier import RucolaScorer, SequenceClassifier

    own = settings.acceptability
    classifier = SequenceClassifier(
        "acceptability",
        own.model,
        batch_size=own.batch_size,
        max_length=own.max_length,
        device=settings.device,
    )
    return RucolaScorer(classifier, own.acceptable_label)


def _orthography(settings: ScorersSettings) -> Scorer:
    from horogen.evaluate.scorers.orthography import OrthographyScorer

    return OrthographyScorer()


def _labse(settings: ScorersSettings) -> Scorer:
    from horogen.evaluate.scorers.labse import EmbeddingDiversityScorer

    own = settings.diversity
    return EmbeddingDiversityScorer(own.model, batch_size=own.batch_size, device=settings.device)


def _char_tfidf(settings: ScorersSettings) -> Scorer:
    from horogen.evaluate.scorers.char_tfidf import CharTfidfDiversityScorer

    return CharTfidfDiversityScorer(settings.diversity.ngram_min, settings.diversity.ngram_max)


def _rubert(settings: ScorersSettings) -> Scorer:
    from horogen.evaluate.scorers.classifier import RubertSentimentScorer, SequenceClassifier

    own = settings.sentiment
    classifier = SequenceClassifier(
        "sentiment",
        own.model,
        batch_size=own.batch_size,
        max_length=own.max_length,
        device=settings.device,
    )
    return RubertSentimentScorer(classifier, own.negative_label)


def _lexicon(settings: ScorersSettings) -> Scorer:
    from horogen.evaluate.scorers.lexicon import LexiconSentimentScorer

    return LexiconSentimentScorer()


#: Every backend of every metric, by the name the settings use.
BACKENDS: dict[Metric, dict[str, Factory]] = {
    "acceptability": {"rucola": _rucola, "orthography": _orthography},
    "diversity": {"labse": _labse, "char-tfidf": _char_tfidf},
    "sentiment": {"rubert": _rubert, "lexicon": _lexicon},
}


def build_scorers(settings: ScorersSettings) -> Scorers:
    """One scorer per metric, as ``[evaluate.scorers]`` says; hub models load here, once."""
    return Scorers(
        acceptability=BACKENDS["acceptability"][settings.acceptability.backend](settings),
        diversity=BACKENDS["diversity"][settings.diversity.backend](settings),
        sentiment=BACKENDS["sentiment"][settings.sentiment.backend](settings),
    )


def offline(settings: ScorersSettings) -> ScorersSettings:
    """The same settings with every metric on its offline backend."""
    return settings.model_copy(
        update={
            metric: getattr(settings, metric).model_copy(update={"backend": backend})
            for metric, backend in OFFLINE_BACKENDS.items()
        }
    )
