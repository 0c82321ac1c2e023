"""What one CTranslate2 call costs: building a translator, and decoding one text with each
compute type this CPU offers.

    python bench/ctranslate2_calls.py                   # prints JSON
    python bench/ctranslate2_calls.py --update-docs     # …and rewrites its section
    python bench/ctranslate2_calls.py --lake horogen-data   # the demo's champion too

horogen's CTranslate2 backend builds a fresh translator for every call (CTranslate2 has no
per-row seed; see docs/model.md), so a call costs one translator build on top of its
decoding. This measures both, on the ruT5-base shape with random weights (converted to
int8 as horogen converts it) and, with ``--lake``, on the demo's champion: the translator's
construction (median of 5), and one text of ``--max-new-tokens`` tokens (decoding forced to
that length) with each compute type of ``get_supported_compute_types("cpu")`` (median of 3).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from _report import machine, update_section
from generate import convert_timed, prepare


def timed(action, repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return round(statistics.median(seconds), 3)


def measure(directory: Path, tokens: int, threads: int) -> dict:
    import ctranslate2

    source = [["▁гороскоп", "</s>"]]
    options = {
        "beam_size": 1,
        "max_decoding_length": tokens,
        "min_decoding_length": tokens,
        "sampling_topk": 0,
        "sampling_topp": 0.9,
    }
    build = timed(lambda: ctranslate2.Translator(str(directory), intra_threads=threads), 5)
    decode = {}
    for compute_type in sorted(ctranslate2.get_supported_compute_types("cpu")):
        translator = ctranslate2.Translator(
            str(directory), intra_threads=threads, compute_type=compute_type
        )
        translator.translate_batch(source, **options)  # warm-up
        decode[compute_type] = timed(lambda t=translator: t.translate_batch(source, **options), 3)
    return {"build_s": build, "decode_s": decode}


def markdown(results: dict[str, dict], args: argparse.Namespace) -> str:
    command = "python bench/ctranslate2_calls.py" + (f" --lake {args.lake}" if args.lake else "")
    lines = [
        "## CTranslate2: the cost of a call",
        "",
        f"`{command} --update-docs` on {machine()}; {args.threads} threads; one text of "
        f"{args.max_new_tokens} tokens (decoding forced to that length), median of 3; a "
        "translator's construction, median of 5. horogen builds a fresh translator per call "
        "(docs/model.md).",
        "",
        "| model | build a translator s | "
        + " | ".join(f"one text, {name} s" for name in next(iter(results.values()))["decode_s"])
        + " |",
        "|---|---:|" + "---:|" * len(next(iter(results.values()))["decode_s"]),
    ]
    for shape, result in results.items():
        decode = " | ".join(str(value) for value in result["decode_s"].values())
        lines.append(f"| {shape} | {result['build_s']} | {decode} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", help="A lake after `horogen demo`: its champion too.")
    parser.add_argument("--max-new-tokens", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="horogen-ct2-") as folder:
        for shape in ("rut5-base", "demo") if args.lake else ("rut5-base",):
            hf_dir, _ = prepare(shape, Path(folder), args.lake)
            cache = Path(folder) / f"{shape}-cache"
            convert_timed(hf_dir, cache)
            results[shape] = measure(cache / "ctranslate2-int8", args.max_new_tokens, args.threads)
    print(json.dumps(results, indent=2))
    if args.update_docs:
        update_section("ctranslate2", markdown(results, args))


if __name__ == "__main__":
    main()
