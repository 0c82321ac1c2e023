"""Offline acceptability: pymorphy3's dictionary and sentence form (:mod:`.orthography`)
plus LanguageTool's Russian rules (:mod:`.languagetool`), so made-up words, gender and
number agreement ("Красивая дом") and verb conjugation ("вы получишь") all count.

It judges form, not sense: a text can pass and say nothing. What it is validated against
(the labelled set in ``tests/data/scorers``) is in docs/evaluation.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from horogen.evaluate.scorers import orthography
from horogen.evaluate.scorers.base import Scorer, ScoringContext
from horogen.evaluate.scorers.languagetool import DISABLED, findings


def problems(text: str, disabled: Sequence[str] = DISABLED) -> list[str]:
    """Everything that keeps ``text`` from passing, in words; empty when it passes."""
    found = orthography.problems(text)
    return found + [str(finding) for finding in findings(text, disabled)]


class GrammarScorer(Scorer):
    """1 when a text has no orthography problem and no rule finding, else 0."""

    def __init__(self, disabled_rules: Sequence[str] = DISABLED) -> None:
        self.disabled = tuple(disabled_rules)

    def score(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[float]:
        # The dictionary check is cheap: the rules run only on texts that pass it.
        return [
            0.0 if orthography.problems(text) or findings(text, self.disabled) else 1.0
            for text in texts
        ]
