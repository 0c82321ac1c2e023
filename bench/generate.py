"""Generation speed: transformers against CTranslate2 int8, one text at a time and batched.

    python bench/generate.py                         # both shapes, prints JSON rows
    python bench/generate.py --update-docs           # …and rewrites the Generation section
    python bench/generate.py --lake horogen-data     # the demo's trained champion as "demo"

Four modes per model, each in its own process, with the same prompts (the twelve signs ×
general and love), the same strategy (horogen's default: top_p 0.9, temperature 1,
no_repeat_ngram_size 2, repetition_penalty 1.2), the same max_new_tokens and the same
thread count:

- transformers, one at a time: the original system's loop;
- transformers, batched;
- ctranslate2 int8, one at a time;
- ctranslate2 int8, batched.

Reported: texts/s, new tokens/s (the generated texts re-encoded by the model's tokenizer),
the latency of one text (p50/p99 over the one-at-a-time calls; for batched modes the time
of a whole batch), and the process's peak resident memory. A warm-up call comes first
and is not timed; the one-off CTranslate2 conversion is timed separately.

Models: ``demo`` is the demo's model: the champion of ``--lake`` after ``horogen demo``,
else a model of the demo scenario's shape ([train.fresh] of scenarios/demo.toml) with
random weights and a tokenizer trained on a generated corpus. ``rut5-base`` has
ai-forever/ruT5-base's architecture with random weights (the hub is unreachable here):
the real model's compute per token. Random weights rarely stop early, so their texts run
to max_new_tokens.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))  # the generated corpus
from _report import machine, update_section

from horogen.model.generate import HoroscopeGenerator, requests_for
from horogen.model.packaging import model_config
from horogen.model.settings import GenerationSettings
from horogen.model.store import ResolvedModel
from horogen.model.strategy import Strategy
from horogen.schema import Category
from horogen.signs import Sign

MODES = {
    "transformers, one at a time": ("transformers", 1),
    "transformers, batched": ("transformers", None),
    "ctranslate2 int8, one at a time": ("ctranslate2", 1),
    "ctranslate2 int8, batched": ("ctranslate2", None),
}
RUT5_BASE = {
    "d_model": 768,
    "d_kv": 64,
    "d_ff": 3072,
    "num_layers": 12,
    "num_decoder_layers": 12,
    "num_heads": 12,
    "vocab_size": 32128,
}
DAY = dt.date(2026, 11, 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shape", choices=["demo", "rut5-base"], help="One shape (default: both).")
    parser.add_argument("--lake", help="A lake after `horogen demo`: its champion is `demo`.")
    parser.add_argument("--max-new-tokens", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=24)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--update-docs", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child process: one mode's JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(**json.loads(args.one))))
        return

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for shape in [args.shape] if args.shape else ["demo", "rut5-base"]:
            hf_dir, source = prepare(shape, Path(folder), args.lake)
            conversion = convert_timed(hf_dir, Path(folder) / shape)
            for mode, (backend, batch) in MODES.items():
                job = {
                    "hf_dir": str(hf_dir),
                    "cache_dir": str(Path(folder) / shape),
                    "backend": backend,
                    "batch_size": batch or args.batch_size,
                    "max_new_tokens": args.max_new_tokens,
                    "threads": args.threads,
                }
                done = subprocess.run(
                    [sys.executable, __file__, "--one", json.dumps(job)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode:
                    sys.exit(done.stderr[-3000:])
                row = json.loads(done.stdout.strip().splitlines()[-1])
                row |= {"shape": shape, "source": source, "mode": mode, "conversion_s": conversion}
                rows.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
    if args.update_docs:
        update_section("generate", report(rows, args))


def prepare(shape: str, folder: Path, lake: str | None) -> tuple[Path, str]:
    """A saved Hugging Face model of ``shape`` and a line saying what it is."""
    from horogen.config import load_settings
    from horogen.train.model import build_fresh
    from train_corpus import horoscope

    if shape == "demo" and lake:
        from horogen.deployment import Deployment

        resolved = Deployment.load(scenario="demo", lake=lake).models.resolve(None)
        return resolved.hf_dir, f"the demo's champion ({resolved.label})"
    rng = random.Random(0)
    texts = [horoscope(sign, "love", rng) for sign in Sign for _ in range(20)]
    fresh = load_settings(scenario="demo").train.fresh
    model, tokenizer = build_fresh(texts, fresh, seed=1)
    layers = f"{fresh.num_layers}+{fresh.num_layers} layers"
    source = f"demo shape (d_model {fresh.d_model}, {layers}), random weights"
    if shape == "rut5-base":
        from transformers import T5Config, T5ForConditionalGeneration

        # ruT5-base's vocabulary size, with filler tokens past the corpus's own: every id
        # the random model generates decodes to one token and re-encodes to one, so the
        # new tokens are counted as generated.
        fillers = RUT5_BASE["vocab_size"] - len(tokenizer)
        tokenizer.add_tokens([f"<filler_{index}>" for index in range(fillers)])
        model = T5ForConditionalGeneration(
            T5Config(
                **RUT5_BASE,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=tokenizer.eos_token_id,
                decoder_start_token_id=tokenizer.pad_token_id,
            )
        )
        source = "ruT5-base architecture, random weights"
    directory = folder / f"{shape}-hf"
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory, source


def convert_timed(hf_dir: Path, cache_dir: Path) -> float:
    from horogen.model.ctranslate2_backend import convert

    started = time.perf_counter()
    convert(hf_dir, cache_dir / "ctranslate2-int8", GenerationSettings())
    return round(time.perf_counter() - started, 1)


def measure(
    hf_dir: str, cache_dir: str, backend: str, batch_size: int, max_new_tokens: int, threads: int
) -> dict:
    strategy = Strategy(max_new_tokens=max_new_tokens)
    model = ResolvedModel(
        "bench", Path(hf_dir), Path(cache_dir), model_config(strategy, max_source_length=32)
    )
    settings = GenerationSettings(backend=backend, batch_size=batch_size, intra_threads=threads)
    if backend == "transformers":
        import torch

        torch.set_num_threads(threads)
    generator = HoroscopeGenerator.load(model, settings)
    requests = requests_for(list(Sign), [Category.GENERAL, Category.LOVE], DAY)
    generator.generate(requests[:2], strategy, seed=99)  # warm-up

    calls = [requests[i : i + batch_size] for i in range(0, len(requests), batch_size)]
    latencies, texts = [], []
    started = time.perf_counter()
    for call in calls:
        began = time.perf_counter()
        texts += generator.generate(call, strategy, seed=1)
        latencies.append(time.perf_counter() - began)
    elapsed = time.perf_counter() - started
    tokenizer = generator.backend.tokenizer
    tokens = sum(len(tokenizer(t.text, add_special_tokens=False)["input_ids"]) for t in texts)
    return {
        "backend": backend,
        "batch_size": batch_size,
        "texts": len(texts),
        "new_tokens": tokens,
        "seconds": round(elapsed, 2),
        "texts_per_s": round(len(texts) / elapsed, 2),
        "tokens_per_s": round(tokens / elapsed, 1),
        "latency_p50_s": round(statistics.median(latencies), 3),
        "latency_p99_s": round(percentile(latencies, 99), 3),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        "threads": threads,
        "load_average": round(os.getloadavg()[0], 1),
    }


def percentile(values: list[float], share: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-share * len(ordered) // 100) - 1)]


def report(rows: list[dict], args: argparse.Namespace) -> str:
    command = "python bench/generate.py" + (f" --lake {args.lake}" if args.lake else "")
    lines = [
        "## Generation: transformers against CTranslate2 int8",
        "",
        f"`{command} --update-docs` on {machine()}, {dt.date.today()}; "
        f"{args.threads} threads, max_new_tokens {args.max_new_tokens}, horogen's default "
        "strategy (top_p 0.9, temperature 1, no_repeat_ngram_size 2, repetition_penalty 1.2), "
        f"24 texts (12 signs × 2 categories), batches of {args.batch_size}. Latency: one "
        "text's call for the one-at-a-time modes, a whole batch's call for the batched ones.",
        "",
        "| model | mode | texts/s | new tokens/s | latency p50 s | p99 s | peak RSS GiB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['shape']} | {row['mode']} | {row['texts_per_s']} | {row['tokens_per_s']} | "
            f"{row['latency_p50_s']} | {row['latency_p99_s']} | {row['peak_rss_gib']} |"
        )
    lines.append("")
    for shape in dict.fromkeys(row["shape"] for row in rows):
        by_mode = {row["mode"]: row for row in rows if row["shape"] == shape}
        loop = by_mode["transformers, one at a time"]
        single = by_mode["ctranslate2 int8, one at a time"]
        batched = by_mode["ctranslate2 int8, batched"]
        latency = loop["latency_p50_s"] / single["latency_p50_s"]
        throughput = batched["tokens_per_s"] / loop["tokens_per_s"]
        lines.append(
            f"- **{shape}** ({by_mode[next(iter(by_mode))]['source']}; CTranslate2 conversion "
            f"{single['conversion_s']} s, once per version): transformers' single-text latency "
            f"is {latency:.1f}× CTranslate2's (target ≥ 2×: "
            f"{'met' if latency >= 2 else 'missed'}); batched CTranslate2 throughput "
            f"{throughput:.1f}× the one-at-a-time transformers loop (target ≥ 5×: "
            f"{'met' if throughput >= 5 else 'missed'})."
        )
    lines += [
        "",
        "Why a single text is not 2× faster here, and what it means for the model's users: "
        "[model.md, Speed](model.md#speed).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
