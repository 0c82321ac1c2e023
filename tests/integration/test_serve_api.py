"""The API in process (FastAPI's TestClient, lifespan included) over a tiny champion."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from horogen.model.store import ModelStore
from horogen.serve import metrics
from horogen.serve.app import build_app
from horogen.serve.feedback import ServedVerdicts
from horogen.serve.settings import ServeSettings
from horogen.signs import Sign
from serve_support import EVALUATED, GENERATION, serve_settings, serving_store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[ModelStore]:
    root = tmp_path_factory.mktemp("serve-api")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield serving_store(root)


@contextmanager
def client(
    store: ModelStore, settings: ServeSettings, *, ready: bool = True
) -> Iterator[TestClient]:
    app = build_app(settings, lake=store.lake, models=store, generation=GENERATION)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        if ready:
            deadline = time.monotonic() + 60
            while test_client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "the model never loaded"
                time.sleep(0.1)
        yield test_client


@pytest.fixture(scope="module")
def api(store: ModelStore) -> Iterator[TestClient]:
    with client(store, serve_settings()) as test_client:
        yield test_client


def generated() -> float:
    return metrics.GENERATED_TEXTS._value.get()


def test_a_sign_by_slug_or_russian_name_gets_the_same_text(api: TestClient) -> None:
    today = ServeSettings().today().isoformat()
    first = api.get("/v1/horoscopes/leo")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["sign"] == "leo" and body["name"] == "Лев" and body["emoji"] == "♌"
    assert body["date"] == today and body["category"] == "general"
    assert body["model"] == "horogen/1" and body["version"] == 1
    assert body["strategy"] == EVALUATED.model_dump()
    assert body["text"].strip()
    for spelling in ("ЛЕВ", "лев", "Leo"):
        assert api.get(f"/v1/horoscopes/{spelling}?date={today}").json() == body


def test_a_group_is_generated_once_and_stays(api: TestClient, store: ModelStore) -> None:
    day = (ServeSettings().today() - dt.timedelta(days=1)).isoformat()
    before = generated()
    every = api.get(f"/v1/horoscopes?date={day}&category=love")
    assert every.status_code == 200
    texts = {h["sign"]: h["text"] for h in every.json()["horoscopes"]}
    assert list(texts) == [s.value for s in Sign]
    assert len(set(texts.values())) > 1
    assert generated() - before == 12
    for sign in ("aries", "pisces"):
        one = api.get(f"/v1/horoscopes/{sign}?date={day}&category=love").json()
        assert one["text"] == texts[sign] and one["category"] == "love"
    assert generated() - before == 12
    # A new server over the same cache regenerates nothing.
    with client(store, serve_settings()) as again:
        assert (
            again.get(f"/v1/horoscopes/leo?date={day}&category=love").json()["text"] == texts["leo"]
        )
    assert generated() - before == 12


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        ("/v1/horoscopes/unicorn", 404, "aries (Овен)"),
        ("/v1/horoscopes/leo?date=2026-13-01", 422, "date"),
        ("/v1/horoscopes/leo?date=yesterday", 422, "date"),
        ("/v1/horoscopes/leo?date=2001-01-01", 400, "outside the served days"),
        ("/v1/horoscopes?date=2999-01-01", 400, "outside the served days"),
        ("/v1/horoscopes/leo?category=gossip", 422, "category"),
    ],
)
def test_bad_input_is_a_clear_4xx(api: TestClient, path: str, status: int, fragment: str) -> None:
    answer = api.get(path)
    assert answer.status_code == status, answer.text
    assert fragment in answer.text
    if status == 404:
        assert answer.json()["valid"] == [s.value for s in Sign]


def test_no_model_yet_is_503_with_retry_after(store: ModelStore) -> None:
    with client(store, serve_settings(model="challenger", retry_after=7), ready=False) as api:
        time.sleep(0.5)  # the watcher has looked and found no challenger
        for path in ("/readyz", "/v1/horoscopes/leo", "/v1/horoscopes"):
            answer = api.get(path)
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "7"
        assert api.get("/healthz").json() == {"status": "ok"}
        assert api.get("/v1/about").json()["model"] is None


def read_and_vote(
    api: TestClient, sign: str, day: str, verdict: str, *, new_reader: bool = False, **extra: object
) -> httpx.Response:
    """As a reader would: GET the text (the server's cookie comes with it), then give a
    verdict with the text's ticket. ``new_reader``: forget the cookie first."""
    if new_reader:
        api.cookies.clear()
    text = api.get(f"/v1/horoscopes/{sign}?date={day}").json()
    body = {"verdict": verdict, "ticket": text["ticket"], "date": day, "model": text["model"]}
    return api.post(f"/v1/horoscopes/{sign}/feedback", json=body | extra)


def test_readers_vote_once_per_text(store: ModelStore) -> None:
    day = (ServeSettings().today() - dt.timedelta(days=2)).isoformat()
    with client(store, serve_settings(verdicts_per_minute=100)) as api:

        def vote(verdict: str, **kw: object) -> dict:
            answer = read_and_vote(api, "virgo", day, verdict, **kw)
            assert answer.status_code == 200, answer.text
            return answer.json()

        assert vote("like", new_reader=True)["likes"] == 1
        reader_a = dict(api.cookies)
        second = vote("like", new_reader=True)
        assert vote("like") == second and second["likes"] == 2  # a repeat changes nothing
        api.cookies.clear()
        api.cookies.update(reader_a)
        replaced = vote("dislike")  # replaces reader a's like
        assert (replaced["likes"], replaced["dislikes"]) == (1, 1)

        # A text that was not served to this reader, or bad input: 4xx, never a 500.
        text = api.get(f"/v1/horoscopes/virgo?date={day}").json()
        good = {"verdict": "like", "ticket": text["ticket"], "date": day, "model": text["model"]}
        bad = [
            ("virgo", good | {"category": "cook"}, 403),  # the ticket is for another text
            ("leo", good, 403),
            ("virgo", good | {"ticket": "A" * 22}, 403),
            ("virgo", good | {"verdict": "meh"}, 422),
            ("virgo", good | {"reader": "web-a"}, 422),  # the client no longer names itself
            ("virgo", {"verdict": "like", "model": text["model"]}, 422),
            ("virgo", good | {"date": "2001-01-01"}, 400),
            ("unicorn", good, 404),
        ]
        for sign, body, status in bad:
            answer = api.post(f"/v1/horoscopes/{sign}/feedback", json=body)
            assert answer.status_code == status, (body, answer.text)
        api.cookies.clear()  # no cookie: no reader
        assert api.post("/v1/horoscopes/virgo/feedback", json=good).status_code == 403

    verdicts = ServedVerdicts(serve_settings(), store.lake).per_version(store.name)
    assert (verdicts[1].likes, verdicts[1].dislikes, verdicts[1].votes) == (1, 1, 2)
    assert verdicts[1].readers == 2
    assert verdicts[1].like_share == 0.5


def test_a_forged_cookie_is_a_new_reader(api: TestClient) -> None:
    day = ServeSettings().today().isoformat()
    api.cookies.clear()
    first = api.get(f"/v1/horoscopes/gemini?date={day}")
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    _, signature = api.cookies["horogen_reader"].rsplit(".", 1)
    api.cookies.clear()
    api.cookies["horogen_reader"] = f"someone-else.{signature}"
    forged = api.get(f"/v1/horoscopes/gemini?date={day}")
    assert "set-cookie" in forged.headers  # not accepted: a fresh reader is issued
    assert forged.json()["ticket"] != first.json()["ticket"]
    again = api.get(f"/v1/horoscopes/gemini?date={day}")
    assert "set-cookie" not in again.headers  # the issued cookie is kept


def test_verdicts_are_rate_limited_per_address_and_reader(store: ModelStore) -> None:
    """The probe: one client stuffed 1,000 verdicts under invented names at 93 a second."""
    day = (ServeSettings().today() - dt.timedelta(days=1)).isoformat()
    with client(store, serve_settings(verdicts_per_minute=3)) as api:
        statuses = [
            read_and_vote(api, "aries", day, "like", new_reader=True).status_code for _ in range(5)
        ]
        assert statuses == [200, 200, 200, 429, 429]
        refused = read_and_vote(api, "aries", day, "like", new_reader=True)
        assert 1 <= int(refused.headers["retry-after"]) <= 20
    verdicts = ServedVerdicts(serve_settings(), store.lake).per_model()
    assert sum(v.votes for v in verdicts if v.model == "horogen/1") >= 3


def test_metrics_count_requests_hits_and_the_version(api: TestClient) -> None:
    api.get("/v1/horoscopes/leo")
    api.get("/v1/horoscopes/leo")
    answer = api.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    counted = [
        line for line in text.splitlines() if line.startswith("horogen_http_requests_total{")
    ]
    labels = ('route="/v1/horoscopes/{sign}"', 'method="GET"', 'status="200"')
    assert any(all(label in line for label in labels) for line in counted), counted
    assert 'horogen_cache_lookups_total{result="hit"}' in text
    assert "horogen_generated_texts_total" in text
    assert "horogen_served_model_version 1.0" in text
    assert "horogen_http_request_seconds_bucket" in text


def test_the_page_and_its_files_are_served(api: TestClient) -> None:
    page = api.get("/")
    assert page.status_code == 200 and 'src="/static/app.js"' in page.text
    assert "https://" not in page.text  # nothing from a CDN
    assert api.get("/static/app.js").status_code == 200
    about = api.get("/v1/about").json()
    assert len(about["signs"]) == 12 and about["signs"][0] == {
        "sign": "aries",
        "name": "Овен",
        "emoji": "♈",
    }
    first, last = (
        dt.date.fromisoformat(about["first_date"]),
        dt.date.fromisoformat(about["last_date"]),
    )
    assert (last - first).days == 8 and about["model"] == "horogen/1"


def test_docs_work_offline(api: TestClient) -> None:
    """The probe: /docs loaded Swagger UI from a CDN, blank without internet."""
    page = api.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text and "https://" not in page.text.split("<body>")[0]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/docs-assets/{asset}" in page.text
        answer = api.get(f"/docs-assets/{asset}")
        assert answer.status_code == 200 and len(answer.content) > 100_000
    assert api.get("/openapi.json").json()["paths"]["/livez"]


def test_settings_come_from_the_environment(monkeypatch, tmp_path: Path) -> None:
    from horogen.config import load_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOROGEN_SERVE__BOT_TOKEN", "123456:secret-token")
    monkeypatch.setenv("HOROGEN_SERVE__PORT", "8081")
    settings = load_settings()
    assert settings.serve.port == 8081
    assert settings.serve.bot_token.get_secret_value() == "123456:secret-token"
    assert "secret-token" not in repr(settings) and "secret-token" not in str(settings.serve)


class BrokenModel:
    """A loaded model whose generation fails (files gone, out of memory …)."""

    label = "broken/1"
    version = 1
    strategy = EVALUATED

    def generate(self, day: dt.date, category: object) -> list:
        raise RuntimeError("the model's files are gone")


def test_a_failing_model_is_a_503_never_a_500(store: ModelStore, tmp_path: Path) -> None:
    from horogen.serve.app import create_app
    from horogen.serve.cache import open_stores
    from horogen.serve.service import HoroscopeService
    from horogen.serve.swap import ModelSlot, loader

    settings = serve_settings(cache_url=f"sqlite:///{tmp_path / 'cache.db'}")
    slot = ModelSlot(store, "champion", loader(GENERATION))
    slot.current = BrokenModel()  # type: ignore[assignment]
    service = HoroscopeService(settings, open_stores(settings), slot)
    with TestClient(create_app(settings, service, watch=False)) as api:
        answer = api.get("/v1/horoscopes/leo")
        assert answer.status_code == 503 and "files are gone" in answer.json()["detail"]
        assert answer.headers["retry-after"] == "10"
        assert api.get("/readyz").status_code == 200  # loaded; the next request tries again


def test_the_fast_path_answers_exactly_as_the_route(api: TestClient) -> None:
    """Cached answers skip FastAPI's parameters (serve/fastpath.py); anything it is not
    sure of goes on to the route. Both must answer the same."""
    from horogen.serve.fastpath import FastPath

    day = ServeSettings().today().isoformat()
    routed = api.get(f"/v1/horoscopes/Скорпион?date={day}&category=anti&unknown=1")
    assert routed.status_code == 200
    fast = FastPath(None, api.app.state.service, None)
    for path, query in (
        ("/v1/horoscopes/Скорпион", f"date={day}&category=anti"),
        ("/v1/horoscopes/scorpio", f"category=anti&date={day}"),
    ):
        body, _ = fast.cached(path, query.encode())
        assert json.loads(body) == routed.json() | {"ticket": None}
        answered = api.get(f"{path}?{query}")
        assert answered.content == routed.content  # the same reader: the same ticket
        assert answered.headers["content-type"] == "application/json"
    not_sure = [
        ("/v1/horoscopes/scorpio", "category=anti&unknown=1"),  # the route ignores it
        ("/v1/horoscopes/scorpio", f"date={day}&date={day}&category=anti"),
        ("/v1/horoscopes/scorpio", "date=2026-1-1&category=anti"),  # the route: 422
        ("/v1/horoscopes/scorpio", "date=2001-01-01&category=anti"),  # the route: 400
        ("/v1/horoscopes/scorpio", "category=ANTI"),  # the route: 422
        ("/v1/horoscopes/unicorn", ""),  # the route: 404
        ("/v1/horoscopes/scorpio", f"date={day}&category=cook"),  # not generated yet
    ]
    for path, query in not_sure:
        assert fast.cached(path, query.encode()) is None, query


def test_models_shows_readers_verdicts(api: TestClient, store: ModelStore) -> None:
    from typer.testing import CliRunner

    from horogen.cli import app

    def votes() -> tuple[int, int]:  # other tests vote too
        found = ServedVerdicts(serve_settings(), store.lake).per_version(store.name).get(1)
        return (found.likes, found.dislikes) if found else (0, 0)

    likes, dislikes = votes()
    day = ServeSettings().today().isoformat()
    readers = {}
    for reader, verdict in (("a", "like"), ("b", "like"), ("c", "dislike"), ("a", "like")):
        api.cookies.clear()
        api.cookies.update(readers.get(reader, {}))
        assert read_and_vote(api, "taurus", day, verdict).status_code == 200
        readers[reader] = dict(api.cookies)
    assert votes() == (likes + 2, dislikes + 1)

    lake = str(store.lake.root)
    listed = CliRunner().invoke(app, ["models", "--lake", lake])
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert any(line.split()[-1:] == ["readers"] for line in lines)
    version_1 = next(line for line in lines if line.strip().startswith("1 "))
    total = likes + dislikes + 3
    distinct = ServedVerdicts(serve_settings(), store.lake).per_version(store.name)[1].readers
    assert version_1.rstrip().endswith(f"{(likes + 2) / total:.0%} of {distinct}")
    as_json = json.loads(CliRunner().invoke(app, ["models", "--json", "--lake", lake]).stdout)
    readers = {v["version"]: v["readers"] for v in as_json["versions"]}
    assert (readers[1]["likes"], readers[1]["dislikes"]) == (likes + 2, dislikes + 1)
    assert readers[1]["readers"] == distinct
    assert readers[2] == {"likes": 0, "dislikes": 0, "readers": 0, "like_share": None}
