"""The training corpus of a version, for novelty: its texts read back from the lake (the
processed days of the version's training window) and their index, built once per version
and kept beside the version's files (``<the version's cache>/novelty-index/``).

The window comes from the version's training run (its ``data_window`` tag). The index holds
every processed text of the window, the held-back validation texts included: novelty asks
whether a text was copied from the data the model was built from.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import threading
import time

import pyarrow.parquet as pq

from horogen.errors import HorogenError
from horogen.evaluate.scorers.novelty import FILES, CorpusIndex
from horogen.layout import PROCESSED, processed_path
from horogen.model.store import ModelStore, ResolvedModel

log = logging.getLogger(__name__)
INDEX_FOLDER = "novelty-index"
WINDOW_TAG = "data_window"


def parse_window(value: str) -> tuple[dt.date | None, dt.date | None]:
    """A training run's ``data_window`` tag (``2026-01-01..2026-01-30``, ``…..2026-01-30``,
    ``all days``) as (first day, last day), None where open."""
    if value.strip() == "all days":
        return None, None
    start, _, end = value.partition("..")

    def day(text: str) -> dt.date | None:
        text = text.strip()
        return None if text in {"", "…"} else dt.date.fromisoformat(text)

    return day(start), day(end)


def training_texts(model: ResolvedModel, store: ModelStore) -> list[str] | None:
    """The distinct processed texts of the version's training window; None for a model
    without a training run or a window (a bare directory)."""
    run_id = model.tags.get("run_id")
    if not run_id:
        return None
    window = store.client.get_run(run_id).data.tags.get(WINDOW_TAG)
    if window is None:
        return None
    start, end = parse_window(window)
    lake = store.lake
    texts: dict[str, None] = {}
    for day in lake.partitions(PROCESSED):
        if (start and day < start) or (end and day > end) or not lake.exists(processed_path(day)):
            continue
        table = pq.read_table(io.BytesIO(lake.read_bytes(processed_path(day))), columns=["text"])
        texts.update(dict.fromkeys(text for text in table.column("text").to_pylist() if text))
    return list(texts)


def corpus_index(model: ResolvedModel, store: ModelStore) -> CorpusIndex | None:
    """The version's corpus index: loaded if built before, else built and kept."""
    folder = model.cache_dir / INDEX_FOLDER
    if all((folder / name).is_file() for name in FILES):
        return CorpusIndex.load(folder)
    texts = training_texts(model, store)
    if not texts:  # no run, no window, or the window's days are not in this lake
        log.warning("no training texts for %s: novelty is undefined", model.label)
        return None
    started = time.perf_counter()
    index = CorpusIndex.build(texts)
    index.save(folder)
    log.info("indexed %d training texts in %.1f s", len(texts), time.perf_counter() - started)
    return index


class VersionCorpora:
    """The corpus index of each model serving judges (:class:`horogen.evaluate.judge.
    ScoringJudge`), by the label and version a served text carries: resolved through
    ``store``, loaded or built once per process, and kept."""

    def __init__(self, store: ModelStore) -> None:
        self.store = store
        self._indexes: dict[str, CorpusIndex | None] = {}
        self._lock = threading.Lock()

    def __call__(self, model: str, version: int | None) -> CorpusIndex | None:
        """The index of ``model`` (``horogen/3`` with its ``version``, or a directory); None
        when it has no training corpus in this lake, or cannot be read now (asked again
        next time)."""
        from mlflow.exceptions import MlflowException

        with self._lock:
            if model not in self._indexes:
                reference = model if version is None else f"models:/{model}"
                try:
                    self._indexes[model] = corpus_index(self.store.resolve(reference), self.store)
                except (HorogenError, MlflowException, OSError, ValueError) as error:
                    log.warning("no corpus index for %s now, novelty undefined: %s", model, error)
                    return None
            return self._indexes[model]
