"""`horogen publish` with the real huggingface_hub client against a local hub."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from horogen.config import load_settings
from horogen.evaluate.publish import PublishError, publish_model
from horogen.evaluate.settings import PublishSettings
from horogen.evaluate.stage import promote_version
from horogen.model import registry
from horogen.model.strategy import Strategy
from hub_server import local_hub
from model_support import register_versions, save_tiny_model
from serve_support import horogen_env

TOKEN = "hf_secret_write_token_123"


@pytest.fixture(autouse=True)
def _hub_reachable(monkeypatch) -> None:
    """The tests keep hubs offline (tests/conftest.py); the local one is no download."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("publish")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        store = register_versions(root, 1, save_tiny_model(root / "tiny"))
        store.registry.set_tags(
            1,
            {
                "strategy": Strategy(top_p=0.8, temperature=0.7).to_tag(),
                "data_window": "2026-11-01..2026-11-30",
                "evaluation.acceptability": "0.9100",
            },
        )
        store.registry.set_alias(registry.CHAMPION, 1)
        yield store


def test_publishes_model_tokenizer_and_card(store, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with local_hub(TOKEN) as hub:
        settings = PublishSettings(
            repo_id="team/horogen-ru", endpoint=hub.url, token=SecretStr(TOKEN)
        )
        published = publish_model(store.resolve("champion"), settings)
    assert published.repo_id == "team/horogen-ru" and published.version == 1
    assert published.commit_url.startswith(f"{hub.url}/team/horogen-ru/commit/")
    assert hub.repos["team/horogen-ru"]["visibility"] == "private"
    files = hub.files["team/horogen-ru"]
    assert {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "README.md",
        "horogen.json",
    } <= set(files)
    card = files["README.md"].decode()
    assert card.startswith("---\nlanguage: ru\n")
    assert "| data window | 2026-11-01..2026-11-30 |" in card
    assert "| evaluation acceptability | 0.9100 |" in card
    assert "top_p 0.8, temperature 0.7" in card
    extra = json.loads(files["horogen.json"])
    assert extra["strategy"]["top_p"] == 0.8
    assert extra["prompt"]["template"].startswith("гороскоп: {sign}; тема: {category}; день:")
    assert extra["slots"]["signs"]["leo"] == "лев"
    assert all(auth == f"Bearer {TOKEN}" for _, auth in hub.requests)
    assert TOKEN not in caplog.text


def test_a_wrong_token_is_a_clear_error_without_the_token(store) -> None:
    with local_hub(TOKEN) as hub:
        settings = PublishSettings(
            repo_id="team/horogen-ru", endpoint=hub.url, token=SecretStr("hf_wrong")
        )
        with pytest.raises(PublishError, match="could not publish horogen/1") as caught:
            publish_model(store.resolve("1"), settings)
    assert "hf_wrong" not in str(caught.value)


def test_an_unreachable_hub_is_one_line_and_exit_code_1(store) -> None:
    """The probe: ``horogen publish`` to a hub nobody listens on printed 275 lines."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    env = horogen_env() | {
        "HOROGEN_PUBLISH__REPO_ID": "team/horogen-ru",
        "HOROGEN_PUBLISH__ENDPOINT": f"http://127.0.0.1:{closed}",
        "HF_TOKEN": TOKEN,
    }
    done = subprocess.run(
        [sys.executable, "-m", "horogen", "publish", "--lake", str(store.lake.root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "could not publish horogen/1" in lines[0], done.stderr[-2000:]
    assert TOKEN not in done.stderr


def test_the_command_never_prints_the_token(store) -> None:
    lake = Path(store.lake.root)
    with local_hub(TOKEN) as hub:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("HOROGEN_", "MLFLOW_")) and not k.endswith("_OFFLINE")
        }
        env |= {
            "HOROGEN_PUBLISH__REPO_ID": "team/horogen-ru",
            "HOROGEN_PUBLISH__ENDPOINT": hub.url,
            "HF_TOKEN": TOKEN,
        }
        done = subprocess.run(
            [sys.executable, "-m", "horogen", "publish", "--lake", str(lake)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        missing = subprocess.run(
            [sys.executable, "-m", "horogen", "publish", "--lake", str(lake)],
            capture_output=True,
            text=True,
            env={k: v for k, v in env.items() if k != "HOROGEN_PUBLISH__REPO_ID"},
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "published horogen/1 to team/horogen-ru" in done.stdout
    assert TOKEN not in done.stdout + done.stderr
    assert missing.returncode != 0 and "HOROGEN_PUBLISH__REPO_ID" in missing.stderr


def test_promotion_publishes_the_new_champion_once_even_after_a_failed_upload(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    store = register_versions(tmp_path, 2, save_tiny_model(tmp_path / "tiny"))
    store.registry.set_alias(registry.CHAMPION, 1)
    settings = load_settings(lake=store.lake.uri)

    def promote(token: str, hub_url: str):
        publish = PublishSettings(
            repo_id="team/horogen-ru", endpoint=hub_url, token=SecretStr(token)
        )
        return promote_version(
            2,
            store=store,
            settings=settings.evaluate,
            generation=settings.generation,
            publish=publish,
            force=True,
        )

    with local_hub(TOKEN) as hub:
        with pytest.raises(PublishError):  # the upload fails after the alias moved
            promote("hf_wrong", hub.url)
        assert store.registry.champion().version == 2 and not hub.commits
        promote(TOKEN, hub.url)  # the retry: version 2 is the champion already
        assert len(hub.commits) == 1
        assert store.registry.version(2).tags["published"] == "team/horogen-ru"
        promote(TOKEN, hub.url)  # and again: nothing to upload
        assert len(hub.commits) == 1
