"""The serving stores' boundary: whatever the database or its driver does wrong arrives as
horogen's CacheError (an unusable setting as a CacheURLError, exit code 3); the API answers
it with a 503; readers outside serving get no verdicts, with a warning, and create no
database by asking."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from flight_support import CountingModel
from horogen.errors import ExitCode
from horogen.lake import Lake
from horogen.schema import Category
from horogen.serve.app import create_app
from horogen.serve.cache import open_stores
from horogen.serve.feedback import ServedVerdicts
from horogen.serve.service import HoroscopeService
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import CacheError, CacheURLError, Group
from horogen.verdicts import ReaderVerdict, verdicts_per_version
from serve_support import EVALUATED

GROUP = Group("horogen/1", dt.date(2026, 11, 30), Category.GENERAL)


@pytest.mark.parametrize(
    "url",
    [
        "not a database url",
        "postgresql+psycopg2://user:secret@127.0.0.1:port/db",  # not a port number
        "postgresql+nodriver://user:secret@127.0.0.1/db",  # no such driver
        "mysql://user:secret@127.0.0.1/db",  # no driver installed, or not supported
    ],
)
def test_an_unusable_cache_url_is_a_setting_error_that_hides_the_password(url: str) -> None:
    with pytest.raises(CacheURLError) as raised:
        open_stores(ServeSettings(cache_url=url))
    assert isinstance(raised.value, CacheError)
    assert raised.value.exit_code == ExitCode.CONFIG
    assert "secret" not in str(raised.value)


def test_a_database_that_does_not_answer_is_a_cache_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database " * 100)
    for url in (f"sqlite:///{garbage}", "postgresql+psycopg2://nobody@127.0.0.1:1/x"):
        stores = open_stores(ServeSettings(cache_url=url))
        for question in (
            stores.create,
            lambda stores=stores: stores.texts.group(GROUP),
            lambda stores=stores: stores.texts.claim(GROUP, "me", lease=1),
            stores.verdicts.per_model,
        ):
            with pytest.raises(CacheError, match=r"sqlite3|psycopg2"):
                question()
        stores.close()


def today_s_texts(settings: ServeSettings, category: Category = Category.GENERAL) -> list:
    texts = CountingModel(Path("/dev/null"), seconds=0).generate(settings.today(), category)
    return [text.model_copy(update={"model": "horogen/1"}) for text in texts]


class IdleModel:
    """A loaded model that is never asked to generate here."""

    label = "horogen/1"
    version = 1
    strategy = EVALUATED

    def generate(self, day: dt.date, category: object) -> list:
        raise AssertionError("the text store failed first")


def test_the_api_answers_a_failing_database_with_a_503(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    settings = ServeSettings(cache_url=f"sqlite:///{path}")
    stores = open_stores(settings)
    service = HoroscopeService(settings, stores, SimpleNamespace(current=IdleModel()))  # type: ignore[arg-type]

    def unavailable(answer: Response) -> None:
        assert answer.status_code == 503, answer.text
        assert answer.json()["detail"] == "the cache database is not answering"
        assert answer.headers["retry-after"] == str(settings.retry_after)

    with TestClient(create_app(settings, service, watch=False)) as api:
        stores.texts.store(today_s_texts(settings))
        with sqlite3.connect(path) as database:  # the votes table goes under the server
            database.execute("DROP TABLE votes")
        text = api.get("/v1/horoscopes/leo").json()
        vote = {"verdict": "like", "ticket": text["ticket"], "model": text["model"]}
        unavailable(api.post("/v1/horoscopes/leo/feedback", json=vote))
        assert api.get("/v1/horoscopes/leo").status_code == 200  # texts still answer
        with sqlite3.connect(path) as database:
            database.execute("DROP TABLE horoscopes")
        unavailable(api.get("/v1/horoscopes/leo?category=love"))
        unavailable(api.get("/v1/horoscopes?category=love"))


def test_asking_for_verdicts_before_anything_was_served_creates_nothing(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    explicit = tmp_path / "elsewhere" / "cache.db"
    for serve in (ServeSettings(), ServeSettings(cache_url=f"sqlite:///{explicit}")):
        verdicts = ServedVerdicts(serve, lake)
        assert verdicts.per_model() == [] and verdicts.per_version("horogen") == {}
    assert not (tmp_path / "lake").exists() and not explicit.parent.exists()


def test_served_verdicts_read_what_serving_recorded(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    serve = ServeSettings()
    stores = open_stores(serve, lake)
    stores.create()
    renamed = today_s_texts(serve)
    stores.texts.store(renamed)
    stores.verdicts.record(renamed[0], "a", "like")
    stores.verdicts.record(renamed[1], "a", "dislike")
    stores.verdicts.record(renamed[1], "b", "like")
    directory = renamed[2].model_copy(update={"model": "/models/mine", "version": None})
    stores.verdicts.record(directory, "a", "like")
    stores.close()

    verdicts = ServedVerdicts(serve, lake)
    assert verdicts.per_version("horogen") == {
        1: ReaderVerdict(model="horogen/1", version=1, likes=2, dislikes=1, readers=2)
    }
    assert [v.model for v in verdicts.per_model()] == ["horogen/1", "/models/mine"]
    assert verdicts.per_version("other") == {}


def test_a_source_that_does_not_answer_gives_no_verdicts_and_a_warning(caplog) -> None:
    class Down:
        def per_model(self) -> list[ReaderVerdict]:
            raise CacheError("the serving cache does not answer: refused")

        def per_version(self, name: str, since: object = None) -> dict[int, ReaderVerdict]:
            return {v.version: v for v in self.per_model() if v.version is not None}

    with caplog.at_level(logging.WARNING, logger="horogen.verdicts"):
        assert verdicts_per_version(Down(), "horogen") == {}
    assert "readers' verdicts unavailable: the serving cache does not answer" in caplog.text
