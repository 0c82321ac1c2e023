"""How big the page archive of a year of the seven sources is.

    python bench/archive.py [--days 365]

Collects the days from the mirror (in its own process, as `horogen mirror`) into a fresh
lake with the default settings, then measures ``pages/`` (gzip bodies, fetch and run
records) per source, per day and in all, beside ``raw/``. The mirror's pages are lighter
than the real sites' (no scripts, ads or menus of the real size), so the table also gives
the archive at a real page's size, from the compression measured here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _mirror import LAST_DAY, days_until, mirror_process
from _report import machine, update_section

from horogen.collect.run import collect
from horogen.config import load_settings

#: A real page's size, uncompressed, for the estimate: a saved horo.mail.ru sign page of
#: 2024 is about 220 KB (scripts and styles inline); the other sites' are of that order.
REAL_PAGE_KB = 220


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()

    with mirror_process() as url, tempfile.TemporaryDirectory() as folder:
        settings = load_settings(lake=folder, collect={"mirror": url})
        started = time.perf_counter()
        collect(settings.open_lake(), settings.collect, days_until(LAST_DAY, args.days))
        seconds = time.perf_counter() - started
        lake = Path(folder)
        by_source: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        raw_sizes = 0
        for path in (lake / "pages").rglob("*"):
            if not path.is_file():
                continue
            source, kind = path.parts[-3], path.parts[-2]
            by_source[source][kind] += path.stat().st_size
            if kind == "bodies":
                by_source[source]["pages"] += 1
                by_source[source]["unzipped"] += len(gzip.decompress(path.read_bytes()))
        raw_sizes = folder_bytes(lake / "raw")

    rows = []
    total = defaultdict(int)
    for source in sorted(by_source):
        sizes = by_source[source]
        archive = sizes["bodies"] + sizes["fetches"] + sizes["runs"]
        for key, value in sizes.items():
            total[key] += value
        total["archive"] += archive
        rows.append(
            f"| {source} | {sizes['pages']} | {sizes['unzipped'] / sizes['pages'] / 1024:.1f} "
            f"| {sizes['unzipped'] / sizes['bodies']:.1f}× "
            f"| {archive / 2**20:.1f} | {archive / args.days / 1024:.0f} |"
        )
    ratio = total["unzipped"] / total["bodies"]
    pages_per_day = total["pages"] / args.days
    real_day = (
        pages_per_day * REAL_PAGE_KB * 1024 / ratio + (total["fetches"] + total["runs"]) / args.days
    )
    rows.append(
        f"| **all** | {total['pages']} | {total['unzipped'] / total['pages'] / 1024:.1f} "
        f"| {ratio:.1f}× | {total['archive'] / 2**20:.1f} "
        f"| {total['archive'] / args.days / 1024:.0f} |"
    )
    print("\n".join(rows))
    update_section(
        "archive",
        f"""## The page archive: {args.days} days of the seven sources

`python bench/archive.py --days {args.days}` on {machine()}, {dt.date.today()}: the
days collected from the mirror (default settings, {seconds:.0f} s), then `pages/` measured.
Every fetched response is kept, its body gzip-compressed once per distinct content, with
its fetch record (about {total["fetches"] / max(1, total["pages"]) / 1024:.1f} KiB) and one run
record per source-day. Sizes are the files' bytes (on a file system with 4 KiB blocks the
small files take more room; on S3 they take what they hold). The time includes 2 cores
shared with other work.

| source | bodies stored | KiB a page | gzip | archive MiB | KiB a day |
|---|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

`raw/` for the same days: {raw_sizes / 2**20:.1f} MiB. The mirror's pages are small
({total["unzipped"] / total["pages"] / 1024:.1f} KiB on average); a real page is about
{REAL_PAGE_KB} KB with its inline scripts and menus. At that size and the compression
measured here ({ratio:.1f}×), {pages_per_day:.0f} pages a day would take about
{real_day / 2**20:.1f} MiB a day, {real_day * 365 / 2**30:.2f} GiB a year: an estimate
from the measured ratio, not a measurement of the real sites (real pages, with more
repeated markup, usually compress better than that).
""",
    )


if __name__ == "__main__":
    main()
