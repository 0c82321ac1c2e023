"""`horogen demo` as a newcomer runs it: in an empty folder, offline, end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from cli_support import horogen

pytestmark = pytest.mark.slow


def test_demo_collects_processes_trains_and_registers(tmp_path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOROGEN_")}
    env.pop("MLFLOW_TRACKING_URI", None)
    done = horogen("demo", "--days", "3", "--epochs", "1", cwd=tmp_path, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for step in ("1/3 collect", "2/3 process", "3/3 train", "registered: models:/horogen/1"):
        assert step in done.stdout
    # Training shows one bar with the loss: no tqdm lines, no log dicts, no library chatter,
    # and nothing printed twice.
    printed = done.stdout + done.stderr
    assert "it/s]" not in printed and "{'loss'" not in printed and "{'eval_loss'" not in printed
    assert "training" in printed and "loss" in printed
    assert "Successfully registered model" not in printed and "UserWarning" not in printed
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == len(set(lines)), done.stderr

    lake = tmp_path / "horogen-data"
    days = sorted(path.name for path in (lake / "raw").iterdir())
    assert len(days) == 3
    for day in days:
        assert len(list((lake / "raw" / day).glob("*.csv"))) == 7
        assert (lake / "processed" / day / "part-0.parquet").is_file()
    assert (lake / "mlflow.db").is_file()

    uri = f"sqlite:///{lake / 'mlflow.db'}"
    assert f"MLflow:   {uri}" in done.stdout
    generate = (
        "import mlflow; m = mlflow.pyfunc.load_model('models:/horogen/1');"
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
