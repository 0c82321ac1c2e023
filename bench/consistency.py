"""Are generated texts true to their request? The 96 texts of a day (12 signs × 8
categories, ``horogen generate --all-categories --json``, the command a user runs) from a
lake's champion, counted the way the ``consistency`` metric judges them.

    python -m horogen demo --lake /tmp/demo --no-serve      # once: a fresh champion
    python bench/consistency.py --lake /tmp/demo            # prints the counts as JSON
    python bench/consistency.py --lake /tmp/demo --update-docs
    python bench/consistency.py --lake /tmp/demo --model /path/to/checkpoint   # any model

Counted per text (a text may count under several): naming another sign, another weekday,
another day, another month (every case form, :mod:`horogen.mentions`), holding an unfilled
slot; and, for contrast, naming its own sign and its own date. Target: 0 of 96 for each
failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _report import machine, update_section

from horogen.evaluate.scorers.consistency import problems
from horogen.mentions import find_mentions
from horogen.model.generate import TextRequest

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("another sign", "another weekday", "another day", "another month", "unfilled slot")


def generate(lake: str, day: dt.date, model: str | None) -> tuple[list[dict], float]:
    """The day's 96 texts as ``horogen generate`` prints them, and the seconds it took."""
    command = [sys.executable, "-m", "horogen", "generate", "--all-categories", "--json"]
    command += ["--date", day.isoformat(), "--lake", lake]
    command += ["--model", model] if model else []
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - began
    if done.returncode:
        raise SystemExit(f"horogen generate failed: {done.stderr.strip()[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines()], seconds


def count(records: list[dict]) -> dict:
    failures: Counter[str] = Counter()
    examples: dict[str, str] = {}
    own_sign = own_date = consistent = 0
    for record in records:
        request = TextRequest(sign=record["sign"], category=record["category"], date=record["date"])
        found = problems(record["text"], request)
        consistent += not found
        for kind in KINDS:
            hits = [problem for problem in found if problem.startswith(kind)]
            if hits:
                failures[kind] += 1
                examples.setdefault(kind, f"{record['sign']}/{record['category']}: {hits[0]}")
        mentions = [m for m in find_mentions(record["text"]) if m.names(request.sign, request.date)]
        own_sign += any(m.kind == "sign" for m in mentions)
        own_date += any(m.kind != "sign" for m in mentions)
    return {
        "texts": len(records),
        "consistent": consistent,
        **{kind: failures[kind] for kind in KINDS},
        "own sign named": own_sign,
        "own date named": own_date,
        "examples": examples,
        "version": sorted({record["version"] for record in records}),
    }


def markdown(result: dict, day: dt.date, lake: str) -> str:
    lines = [
        "## Consistency with the request",
        "",
        f"`python bench/consistency.py --lake {lake} --update-docs` on {machine()} (2 cores "
        f"shared with other work), {dt.date.today()}: {result['model']} (version "
        f"{', '.join(map(str, result['version']))}) of a fresh `horogen demo`, "
        f"`horogen generate --all-categories --json --date {day}` ({result['seconds']:.0f} s "
        "for the 96 texts, model loading included), each text judged as the `consistency` "
        "metric judges it.",
        "",
        "| texts | naming another sign | another weekday | another day | another month "
        "| unfilled slot | consistent | naming their own sign | naming their own date |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {result['texts']} | {result['another sign']} | {result['another weekday']} | "
        f"{result['another day']} | {result['another month']} | {result['unfilled slot']} | "
        f"{result['consistent']} | {result['own sign named']} | {result['own date named']} |",
        "",
        "Before this change (issue 15's measurement of a demo champion, same 96 texts): 19 "
        "named another sign, 16 another month, 5 another weekday; 2 of the serving cache's "
        "96 named their own sign. Target: 0 of 96 for each failure.",
    ]
    if result["examples"]:
        lines += [
            "",
            "Failures, one example each: "
            + "; ".join(f"{kind}: {example}" for kind, example in result["examples"].items())
            + ".",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, help="a lake with a champion (horogen demo)")
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--model", help="a reference (default: the lake's champion)")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    records, seconds = generate(args.lake, args.date, args.model)
    result = count(records) | {"seconds": seconds, "model": args.model or "the champion"}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.update_docs:
        update_section("consistency", markdown(result, args.date, args.lake))


if __name__ == "__main__":
    main()
