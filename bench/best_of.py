"""Best of k: what k candidates per text cost in precompute and on the cold path.

    python bench/best_of.py                        # a model of the demo's shape, random weights
    python bench/best_of.py --lake horogen-data    # the demo's champion
    python bench/best_of.py --update-docs          # …and rewrite the best-of section

For each setting (``best_of`` / ``best_of_cap``: 1/1, 4/4, 4/12), in a serving database of
its own, with the offline scorers and ``--checks``:

- ``horogen precompute`` of a day (12 signs × every category): seconds as the command
  reports them (model load included), the whole process, candidates kept, texts that
  passed no check;
- ``horogen serve`` and a first request that must generate (a group nobody asked for):
  the median of three categories, and how much of it was the generation calls
  (``horogen_generation_seconds_sum`` from ``/metrics``; the rest is mostly scoring).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
import serve as serve_bench  # the model and the servers of bench/serve.py
from _report import machine, update_section

SETTINGS = ((1, 1), (4, 4), (4, 12))
OFFLINE = {
    "HOROGEN_EVALUATE__SCORERS__ACCEPTABILITY__BACKEND": "orthography",
    "HOROGEN_EVALUATE__SCORERS__DIVERSITY__BACKEND": "char-tfidf",
    "HOROGEN_EVALUATE__SCORERS__SENTIMENT__BACKEND": "lexicon",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lake", help="A lake after `horogen demo`: its champion serves.")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--checks", default='{"acceptability": 0.5}', help="serve.checks, as JSON.")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        lake, source = serve_bench.prepare(Path(folder), args.lake, args.max_new_tokens)
        load_before = os.getloadavg()[0]
        rows = [measure(lake, Path(folder), k, cap, args.checks) for k, cap in SETTINGS]
        load_after = os.getloadavg()[0]
    result = {"rows": rows, "source": source, "load": f"{load_before:.1f} → {load_after:.1f}"}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.update_docs:
        update_section("best-of", report(result, args))


def measure(lake: Path, folder: Path, k: int, cap: int, checks: str) -> dict:
    env = serve_bench.server_env(folder) | OFFLINE
    env |= {
        "HOROGEN_SERVE__BEST_OF": str(k),
        "HOROGEN_SERVE__BEST_OF_CAP": str(cap),
        "HOROGEN_SERVE__CHECKS": checks,
        "HOROGEN_SERVE__CACHE_URL": f"sqlite:///{folder / f'cache-{k}-{cap}.db'}",
    }
    from horogen.serve.settings import ServeSettings

    settings = ServeSettings()
    day = settings.today() - dt.timedelta(days=settings.days_back)
    started = time.perf_counter()
    command = [sys.executable, "-m", "horogen", "precompute", "--date", str(day), "--json"]
    done = subprocess.run(
        [*command, "--lake", str(lake)], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    whole = time.perf_counter() - started
    record = json.loads(done.stdout)
    firsts, generation = [], []
    fresh_day = day + dt.timedelta(days=1)
    with serve_bench.horogen_server(lake, 1, env, folder) as url:
        for category in ("love", "business", "health"):
            before = metric(url, "horogen_generation_seconds_sum")
            began = time.perf_counter()
            answer = httpx.get(
                f"{url}/v1/horoscopes/leo?date={fresh_day}&category={category}", timeout=600
            )
            firsts.append(time.perf_counter() - began)
            generation.append(metric(url, "horogen_generation_seconds_sum") - before)
            assert answer.status_code == 200, answer.text
        unpassed = metric(url, "horogen_best_of_unpassed_total")
    return {
        "best_of": k,
        "cap": cap,
        "texts": record["generated"],
        "candidates": record["candidates"],
        "unpassed": record["unpassed"],
        "precompute_s": record["seconds"],
        "precompute_process_s": round(whole, 1),
        "first_request_s": round(statistics.median(firsts), 2),
        "first_request_generation_s": round(statistics.median(generation), 2),
        "cold_unpassed": int(unpassed),
    }


def metric(url: str, name: str) -> float:
    for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def report(result: dict, args: argparse.Namespace) -> str:
    command = "python bench/best_of.py" + (f" --lake {args.lake}" if args.lake else "")
    lines = [
        "## Best of k: the cost of k candidates per text",
        "",
        f"`{command} --update-docs` on {machine()}, {dt.date.today()}; 1-minute load average "
        f"{result['load']} (two cores shared with other work: the absolute seconds are "
        f"noisy, their ratios less so). Model: {result['source']}. Offline scorers, checks "
        f"`{args.checks}`; each setting in a serving database of its own. Precompute: 12 "
        "signs × 8 categories, seconds as the command reports them (model load included) "
        "and for the whole process. First request: a group nobody asked for, median of "
        "three categories; *generation* is the part spent in generation calls "
        "(`horogen_generation_seconds`), the rest is mostly scoring the candidates.",
        "",
        "| best_of / cap | texts | candidates | passed no check | precompute s | process s "
        "| first request s | of which generation s | cold: passed no check |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['best_of']} / {row['cap']} | {row['texts']} | {row['candidates']} | "
            f"{row['unpassed']} | {row['precompute_s']} | {row['precompute_process_s']} | "
            f"{row['first_request_s']} | {row['first_request_generation_s']} | "
            f"{row['cold_unpassed']} of 36 |"
        )
    one = result["rows"][0]
    lines.append("")
    for row in result["rows"][1:]:
        lines.append(
            f"- best_of {row['best_of']} / cap {row['cap']}: precompute "
            f"{row['precompute_s'] / one['precompute_s']:.1f}× and a first request "
            f"{row['first_request_s'] / one['first_request_s']:.1f}× best_of 1's."
        )
    if all(row["unpassed"] == row["texts"] for row in result["rows"]):
        lines.append(
            "- No text passed the checks here (random weights), so each setting is its worst "
            "case: every sign draws up to the cap, and each round judges all the group's "
            "candidates drawn so far (12 × 4, 8, 12 for 4 / 12), which is where the time "
            "beyond generation goes."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
