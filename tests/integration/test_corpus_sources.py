"""The training corpus serving judges novelty against: a registered version's, found from
its run's data window in the lake, indexed once and kept beside the version's files."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from horogen.evaluate.corpus import INDEX_FOLDER, WINDOW_TAG, VersionCorpora
from horogen.evaluate.judge import ScoringJudge
from horogen.evaluate.settings import ScorersSettings, WeightsSettings, offline
from horogen.layout import processed_path
from horogen.model.store import ModelStore
from horogen.model.strategy import Strategy
from horogen.schema import Category
from horogen.serve.schemas import horoscope
from horogen.signs import Sign
from model_support import register_versions, save_tiny_model

INSIDE = {
    dt.date(
        2026, 11, 1
    ): "Сегодня звёзды советуют не спешить с важными решениями и слушать близких.",
    dt.date(
        2026, 11, 2
    ): "Вечер принесёт приятную встречу, а утро лучше посвятить делам и порядку.",
}
OUTSIDE = "Неделя обещает перемены в работе: новые знакомства откроют неожиданные пути вперёд."


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelStore]:
    root = tmp_path_factory.mktemp("corpus")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)  # the lake's own store
        yield corpus_store(root)


def corpus_store(root: Path) -> ModelStore:
    """Version 1 trained on 1–2 November; 3 November's text processed after."""
    store = register_versions(root, 1, save_tiny_model(root / "model"))
    run_id = store.registry.version("1").tags["run_id"]
    store.client.set_tag(run_id, WINDOW_TAG, "2026-11-01..2026-11-02")
    days = {**INSIDE, dt.date(2026, 11, 3): OUTSIDE}
    for day, text in days.items():
        out = io.BytesIO()
        pq.write_table(pa.table({"text": [text, text]}), out)  # a duplicate: indexed once
        store.lake.write_bytes(processed_path(day), out.getvalue())
    return store


def test_a_versions_corpus_is_its_windows_texts_indexed_once(store: ModelStore) -> None:
    corpora = VersionCorpora(store)
    index = corpora("horogen/1", 1)
    assert index is not None and index.texts == 2  # the window's two days, each text once
    for text in INSIDE.values():
        assert index.longest_shared(text)[0] == index.longest_shared(text)[1]  # all of it
    shared, words = index.longest_shared(OUTSIDE)  # the day after the window
    assert shared <= 2 < words
    assert corpora("horogen/1", 1) is index  # kept in the process
    folder = store.resolve("1").cache_dir / INDEX_FOLDER
    assert folder.is_dir()
    assert VersionCorpora(store)("horogen/1", 1).texts == 2  # another process loads it


def test_a_version_that_cannot_be_found_has_no_corpus_and_is_asked_again(
    store: ModelStore, caplog: pytest.LogCaptureFixture
) -> None:
    corpora = VersionCorpora(store)
    with caplog.at_level(logging.WARNING):
        assert corpora("horogen/7", 7) is None
    assert "no corpus index for horogen/7 now" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert corpora("horogen/7", 7) is None
    assert "no corpus index for horogen/7 now" in caplog.text  # not remembered as absent


def test_served_candidates_copied_from_the_window_fail_the_novelty_check(
    store: ModelStore,
) -> None:
    judge = ScoringJudge(
        offline(ScorersSettings()), WeightsSettings(), {"novelty": 0.5}, VersionCorpora(store)
    )
    day = dt.date(2026, 12, 2)
    written = [INSIDE[dt.date(2026, 11, 1)], OUTSIDE]
    texts = [
        horoscope(Sign.LEO, Category.GENERAL, day, text, model="horogen/1", version=1,
                  strategy=Strategy())
        for text in written
    ]  # fmt: skip
    assert [verdict.failed for verdict in judge.judge(texts)] == [("novelty",), ()]
