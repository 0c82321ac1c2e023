"""Serving: the champion behind an HTTP API, a web page and a Telegram bot.

- :mod:`~horogen.serve.app`: the FastAPI app (``horogen serve``);
- :mod:`~horogen.serve.service`: texts from memory, the text store, or generated once;
- :mod:`~horogen.serve.stores`: the text and verdict stores' interfaces;
- :mod:`~horogen.serve.cache`: both stores in SQL (SQLAlchemy) and the factory that opens them;
- :mod:`~horogen.serve.flight`: single flight across requests and processes;
- :mod:`~horogen.serve.swap`: the serving model and the watcher that swaps it;
- :mod:`~horogen.serve.precompute`: a day's texts ahead of the readers;
- :mod:`~horogen.serve.feedback`: readers' verdicts for evaluation and ``horogen models``;
- :mod:`~horogen.serve.bot`: the Telegram bot;
- :mod:`~horogen.serve.metrics`: Prometheus metrics.

This module stays light: the settings only.
"""

from horogen.serve.settings import ServeSettings

__all__ = ["ServeSettings"]
