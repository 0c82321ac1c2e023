"""The three metrics of generated texts, each with hub and offline backends.

Build the scorers once (hub models load then) and score as many sets as needed::

    scorers = build_scorers(settings.evaluate.scorers)
    result = score_texts(texts, scorers)   # result.rows: one per text; result.summary
"""

from horogen.evaluate.scorers.base import METRICS, Metric, Scorer, Scorers
from horogen.evaluate.scorers.build import BACKENDS, build_scorers, offline
from horogen.evaluate.scorers.score import ScoreResult, ScoreSummary, TextScores, score_texts

__all__ = [
    "BACKENDS",
    "METRICS",
    "Metric",
    "ScoreResult",
    "ScoreSummary",
    "Scorer",
    "Scorers",
    "TextScores",
    "build_scorers",
    "offline",
    "score_texts",
]
