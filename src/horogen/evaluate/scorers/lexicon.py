"""Offline sentiment: horogen's own lexicon of Russian lemmas (``sentiment_lexicon.toml``).

It counts words; it does not understand sentences. It knows a few hundred words that
horoscopes use and the negations around them, which is enough to tell a gloomy forecast
from a cheerful one, not to match a trained classifier.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from horogen.evaluate.scorers.base import Scorer, ScoringContext
from horogen.evaluate.scorers.russian import is_word, lemma, tokens


@dataclass(frozen=True)
class Lexicon:
    """Lemmas with a polarity (+1 or -1), and the lemmas that flip the word after them."""

    polarity: dict[str, int]
    negators: frozenset[str]
    negation_window: int


@cache
def lexicon() -> Lexicon:
    """The lexicon shipped with horogen, its entries lemmatized like the texts' words."""
    data = tomllib.loads(
        resources.files(__package__).joinpath("sentiment_lexicon.toml").read_text("utf-8")
    )
    polarity = {lemma(word): 1 for word in data["positive"]}
    polarity.update({lemma(word): -1 for word in data["negative"]})
    return Lexicon(
        polarity=polarity,
        negators=frozenset(lemma(word) for word in data["negators"]),
        negation_window=data["negation_window"],
    )


def polarity(text: str, lex: Lexicon | None = None) -> int:
    """Positive words minus negative words. A word counts the other way when a negator
    stands at most ``negation_window`` words before it in the same clause (punctuation ends
    a clause); the flip is spent on that word, so "не упустите шанс" is +2 and "нет ни
    удачи" is -1 (Russian negative concord, not a double negative)."""
    lex = lex or lexicon()
    total = 0
    negated_ago: int | None = None  # words since the last unspent negator of the clause
    for token in tokens(text):
        if not is_word(token):
            negated_ago = None
            continue
        if negated_ago is not None:
            negated_ago += 1
            if negated_ago > lex.negation_window:
                negated_ago = None
        word = lemma(token)
        if word in lex.negators:
            negated_ago = 0
        elif word in lex.polarity:
            total += -lex.polarity[word] if negated_ago is not None else lex.polarity[word]
            negated_ago = None
    return total


class LexiconSentimentScorer(Scorer):
    """Sentiment from the lexicon: 0 when a text's polarity is below 0, else 1."""

    def score(self, texts: Sequence[str], context: ScoringContext | None = None) -> list[float]:
        return [0.0 if polarity(text) < 0 else 1.0 for text in texts]
