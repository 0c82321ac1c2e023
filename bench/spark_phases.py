"""Where the Spark engine's time goes: each stage of ``horogen process --engine spark``.

    python bench/spark_phases.py --data /tmp/horogen-bench-100000          # local[2]
    python bench/spark_phases.py --data … --master spark://127.0.0.1:7077
    PYTHONPATH=/path/to/an/older/src python bench/spark_phases.py --data …  # before a change

Runs ``process_days`` with the Spark engine on raw partitions that ``bench/process.py``
generated (``--rows``/``--days``/``--sources`` as there), with Spark's UI on, then reads the
driver's REST API (``/api/v1/applications/<id>/stages``): for every stage its call site
(the line of horogen that started its job), wall time, the executors' run time, the bytes
it read from the raw files and the shuffle bytes it wrote. Stages of one call site are
added up; the same input read twice shows as two stages with the raw files' size as input.
It prints a Markdown table of the stages, one of the call sites, and one JSON line
(``PHASES {...}``) for the docs. The de-duplication window is the stage that reads the
rules' shuffle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def seconds(start: str, end: str) -> float:
    parse = lambda text: dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%Z")  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def call_site(name: str) -> str:
    """``collect at /…/horogen/process/spark.py:248`` → ``spark.py:248 (the function)``."""
    match = re.search(r"(\w+) at (\S+):(\d+)", name)
    if not match:
        return name
    action, path, line = match.group(1), match.group(2), int(match.group(3))
    function = ""
    try:
        lines = Path(path).read_text().splitlines()[:line]
        for text in reversed(lines):
            found = re.match(r"\s*def (\w+)", text)
            if found:
                function = found.group(1)
                break
    except OSError:
        pass
    return f"{action} in {function or Path(path).name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a lake with raw/ (bench/process.py's)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--label", default="", help="what this run measures (before, after)")
    args = parser.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    import httpx

    from horogen.config import load_settings
    from horogen.process import spark
    from horogen.process.run import process_days

    process = {"spark_master": args.master, "spark_conf": {"spark.driver.memory": "4g"}}
    settings = load_settings(lake=args.data, process=process)
    began = time.perf_counter()
    session = spark.session(settings.process)
    startup = time.perf_counter() - began
    began = time.perf_counter()
    reports = process_days(settings.open_lake(), settings.process, None, "spark")
    wall = time.perf_counter() - began
    rows_in = sum(report.rows_in for report in reports)

    ui = session.sparkContext.uiWebUrl
    app = session.sparkContext.applicationId
    stages = httpx.get(f"{ui}/api/v1/applications/{app}/stages", timeout=60).json()
    phases: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    print(
        "| stage | call site | tasks | wall s | executor s | shuffle read MB | shuffle write MB |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for stage in sorted(stages, key=lambda stage: stage["stageId"]):
        if stage.get("status") != "COMPLETE":
            continue
        print(
            f"| {stage['stageId']} | {call_site(stage['name'])} | {stage['numTasks']} | "
            f"{seconds(stage['submissionTime'], stage['completionTime']):.1f} | "
            f"{stage['executorRunTime'] / 1000:.1f} | {stage['shuffleReadBytes'] / 1e6:.0f} | "
            f"{stage['shuffleWriteBytes'] / 1e6:.0f} |"
        )
        phase = phases[call_site(stage["name"])]
        phase["stages"] += 1
        phase["wall_s"] += seconds(stage["submissionTime"], stage["completionTime"])
        phase["run_s"] += stage["executorRunTime"] / 1000
        phase["input_mb"] += stage["inputBytes"] / 1e6
        phase["shuffle_write_mb"] += stage["shuffleWriteBytes"] / 1e6
    print()
    print(
        f"{args.label or 'run'}: {rows_in:,} rows in {wall:.1f} s on {args.master} "
        f"({rows_in / wall:,.0f} rows/s; session start {startup:.1f} s)"
    )
    print("| call site | stages | wall s | executor run s | raw input MB | shuffle write MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, phase in phases.items():
        print(
            f"| {name} | {phase['stages']:.0f} | {phase['wall_s']:.1f} | {phase['run_s']:.1f} | "
            f"{phase['input_mb']:.0f} | {phase['shuffle_write_mb']:.0f} |"
        )
    record = {
        "label": args.label,
        "master": args.master,
        "rows_in": rows_in,
        "seconds": wall,
        "startup": startup,
        "phases": {name: dict(phase) for name, phase in phases.items()},
    }
    print("PHASES " + json.dumps(record))
    session.stop()


if __name__ == "__main__":
    main()
