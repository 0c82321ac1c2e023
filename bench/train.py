"""Training throughput and peak memory.

    python bench/train.py                      # both shapes, prints JSON rows
    python bench/train.py --update-docs        # …and rewrites the Training section
    python bench/train.py --shape fresh --rows 480 --epochs 2 --batch-size 16

Trains on a generated corpus of realistic Russian horoscopes (300–500 characters, the
corpus of the training tests, tests/train_corpus.py) with the Trainer exactly as
`horogen train` builds it (evaluation and a checkpoint each epoch), without MLflow; each
shape in its own process. Reports:

- samples/s and tokens/s over the training steps only (prompt + target tokens after
  truncation, no padding: tokens/sample is capped by max_source_length + max_target_length,
  and the share of targets cut is reported); the wall time includes evaluation and
  checkpoints;
- peak memory: the process's resident-set high-water mark (on CUDA also the most GPU
  memory allocated);
- the 1-minute load average before and after, since other work may share the cores.

``fresh`` is the demo's model: the default ``[train.fresh]`` settings and lengths, with a
tokenizer trained on the corpus. ``rut5-base`` is a randomly initialized model of
ai-forever/ruT5-base's architecture (d_model 768, d_ff 3072, 12+12 layers, 12 heads,
vocabulary 32128): the real model's compute per token, since the hub is not reachable
here. It uses the corpus tokenizer, which cuts a text into more tokens than ruT5's own.
On a machine with CUDA both run on the GPU.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))  # the training tests' corpus
from _report import machine, update_section

from horogen.lake import Lake
from horogen.train.data import TRAIN, build_training_set
from horogen.train.model import StartingPoint, build_fresh
from horogen.train.runs import RunDir
from horogen.train.settings import TrainSettings
from horogen.train.trainer import build_trainer, encode, token_stats
from train_corpus import write_corpus

#: What each shape trains on by default: ruT5-base on two CPU cores is slow.
PLANS = {"fresh": {"rows": 480, "epochs": 2}, "rut5-base": {"rows": 96, "epochs": 1}}
RUT5_BASE = {
    "d_model": 768,
    "d_kv": 64,
    "d_ff": 3072,
    "num_layers": 12,
    "num_decoder_layers": 12,
    "num_heads": 12,
    "vocab_size": 32128,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shape", choices=list(PLANS), help="One shape (default: all).")
    parser.add_argument("--rows", type=int, help="Texts in the corpus.")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()

    if args.shape:
        plan = PLANS[args.shape] | {
            key: value for key, value in (("rows", args.rows), ("epochs", args.epochs)) if value
        }
        print(json.dumps(measure(args.shape, plan["rows"], plan["epochs"], args.batch_size)))
        return
    rows = []
    for shape in PLANS:
        command = [sys.executable, __file__, "--shape", shape]
        command += ["--batch-size", str(args.batch_size)]
        command += [
            f"--{key}={value}" for key in ("rows", "epochs") if (value := getattr(args, key))
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1], ensure_ascii=False, indent=2))
    if args.update_docs:
        update_section("train", report(rows))


def measure(shape: str, rows: int, epochs: int, batch_size: int) -> dict:
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, TrainerCallback

    class StepClock(TrainerCallback):
        seconds = 0.0

        def on_step_begin(self, *_: object, **__: object) -> None:
            self.began = time.perf_counter()

        def on_step_end(self, *_: object, **__: object) -> None:
            self.seconds += time.perf_counter() - self.began

    with tempfile.TemporaryDirectory() as folder:
        lake = Lake(f"{folder}/lake")
        write_corpus(lake, dt.date(2026, 1, 1), -(-rows // 24))
        config = TrainSettings(base="fresh", epochs=epochs, batch_size=batch_size)
        data = build_training_set(lake, min_rows=10)
        texts = data.split(TRAIN)["text"].to_list()
        start = StartingPoint(*build_fresh(texts, config.fresh, seed=config.seed), "fresh")
        if shape == "rut5-base":
            tokenizer = start.tokenizer
            architecture = T5Config(
                **RUT5_BASE,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=tokenizer.eos_token_id,
                decoder_start_token_id=tokenizer.pad_token_id,
            )
            start = StartingPoint(T5ForConditionalGeneration(architecture), tokenizer, shape)
        encoded = encode(start.tokenizer, data, TRAIN, config)
        tokens = sum(len(row["input_ids"]) + len(row["labels"]) for row in encoded)
        lengths = token_stats(start.tokenizer, data, config)
        trainer = build_trainer(start, data, config, RunDir(Path(folder) / "run"), progress=False)
        clock = StepClock()
        trainer.add_callback(clock)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        trainer.train()
        wall = time.perf_counter() - started
        load_after = os.getloadavg()[0]

    cuda = torch.cuda.is_available()
    trained = trainer.state.epoch
    return {
        "shape": shape,
        "parameters_m": round(sum(p.numel() for p in start.model.parameters()) / 1e6, 1),
        "device": torch.cuda.get_device_name()
        if cuda
        else f"CPU, {torch.get_num_threads()} threads",
        "train_rows": len(encoded),
        "epochs": trained,
        "batch_size": batch_size,
        "tokens_per_sample": round(tokens / len(encoded), 1),
        "max_tokens_per_sample": config.max_source_length + config.max_target_length,
        "targets_truncated_pct": round(100 * lengths["targets_truncated_share"], 1),
        "target_tokens_p95": int(lengths["target_tokens_p95"]),
        "samples_per_s": round(len(encoded) * trained / clock.seconds, 2),
        "tokens_per_s": round(tokens * trained / clock.seconds),
        "wall_s": round(wall, 1),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        "peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        "load_average": f"{load_before:.1f} → {load_after:.1f}",
        "machine": machine(),
        "date": dt.date.today().isoformat(),
        "command": f"python bench/train.py --shape {shape} --rows {rows} --epochs {epochs} "
        f"--batch-size {batch_size}",
    }


def report(rows: list[dict]) -> str:
    lines = [
        "## Training: throughput and peak memory",
        "",
        "`python bench/train.py --update-docs` trains each model with the Trainer as",
        "`horogen train` builds it (evaluation and a checkpoint each epoch, no MLflow) on a",
        "generated corpus of 300–500-character Russian horoscopes, each in its own process.",
        "Samples/s and tokens/s count the training steps only (prompt + target tokens, no",
        "padding); wall time includes evaluation and checkpoints; peak RSS is the whole",
        "process (Python, torch, the data). Tokens/sample is counted after truncation, so it",
        "is capped at max_source_length + max_target_length (the cap is shown next to it,",
        "with the share of targets cut and their 95th-percentile length before the cut).",
        "",
        "| model | parameters | device | rows × epochs | batch | tokens/sample (cap) "
        "| targets cut | target p95 | samples/s | tokens/s | wall s | peak RSS GiB "
        "| peak GPU GiB |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['shape']} | {row['parameters_m']} M | {row['device']} "
            f"| {row['train_rows']} × {row['epochs']:g} | {row['batch_size']} "
            f"| {row['tokens_per_sample']} ({row['max_tokens_per_sample']}) "
            f"| {row['targets_truncated_pct']}% | {row['target_tokens_p95']} "
            f"| {row['samples_per_s']} | {row['tokens_per_s']} "
            f"| {row['wall_s']} | {row['peak_rss_gib']} | {row['peak_gpu_gib'] or '–'} |"
        )
    lines.append("")
    for row in rows:
        minutes = 1000 * 5 / row["samples_per_s"] / 60
        lines.append(
            f"At this rate, {row['shape']} takes about {minutes:.0f} minutes of training steps "
            "for 1,000 texts × 5 epochs (the default)."
        )
    lines.append("")
    if not any(row["peak_gpu_gib"] is not None for row in rows):
        lines += [
            "ruT5-base on a GPU: not measured here (this machine has no GPU, and the hub is",
            "unreachable, hence the ruT5-base-shaped model with random weights). On a CUDA",
            "machine the same command trains both shapes on the GPU.",
            "",
        ]
    for row in rows:
        lines.append(
            f"- {row['shape']}: `{row['command']}` on {row['machine']}, {row['date']}; "
            f"1-minute load average {row['load_average']}."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
