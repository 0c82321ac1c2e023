"""The ``horogen`` executable as a user runs it: the console script installed beside this
Python, in a subprocess, with this checkout's sources first on ``PYTHONPATH``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SOURCES = Path(__file__).parents[1] / "src"
#: What MLflow's fluent API writes into this process's environment for its subprocesses
#: (``mlflow.set_tracking_uri``): state an earlier test of the worker left, never a
#: setting of the command's. A test that means one passes it in ``env``.
MLFLOW_STATE = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


def executable() -> str:
    """The installed ``horogen`` script (the one ``pip install`` wrote next to Python)."""
    beside = Path(sys.executable).with_name("horogen")
    found = str(beside) if beside.is_file() else shutil.which("horogen")
    assert found, "the horogen command is not installed: pip install -e ."
    return found


def horogen(
    *args: str, env: dict[str, str] | None = None, cwd: Path | str | None = None, timeout: int = 180
) -> subprocess.CompletedProcess[str]:
    """Run ``horogen ARGS…`` on an 80-column terminal width; stdout and stderr captured.
    The environment is this process's, without :data:`MLFLOW_STATE`, then ``env``."""
    path = os.pathsep.join(filter(None, [str(SOURCES), os.environ.get("PYTHONPATH")]))
    inherited = {k: v for k, v in os.environ.items() if k not in MLFLOW_STATE}
    environment = {**inherited, "COLUMNS": "80", "PYTHONPATH": path, **(env or {})}
    return subprocess.run(
        [executable(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        cwd=cwd,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The error a command printed, which must be one line on stderr and no traceback."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: "), done.stderr
    return lines[0].removeprefix("error: ")
