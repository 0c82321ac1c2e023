"""Faults serving survives and reports truthfully: a cache with corrupt pages (/readyz
says so), an MLflow store unreadable at start-up (the watcher retries, logs once, and
serving recovers when it returns)."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from flight_support import CountingModel
from horogen.model.store import ModelStore
from horogen.schema import Category
from horogen.serve.app import build_app
from horogen.serve.cache import open_stores
from horogen.serve.settings import ServeSettings
from serve_support import GENERATION, serve_settings, serving_store, wait_until


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[ModelStore]:
    root = tmp_path_factory.mktemp("serve-faults")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield serving_store(root, versions=1)


def test_readyz_is_503_when_the_cache_has_corrupt_pages(store: ModelStore, tmp_path: Path) -> None:
    """The probe: with corrupt pages in the cache file /readyz answered 200 while every
    request got 503."""
    database = tmp_path / "cache.db"
    settings = serve_settings(cache_url=f"sqlite:///{database}", reader_secret="k" * 32)
    stores = open_stores(settings)
    stores.create()
    day = dt.date.today()
    for offset in range(40):  # enough rows for the table to span several pages
        stores.texts.store(
            CountingModel(tmp_path / "log", seconds=0).generate(
                day - dt.timedelta(days=offset), Category.GENERAL
            )
        )
    stores.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    data = bytearray(database.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = b"\xde\xad\xbe\xef" * ((len(data) - page) // 4)  # every page but the first
    database.write_bytes(bytes(data))

    app = build_app(settings, lake=store.lake, models=store, generation=GENERATION)
    with TestClient(app, raise_server_exceptions=False) as api:
        wait_until(lambda: app.state.service.slot.current is not None)
        assert api.get("/v1/horoscopes/leo").status_code == 503
        ready = api.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert "retry-after" in ready.headers
        assert api.get("/livez").json() == {"status": "ok"}


def test_the_watcher_survives_an_unreadable_store_and_recovers(
    store: ModelStore, tmp_path: Path, caplog
) -> None:
    """The probe: an MLflow store unreadable at start-up killed the watcher silently, and
    serving stayed 503 after the store was restored."""
    database = Path(store.lake.root) / "mlflow.db"
    kept = tmp_path / "mlflow.db"
    shutil.copy(database, kept)
    database.write_bytes(b"this is not a database" * 100)
    settings = serve_settings(cache_url=f"sqlite:///{tmp_path / 'cache.db'}")
    caplog.set_level(logging.INFO, logger="horogen")
    try:
        app = build_app(settings, lake=store.lake, models=store, generation=GENERATION)
        with TestClient(app, raise_server_exceptions=False) as api:
            time.sleep(2)  # several polls (every 0.2 s), all failing
            assert api.get("/readyz").status_code == 503
            failures = [r for r in caplog.records if "retrying" in r.getMessage()]
            assert len(failures) == 1, [r.getMessage() for r in caplog.records]
            shutil.copy(kept, database)  # the store returns
            wait_until(lambda: api.get("/readyz").status_code == 200)
            assert api.get("/v1/horoscopes/leo").status_code == 200
            assert any("answers again" in r.getMessage() for r in caplog.records)
    finally:
        shutil.copy(kept, database)


def test_settings_for_the_limits_have_defaults_a_reader_never_meets() -> None:
    settings = ServeSettings()
    assert 1024 <= settings.max_body_bytes <= 16384
    assert settings.verdicts_per_minute == 10 and settings.canary_share == 0
