"""How fast the novelty index is on a year of training texts: build, save, load, query.

    python bench/novelty.py [--days 365] [--update-docs]

The corpus is the mirror's texts for every source, sign and category of each day (the
prose real sites publish, as `horogen demo` collects it), whitespace-normalized, kept at
300–500 characters and de-duplicated, as processing does. Queries are texts the corpus does
not hold (the next days') and copies (corpus texts with a sentence put before them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _report import machine, update_section

from horogen.evaluate.scorers.novelty import CorpusIndex, shared_share
from horogen.mirror.sites import MIRRORS
from horogen.mirror.texts import horoscope_text
from horogen.schema import Category
from horogen.signs import Sign

FIRST_DAY = dt.date(2025, 1, 1)
QUERIES = 200


def texts_of(days: range) -> list[str]:
    kept: dict[str, None] = {}
    for offset in days:
        day = FIRST_DAY + dt.timedelta(days=offset)
        for source in MIRRORS:
            for sign in Sign:
                for category in Category:
                    text = re.sub(r"\s+", " ", horoscope_text(source, sign, category, day))
                    if 300 <= len(text.strip()) <= 500:
                        kept[text.strip()] = None
    return list(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    corpus = texts_of(range(args.days))
    generated = time.perf_counter() - started
    fresh = texts_of(range(args.days, args.days + 1))[:QUERIES]
    copies = [f"Сегодня особенный день. {text}" for text in corpus[:: len(corpus) // QUERIES]]
    started = time.perf_counter()
    index = CorpusIndex.build(corpus)
    built = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        index.save(Path(folder) / "index")
        saved = time.perf_counter() - started
        size = sum(f.stat().st_size for f in (Path(folder) / "index").iterdir())
        started = time.perf_counter()
        loaded = CorpusIndex.load(Path(folder) / "index")
        load = time.perf_counter() - started
        started = time.perf_counter()
        fresh_shares = [shared_share(loaded, text) for text in fresh]
        fresh_query = (time.perf_counter() - started) / len(fresh)
        started = time.perf_counter()
        copy_shares = [shared_share(loaded, text) for text in copies]
        copy_query = (time.perf_counter() - started) / len(copies)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    words = int((index.tokens >= 0).sum())
    fresh_copies = sum(share > 0.5 for share in fresh_shares)
    lines = [
        "## Novelty index",
        "",
        f"`python bench/novelty.py --days {args.days}` · machine: {machine()}, shared with "
        "other work.",
        "",
        f"Corpus: {len(corpus):,} distinct texts of {args.days} days (the mirror's 7 sources"
        f" × 12 signs × {len(Category)} categories, 300–500 characters), {words:,} words, "
        f"{len(index.vocabulary):,} distinct (generated in {generated:.0f} s).",
        "",
        "| step | time |",
        "|---|---:|",
        f"| build (word ids + suffix array) | {built:.1f} s |",
        f"| save ({size / 2**20:.0f} MiB) | {saved:.1f} s |",
        f"| load (memory-mapped) | {load * 1000:.0f} ms |",
        f"| query, a text not in the corpus | {fresh_query * 1000:.1f} ms |",
        f"| query, a copy of a corpus text | {copy_query * 1000:.1f} ms |",
        "",
        f"Peak memory {peak:,.0f} MiB. Of {len(fresh)} texts of the next day, "
        f"{fresh_copies} share more than half their words with one corpus text in one run "
        "(the mirror composes its texts from phrase banks, so whole sentences recur); "
        f"of the {len(copies)} copies, {sum(s > 0.5 for s in copy_shares)} are caught.",
    ]
    markdown = "\n".join(lines)
    print(markdown)
    if args.update_docs:
        update_section("novelty", markdown)


if __name__ == "__main__":
    main()
