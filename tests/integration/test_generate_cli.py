"""`horogen generate` as people run it: the real executable on a lake with tiny versions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from horogen.model.strategy import Strategy
from horogen.schema import Category
from model_support import register_versions, save_tiny_model

pytestmark = pytest.mark.slow

FIELDS = {"sign", "category", "date", "sample", "text", "version", "backend", "seed", "strategy"}


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Iterator[Path]:
    """A lake with two versions; version 2 carries an evaluated strategy, no champion."""
    root = tmp_path_factory.mktemp("cli")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        store = register_versions(root, 2, save_tiny_model(root / "tiny"))
        evaluated = Strategy(top_p=0.8, temperature=0.7, max_new_tokens=16)
        store.registry.set_tags(2, {"strategy": evaluated.to_tag()})
    yield root / "lake"


def horogen(*args: str, lake: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOROGEN_", "MLFLOW_"))}
    return subprocess.run(
        [sys.executable, "-m", "horogen", *args, "--lake", str(lake)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def lines(done: subprocess.CompletedProcess[str]) -> list[dict]:
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_json_lines_are_reproducible_and_complete(lake: Path) -> None:
    command = ["generate", "leo", "Дева", "--category", "love", "--date", "2026-11-30"]
    command += ["--samples", "2", "--backend", "transformers", "--json"]
    first = lines(horogen(*command, lake=lake))
    assert [(t["sign"], t["sample"]) for t in first] == [
        ("leo", 0),
        ("leo", 1),
        ("virgo", 0),
        ("virgo", 1),
    ]
    assert all(set(t) == FIELDS for t in first)
    # No --model: no champion, so the newest version, decoded as its evaluation chose.
    assert {t["version"] for t in first} == {2}
    assert first[0]["strategy"]["top_p"] == 0.8 and first[0]["strategy"]["max_new_tokens"] == 16
    assert {t["category"] for t in first} == {"love"} and {t["date"] for t in first} == {
        "2026-11-30"
    }
    assert len({t["text"] for t in first}) == 4
    assert lines(horogen(*command, lake=lake)) == first
    # --batch-size 1 (the original's one-at-a-time loop) gives the same texts.
    assert lines(horogen(*command, "--batch-size", "1", lake=lake)) == first


def test_all_twelve_signs_readably_with_ctranslate2(lake: Path) -> None:
    done = horogen("generate", "--model", "1", "--top-p", "0.5", "--seed", "4", lake=lake)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "horogen/1 · ctranslate2 · top_p 0.5" in done.stdout
    for name in ("♈ Овен", "♓ Рыбы", "♏ Скорпион"):
        assert name in done.stdout
    as_json = lines(horogen("generate", "--model", "1", "--json", lake=lake))
    assert len(as_json) == 12 and {t["backend"] for t in as_json} == {"ctranslate2"}


def test_all_categories_of_the_day(lake: Path) -> None:
    """Every category for each sign asked (with none asked, all twelve: 96 texts)."""
    command = ["generate", "leo", "virgo", "--all-categories", "--date", "2026-12-02"]
    command += ["--json", "--model", "1", "--backend", "transformers"]
    texts = lines(horogen(*command, lake=lake))
    assert all(set(t) == FIELDS for t in texts)
    assert [(t["sign"], t["category"]) for t in texts] == [
        (sign, category.value) for sign in ("leo", "virgo") for category in Category
    ]
    assert {t["date"] for t in texts} == {"2026-12-02"}
    love = lines(horogen(*command[:3], *command[4:], "--category", "love", lake=lake))
    assert [t["text"] for t in love] == [t["text"] for t in texts if t["category"] == "love"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "ophiuchus"], "unknown sign 'ophiuchus'"),
        (["generate", "--all-categories", "--category", "love"], "--category or --all-categories"),
        (["generate", "leo", "--category", "gossip"], "unknown category 'gossip'"),
        (["generate", "--model", "7"], "'horogen' has no version 7"),
    ],
)
def test_bad_input_is_one_line_and_no_traceback(lake: Path, args: list[str], message: str) -> None:
    done = horogen(*args, lake=lake)
    assert done.returncode != 0
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_no_model_and_missing_files_are_clear_errors(
    lake: Path, tmp_path: Path, monkeypatch
) -> None:
    empty = horogen("generate", "leo", lake=tmp_path / "empty")
    assert empty.returncode != 0 and "horogen train" in empty.stderr
    assert "Traceback" not in empty.stderr

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    broken = register_versions(tmp_path, 1, lake.parent / "tiny").lake
    shutil.rmtree(Path(broken.root) / "mlartifacts")
    gone = horogen("generate", "leo", "--model", "1", lake=Path(broken.root))
    assert gone.returncode != 0 and "could not be downloaded" in gone.stderr
    assert "Traceback" not in gone.stderr and len(gone.stderr.strip().splitlines()) == 1
