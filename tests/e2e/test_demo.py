"""`horogen demo` as a newcomer runs it: in an empty folder, offline, end to end."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from cli_support import horogen

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # two whole demos


#: A smaller strategy grid than the demo's (bench/demo.py times the real one).
SMALL_EVALUATION = {
    "HOROGEN_EVALUATE__GRID__PAIRS": "[[0.9, 0.9]]",
    "HOROGEN_EVALUATE__GRID__TOP_P": "[0.8]",
    "HOROGEN_EVALUATE__GRID__TEMPERATURE": "[0.7]",
    "HOROGEN_EVALUATE__SAMPLES": "2",
}


def test_demo_runs_the_daily_loop_and_a_second_run_reuses_it(tmp_path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOROGEN_")}
    env.pop("MLFLOW_TRACKING_URI", None)
    env |= SMALL_EVALUATION
    command = ("demo", "--days", "3", "--epochs", "1", "--no-serve")
    done = horogen(*command, cwd=tmp_path, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    stages = ("start a mirror", "collect", "process", "train", "evaluate", "promote", "precompute")
    for number, stage in enumerate(stages, start=1):
        assert f"{number}/7 {stage}" in done.stdout
    assert "registered version 1" in done.stdout
    assert "version 1 promoted" in done.stdout
    assert re.search(r"\d{4}-\d\d-\d\d: 96 generated, 0 cached", done.stdout), done.stdout
    # Training shows one bar with the loss: no tqdm lines, no log dicts, no library chatter,
    # and nothing printed twice.
    printed = done.stdout + done.stderr
    assert "it/s]" not in printed and "{'loss'" not in printed and "{'eval_loss'" not in printed
    assert "training" in printed and "loss" in printed
    assert "Successfully registered model" not in printed and "UserWarning" not in printed
    # Nothing said twice (a message's first line; rich indents the lines it wraps).
    lines = [line for line in done.stderr.splitlines() if line.strip() and line[0] != " "]
    assert len(lines) == len(set(lines)), done.stderr

    lake = tmp_path / "horogen-data"
    days = sorted(path.name for path in (lake / "raw").iterdir())
    assert len(days) == 3
    for day in days:
        assert len(list((lake / "raw" / day).glob("*.csv"))) == 7
        assert (lake / "processed" / day / "part-0.parquet").is_file()
    assert (lake / "mlflow.db").is_file() and (lake / "serve" / "cache.db").is_file()
    # every page fetched is archived: each run names its fetches, each fetch its body
    for run_path in lake.glob("pages/date=*/*/runs/*.json"):
        run = json.loads(run_path.read_text())
        for fetch_path in run["fetches"]:
            fetch = json.loads((lake / fetch_path).read_text())
            assert (lake / fetch["body"]).is_file()
    for report_path in lake.glob("reports/collect/*/*.json"):
        report = json.loads(report_path.read_text())
        folder = lake / "pages" / f"date={report['date']}" / report["source"] / "fetches"
        assert len(list(folder.glob("*.json"))) >= report["pages"] > 0

    uri = f"sqlite:///{lake / 'mlflow.db'}"
    assert f"MLflow:   {uri}" in done.stdout
    generate = (
        "import mlflow; m = mlflow.pyfunc.load_model('models:/horogen@champion');"
        "print(m.predict(['aries'], params={'max_new_tokens': 24, 'seed': 1})[0])"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", generate],
        cwd=tmp_path,
        env={**env, "MLFLOW_TRACKING_URI": uri},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert re.search("[а-яё]{2,}", loaded.stdout.lower()), loaded.stdout

    # The same command again: complete source-days are kept (those with a page missing are
    # asked again), the champion is recent, today is cached.
    reports = [json.loads(path.read_text()) for path in lake.glob("reports/collect/*/*.json")]
    incomplete = sum(report["status"] != "ok" for report in reports)
    again = horogen(*command, cwd=tmp_path, env=env, timeout=900)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    kept = f"{incomplete} source-days collected, {21 - incomplete} kept from before"
    assert kept in again.stdout
    assert "registered version" not in again.stdout
    assert "nothing new to evaluate" in again.stdout
    assert re.search(r"\d{4}-\d\d-\d\d: 0 generated, 96 cached", again.stdout), again.stdout

    # The demo's raw data, rebuilt from its archived pages with no mirror: byte for byte.
    collected = {path: path.read_bytes() for path in (lake / "raw").glob("*/*.csv")}
    shutil.rmtree(lake / "raw")
    rebuilt = horogen("reparse", cwd=tmp_path, env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert {path: path.read_bytes() for path in (lake / "raw").glob("*/*.csv")} == collected
    assert "21 source-days reparsed, 21 rewritten" in rebuilt.stdout
