"""`horogen demo` as a newcomer runs it, timed, and how readable its champion is.

    python bench/demo.py                    # 30 days (the default), prints JSON
    python bench/demo.py --update-docs      # …and rewrites the Demo section
    python bench/demo.py --days 7 --keep /tmp/demo   # keep the folder (its lake) after

Runs ``horogen demo`` in an empty folder with no ``HOROGEN_*`` variables, as the README
says, until its server answers the first horoscope (then stops it), and reports:

- the wall time to that first served horoscope, and of each stage (from the time each
  stage's heading is printed; ``precompute`` runs until the first answer);
- the champion's best strategy and its scores, beside the reference: the held-back real
  texts of its training data scored by the same (offline) scorers. The target is a best
  acceptability of at least 0.8 × the reference's.

Numbers come from the evaluation's parent run in the demo's MLflow store.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _report import machine, update_section

STAGE = re.compile(r"(\d)/7 (\w+)")
TARGET = 0.8  # the champion's acceptability over the reference's


def run_demo(folder: Path, days: int) -> tuple[float, dict[str, float], str]:
    """Run the demo in ``folder`` until it serves its first horoscope, then stop it with
    Ctrl+C; seconds to that first horoscope, seconds per stage, and the demo's output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOROGEN_", "MLFLOW_"))}
    port = free_port()
    command = [sys.executable, "-m", "horogen", "demo", "--days", str(days), "--port", str(port)]
    started = time.perf_counter()
    marks: list[tuple[str, float]] = []
    lines: list[str] = []

    def read(stream) -> None:
        for line in stream:
            lines.append(line)
            match = STAGE.search(line)
            if match and "─" in line:
                marks.append((match.group(2), time.perf_counter()))

    with subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as demo:
        reader = threading.Thread(target=read, args=(demo.stdout,), daemon=True)
        reader.start()
        served = first_horoscope(demo, port)
        total = time.perf_counter() - started
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=60)
        reader.join(timeout=10)
    output = "".join(lines)
    if not served:
        raise SystemExit(f"horogen demo served nothing ({demo.returncode}):\n{output[-4000:]}")
    ends = [at for _, at in marks[1:]] + [started + total]
    stages = {name: round(end - at, 1) for (name, at), end in zip(marks, ends, strict=True)}
    return round(total, 1), stages, output


def first_horoscope(demo: subprocess.Popen, port: int) -> bool:
    """Wait until the demo's server answers a horoscope (True) or the demo ends (False)."""
    url = f"http://127.0.0.1:{port}/v1/horoscopes/aries"
    while demo.poll() is None:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(1)
    return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def champion_scores(lake: Path) -> dict[str, object]:
    """The champion's evaluation: its best strategy, best scores and the reference's."""
    from horogen.deployment import Deployment
    from horogen.evaluate.report import SHOWN

    models = Deployment.load(scenario="demo", lake=str(lake)).models
    champion = models.registry.champion()
    if champion is None:
        raise SystemExit("the demo left no champion")
    run = models.client.get_run(champion.tags["evaluation.run_id"])
    metrics, params = run.data.metrics, run.data.params
    best = {name: round(metrics[f"best_{name}"], 3) for name in SHOWN if f"best_{name}" in metrics}
    reference = {
        name: round(metrics[f"reference_{name}"], 3)
        for name in SHOWN
        if f"reference_{name}" in metrics
    }
    children = models.client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    per_strategy = int(params["samples"]) * 12 * len(params["categories"].split(","))
    generating = sum(c.data.metrics["seconds_per_text"] * per_strategy for c in children)
    scored = per_strategy * len(children)
    return {
        "evaluation_seconds": round((run.info.end_time - run.info.start_time) / 1000, 1),
        "generation_seconds": round(generating, 1),
        "texts_scored": int(scored),
        "version": int(champion.version),
        "strategy": {
            "top_p": float(params["best_top_p"]),
            "temperature": float(params["best_temperature"]),
        },
        "best": best,
        "reference": reference,
        "acceptability_ratio": round(best["acceptability"] / reference["acceptability"], 3),
    }


def markdown(result: dict) -> str:
    stages = result["stages"]
    scores = result["champion"]
    ratio = scores["acceptability_ratio"]
    rows = "\n".join(f"| {name} | {seconds:.0f} |" for name, seconds in stages.items())
    best, reference = scores["best"], scores["reference"]
    metric_rows = "\n".join(
        f"| {name} | {best.get(name, float('nan')):.3f} | {reference.get(name, float('nan')):.3f} |"
        for name in best
    )
    verdict = "met" if ratio >= TARGET else "**missed**"
    return f"""## Demo: `horogen demo`, end to end

Machine: {result["machine"]}. Command: `python bench/demo.py --update-docs` (runs
`horogen demo --days {result["days"]}` in an empty folder, offline, until its server
answers the first horoscope).

To the first served horoscope: **{result["seconds"] / 60:.1f} min** (target: under 10 min
on 2 cores).

| stage | seconds |
|---|---|
{rows}

The champion (version {scores["version"]}, best strategy top_p {scores["strategy"]["top_p"]:g},
temperature {scores["strategy"]["temperature"]:g}) against the reference, the held-back
real texts of its training data, with the demo's offline scorers:

| metric | champion | reference |
|---|---|---|
{metric_rows}

Acceptability ratio {ratio:.2f} (target ≥ {TARGET}): {verdict}. The `grammar` scorer
counts a text acceptable when every word is in pymorphy3's dictionary, its sentences are
well formed and LanguageTool's Russian rules and horogen's agreement checks find nothing;
it says nothing about meaning (docs/evaluation.md). Diversity is `e5`'s.

**What scoring costs.** The evaluate stage took {stages.get("evaluate", 0):.0f} s
(60 s with the orthography and character n-gram scorers, before): generating its
{scores["texts_scored"]} texts took {scores["generation_seconds"]:.0f} s of it
(seconds per text × texts, over the strategies), so scoring them and the reference
with `grammar`, `e5`, `lexicon` and `verbatim` (building the novelty index included)
took about {stages.get("evaluate", 0) - scores["generation_seconds"]:.0f} s. The machine's
load average was {result["load_before"]} before and {result["load_after"]} after the run
(other work shares its 2 cores).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="horogen-demo-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise SystemExit(f"{folder} is not empty: the demo is timed from scratch")
    try:
        load_before = round(os.getloadavg()[0], 2)
        seconds, stages, _ = run_demo(folder, args.days)
        result = {
            "machine": machine(),
            "days": args.days,
            "seconds": seconds,
            "stages": stages,
            "champion": champion_scores(folder / "horogen-data"),
            "load_before": load_before,
            "load_after": round(os.getloadavg()[0], 2),
        }
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.update_docs:
        update_section("demo", markdown(result))


if __name__ == "__main__":
    main()
