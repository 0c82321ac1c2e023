"""How long collecting a year from the mirror takes.

    python bench/collect.py [--days 365]

The mirror runs in its own process (as `horogen mirror`), the collector in this one, with
the default settings (4 concurrent requests per site, 4 days at a time), into a fresh lake.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _mirror import LAST_DAY, days_until, mirror_process
from _report import machine, update_section

from horogen.collect.run import collect
from horogen.config import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()

    with mirror_process() as url, tempfile.TemporaryDirectory() as lake:
        settings = load_settings(lake=lake, collect={"mirror": url})
        started = time.perf_counter()
        result = collect(settings.open_lake(), settings.collect, days_until(LAST_DAY, args.days))
        seconds = time.perf_counter() - started

    pages = sum(r.pages for r in result.reports)
    summary = {
        "days": args.days,
        "pages": pages,
        "records": sum(r.records for r in result.reports),
        "seconds": f"{seconds:.1f}",
        "pages/s": f"{pages / seconds:.0f}",
        "failed source-days": sum(r.status == "failed" for r in result.reports),
        "quarantined pages": sum(r.quarantined for r in result.reports),
    }
    print(", ".join(f"{name}: {value}" for name, value in summary.items()))
    table = "\n".join(
        [
            "| " + " | ".join(summary) + " |",
            "|" + "---:|" * len(summary),
            "| " + " | ".join(str(value) for value in summary.values()) + " |",
        ]
    )
    update_section(
        "collect",
        f"""## Collection: {args.days} days from the mirror

`python bench/collect.py --days {args.days}` on {machine()}, {dt.date.today()}.
The mirror (`horogen mirror`) runs in a second process on 127.0.0.1; all seven sources,
default settings (4 requests in flight per site, 4 days at a time).

{table}

Both processes share the 2 cores: the time is bound by parsing and the mirror's rendering,
not the network. Against the real sites, politeness (concurrency per site, robots.txt) and
their latency set the pace; one day of all seven sources is {pages // args.days} pages.
The quarantined pages hold one of the mirror's deliberate empty items (about 1% of
texts): each page is saved with its reason and its other records are kept.
""",
    )


if __name__ == "__main__":
    main()
