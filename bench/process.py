"""Processing benchmark: pandas (the original rules) vs polars vs Spark local[2] vs Spark on
a two-worker standalone cluster.

    python bench/process.py                      # 1,000,000 rows, every engine, print
    python bench/process.py --update-docs        # … and rewrite the section in docs/benchmarks.md
    python bench/process.py --rows 100000 --engines polars,spark
    python bench/process.py --repeat 3           # each one-machine engine 3 times: best time
    python bench/process.py --engine-src /old/checkout/src   # the engines of another version

Generates raw partitions with ``horogen.process.synthetic`` (the parity test's generator:
realistic dirt, boundary lengths, duplicates across sources, CSV quoting) — ``--days``
days × ``--sources`` files — then runs each engine in its own process, one after the
other, so each one's peak memory is its own: the process tree's RSS (Python, and for
Spark the JVM and its Python workers) sampled every 20 ms, and the process's own
``ru_maxrss``, whichever is larger. Time is wall time from reading the first raw byte to
writing the last output file; Spark's session start is reported apart.

Engines:

- ``pandas``: the original system's rules as a user would write them with pandas — read
  the day's CSVs, drop empty texts, drop rows duplicated in every column, cut each text at
  its first no-break space, strip every character that is not a letter, digit, whitespace
  or punctuation with a regex, collapse whitespace, keep 300–500 characters; one parquet
  per day.
- ``polars-original``: the same original rules in polars (the engine alone, same work).
- ``polars``: ``horogen process --engine polars`` (``process_days``): the full rules,
  malformed-row checks, de-duplication on text, hashes, data tests, atomic writes.
- ``polars-half``: the same on the first half of the days, to show that peak memory does
  not grow with the number of days (it processes a day at a time).
- ``polars-no-digits``: the same with ``process.keep_digits = false`` (digits removed, as
  the original system did; horogen keeps them by default): what keeping them costs.
- ``spark``: ``horogen process --engine spark`` on ``local[2]``, the same path.
- ``spark-cluster``: the same on ``spark://``: a standalone master and two workers of one
  core and 1 GiB each, started from the pyspark wheel as ``horogen stack`` starts them
  (executors in their own JVMs, the driver apart), for the run only.

Rows/s per core divides by the cores the engine used: one for pandas, the machine's for
polars, two for Spark (``local[2]``, or two one-core executors).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import glob
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
ENGINES = (
    "pandas",
    "polars-original",
    "polars",
    "polars-half",
    "polars-no-digits",
    "spark",
    "spark-cluster",
)
SPARK_ENGINES = ("spark", "spark-cluster")
ORIGINAL_STRIP = r'[^\w\s.,!?:;\-–—«»"()…]'


# --- the engines, each run in a child process ------------------------------------------


def run_pandas(lake: str, out: str) -> tuple[int, int]:
    import pandas as pd

    rows_in = rows_out = 0
    for folder in sorted(glob.glob(f"{lake}/raw/date=*")):
        frames = [
            pd.read_csv(path, dtype=str, keep_default_na=False)
            for path in sorted(glob.glob(f"{folder}/*.csv"))
        ]
        df = pd.concat(frames, ignore_index=True)
        rows_in += len(df)
        df = df[df["text"].str.strip() != ""]
        df = df.drop_duplicates()
        df["text"] = df["text"].str.split("\u00a0").str[0]
        df["text"] = df["text"].str.replace(ORIGINAL_STRIP, "", regex=True)
        df["text"] = df["text"].str.replace(r"\s+", " ", regex=True).str.strip()
        length = df["text"].str.len()
        df = df[(length >= 300) & (length <= 500)]
        rows_out += len(df)
        df.to_parquet(f"{out}/{os.path.basename(folder)}.parquet", index=False)
    return rows_in, rows_out


def run_polars_original(lake: str, out: str) -> tuple[int, int]:
    import polars as pl

    rows_in = rows_out = 0
    for folder in sorted(glob.glob(f"{lake}/raw/date=*")):
        paths = sorted(glob.glob(f"{folder}/*.csv"))
        df = pl.read_csv(paths, infer_schema=False)
        rows_in += df.height
        text = pl.col("text")
        df = df.filter(text.str.strip_chars().fill_null("") != "").unique(maintain_order=True)
        df = df.with_columns(
            text.str.split("\u00a0")
            .list.first()
            .str.replace_all(ORIGINAL_STRIP, "")
            .str.replace_all(r"\s+", " ")
            .str.strip_chars()
        )
        df = df.filter(text.str.len_chars().is_between(300, 500))
        rows_out += df.height
        df.write_parquet(f"{out}/{os.path.basename(folder)}.parquet")
    return rows_in, rows_out


def run_horogen(lake: str, engine: str, master: str | None) -> tuple[int, int, float]:
    from horogen.config import load_settings
    from horogen.process import rawcsv
    from horogen.process.run import process_days

    process: dict = {}
    startup = 0.0
    if engine in SPARK_ENGINES:
        from horogen.process import spark

        process = {"spark_master": master, "spark_conf": {"spark.driver.memory": "6g"}}
        began = time.perf_counter()
        settings = load_settings(lake=lake, process=process)
        spark.session(settings.process)
        startup = time.perf_counter() - began
        engine = "spark"
    settings = load_settings(lake=lake, process=process or None)
    store = settings.open_lake()
    days = None
    if engine == "polars-no-digits":
        settings = load_settings(lake=lake, process={"keep_digits": False})
        engine = "polars"
    if engine == "polars-half":
        every_day = rawcsv.raw_days(store)
        days, engine = every_day[: len(every_day) // 2], "polars"
    reports = process_days(store, settings.process, days, engine)
    return sum(r.rows_in for r in reports), sum(r.rows_out for r in reports), startup


def child(engine: str, lake: str, master: str | None) -> None:
    out = tempfile.mkdtemp(prefix=f"bench-{engine}-")
    startup = 0.0
    began = time.perf_counter()
    if engine == "pandas":
        rows_in, rows_out = run_pandas(lake, out)
    elif engine == "polars-original":
        rows_in, rows_out = run_polars_original(lake, out)
    else:
        # the session start is timed apart, inside run_horogen
        rows_in, rows_out, startup = run_horogen(lake, engine, master)
    seconds = time.perf_counter() - began - startup
    shutil.rmtree(out, ignore_errors=True)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result = {"seconds": seconds, "startup": startup, "rows_in": rows_in, "rows_out": rows_out}
    print("RESULT " + json.dumps(result | {"maxrss": maxrss}), flush=True)


# --- the parent: data, measurement, report ------------------------------------------------


def generate(lake: str, rows: int, days: int, sources: int) -> None:
    from horogen.lake import Lake
    from horogen.process import synthetic

    marker = Path(lake) / "bench.json"
    wanted = {"rows": rows, "days": days, "sources": sources}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return
    shutil.rmtree(lake, ignore_errors=True)
    store = Lake(lake)
    first = dt.date(2026, 1, 1)
    per_day = rows // days
    for index in range(days):
        day = first + dt.timedelta(days=index)
        count = per_day + (rows - per_day * days if index == days - 1 else 0)
        synthetic.write(store, synthetic.generate([day], count, sources=sources, seed=index))
    marker.write_text(json.dumps(wanted))


def measure(engine: str, lake: str, engine_src: str | None = None) -> dict:
    if engine == "spark-cluster":
        with standalone_cluster() as master:
            return _measure(engine, lake, master, engine_src)
    return _measure(engine, lake, "local[2]", engine_src)


@contextlib.contextmanager
def standalone_cluster():
    """A Spark master and two one-core workers (``horogen stack``'s), for one run."""
    from horogen.stack import spark
    from horogen.stack.processes import Launcher, free_port

    folder = Path(tempfile.mkdtemp(prefix="bench-spark-cluster-"))
    launcher = Launcher(folder / "logs")
    env = dict(os.environ) | {"PYSPARK_PYTHON": sys.executable}
    try:
        _, master, _ = spark.start(
            launcher, env, folder / "work", port=free_port(), ui_port=free_port()
        )
        yield master
    finally:
        launcher.stop_all()
        shutil.rmtree(folder, ignore_errors=True)


def _measure(engine: str, lake: str, master: str, engine_src: str | None) -> dict:
    try:
        import psutil
    except ImportError:  # then the child's own ru_maxrss is all we have
        psutil = None

    env = os.environ | {"SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    if engine_src:  # the child (and Spark's Python workers) import that horogen
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [engine_src, env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", engine, "--data", lake, "--master", master],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        if psutil is None:
            return
        parent = psutil.Process(process.pid)
        while not done.is_set():
            try:
                tree = [parent, *parent.children(recursive=True)]
                total = 0
                for member in tree:
                    with contextlib.suppress(psutil.Error):
                        total += member.memory_info().rss
                peak = max(peak, total)
            except psutil.Error:
                break
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{engine} failed (exit {process.returncode}):\n{output}")
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["peak"] = max(peak, result.pop("maxrss"))
    return result


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}, {os.cpu_count()} cores, {ram:.0f} GiB RAM, Python {platform.python_version()}"


def versions() -> str:
    import pandas
    import polars

    parts = [f"pandas {pandas.__version__}", f"polars {polars.__version__}"]
    try:
        import pyspark

        parts.append(f"pyspark {pyspark.__version__}")
    except ImportError:
        pass
    return ", ".join(parts)


def render(results: dict[str, dict], args: argparse.Namespace, context: dict) -> str:
    size_mb = context["size"] / 1e6
    lines = [
        "<!-- bench:process -->",
        "## Processing: 1,000,000 raw rows"
        if args.rows == 1_000_000
        else f"## Processing: {args.rows:,} raw rows",
        "",
        f"`{context['command']}` on {context['machine']}, {context['date']}; "
        f"{context['versions']}. 1-minute load average {context['load_before']:.1f} → "
        f"{context['load_after']:.1f} (the benchmark's own engines included).",
        "",
        f"Input: {args.rows:,} raw rows from `horogen.process.synthetic` (the parity test's "
        f"generator), {args.days} days × {args.sources} source files, {size_mb:,.0f} MB of "
        "CSV. Each engine runs in its own process; peak memory is that process tree's RSS "
        "(for Spark: the Python driver, the JVM and its Python workers)."
        + (
            f" Every engine but Spark ran {args.repeat} times, interleaved: its fastest time "
            "and highest peak are shown."
            if args.repeat > 1
            else ""
        ),
        "",
        "| engine | rules | rows in | rows out | seconds | rows/s | rows/s per core | vs pandas "
        "| peak RSS GiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rules_of = {
        "pandas": "original",
        "polars-original": "original",
        "polars": "horogen",
        "polars-half": "horogen",
        "polars-no-digits": "horogen, keep_digits = false",
        "spark": "horogen",
        "spark-cluster": "horogen",
    }
    base = results.get("pandas")
    for engine, result in results.items():
        rate = result["rows_in"] / result["seconds"]
        speedup = f"{base['seconds'] / result['seconds']:.1f}×" if base else "–"
        name = {
            "spark": f"spark local[2] (+{result['startup']:.1f} s session start)",
            "spark-cluster": "spark:// 2 workers × 1 core "
            f"(+{result['startup']:.1f} s session start)",
            "polars-half": f"polars, first {args.days // 2} of the {args.days} days",
        }.get(engine, engine)
        lines.append(
            f"| {name} | {rules_of[engine]} | {result['rows_in']:,} | {result['rows_out']:,} | "
            f"{result['seconds']:.1f} | {rate:,.0f} | {rate / cores(engine):,.0f} | {speedup} | "
            f"{result['peak'] / 2**30:.2f} |"
        )
    lines += ["", *context["notes"], "<!-- /bench:process -->"]
    return "\n".join(lines) + "\n"


def cores(engine: str) -> int:
    """The cores an engine computes on."""
    if engine == "pandas":
        return 1
    return 2 if engine in SPARK_ENGINES else os.cpu_count() or 1


def notes(results: dict[str, dict], size: int, days: int) -> list[str]:
    out = [
        "*Original rules*: drop empty texts and rows duplicated in every column, cut at the "
        "first no-break space, strip non-letters/digits/punctuation, collapse whitespace, "
        "300–500 characters. *horogen rules*: everything in "
        "[processing.md](processing.md) — Unicode spaces, invisible characters, tails, "
        "Latin and mixed scripts, digits kept (`process.keep_digits`), de-duplication on "
        "the cleaned text, SHA-256 per text, "
        "the raw-CSV checks that find malformed rows, the data tests, atomic writes. "
        "polars-original isolates the engine: the same work as pandas.",
        "",
    ]
    polars = results.get("polars")
    spark = results.get("spark")
    pandas = results.get("pandas")
    original = results.get("polars-original")
    half = results.get("polars-half")
    if polars and original:
        memory = polars["peak"] / original["peak"]
        time_ratio = polars["seconds"] / original["seconds"]
        met = "met" if memory <= 1.5 and time_ratio <= 1.3 else "not met"
        out += [
            f"**Bounded memory** (horogen's polars run within 1.5× the peak memory and 1.3× "
            f"the time of polars doing the original rules, not growing with the days): {met}. "
            f"Peak {polars['peak'] / 2**30:.2f} GiB against {original['peak'] / 2**30:.2f} "
            f"GiB ({memory:.2f}×), {polars['seconds']:.1f} s against "
            f"{original['seconds']:.1f} s ({time_ratio:.2f}×). horogen processes a day at a "
            "time, each raw file read, cleaned and judged on its own with only its candidate "
            "rows kept, so the peak is about one day's candidates and a few files' raw rows"
            + (
                f": the first {days // 2} days alone peak at "
                f"{half['peak'] / 2**30:.2f} GiB, all {days} at "
                f"{polars['peak'] / 2**30:.2f} GiB."
                if half
                else "."
            ),
            "",
        ]
    if polars and pandas:
        speedup = pandas["seconds"] / polars["seconds"]
        original = results.get("polars-original")
        if speedup >= 10:
            out += [f"**Target** (polars ≥ 10× pandas): met, {speedup:.1f}×.", ""]
        else:
            same_work = ""
            cost = "which cost"
            if original:
                ratio = pandas["seconds"] / original["seconds"]
                same_work = f" polars doing exactly pandas' work is {ratio:.1f}×,"
                cost = f"which take {polars['seconds'] / original['seconds']:.2f}× the time"
            out += [
                f"**Target** (polars ≥ 10× pandas): not met here, {speedup:.1f}×.{same_work} "
                "so the gap is mostly the engine on this machine, not horogen's longer rules "
                f"({cost} of the original's in polars, thanks to the shortcuts in "
                "`local.py`: steps run only on the rows their trigger finds). The work is "
                "regex-bound — every engine scans each text a few times — and Rust's regex "
                "runs those scans only a few times faster than Python's `re` per core "
                "(on 100,000 rows: about 0.1 s a regex pass per core, for 850 bytes of "
                "Cyrillic per row); polars' lead beyond that comes from splitting rows "
                "across cores, and this machine has two. pandas stays on one core whatever "
                "the machine has, so the ratio grows with the cores.",
                "",
            ]
    if polars and spark:
        polars_rate = polars["rows_in"] / polars["seconds"]
        spark_rate = spark["rows_in"] / spark["seconds"]
        per_core = spark_rate / 2
        cores = polars_rate / per_core
        rows_per_day = polars["rows_in"] / days
        gib_per_million = polars["peak"] / 2**30 / (rows_per_day / 1e6)
        rows_in_64 = 48 / gib_per_million * 1e6
        bytes_per_row = size / polars["rows_in"]
        out += [
            "**Where Spark takes over.** On one machine polars wins: "
            f"{polars_rate:,.0f} rows/s against Spark's {spark_rate:,.0f} on the same "
            f"2 cores ({polars_rate / spark_rate:.1f}×), before Spark's "
            f"{spark['startup']:.0f} s session start. Spark scales out at about "
            f"{per_core:,.0f} rows/s per core here, so a cluster needs roughly "
            f"{cores:.0f} executor cores just to match one polars process. What polars "
            f"cannot do is exceed one machine's memory for one day: it peaked at "
            f"{gib_per_million:.1f} GiB per million raw rows a day "
            f"({bytes_per_row * 1e6 / 1e9:.2f} GB of CSV), so a 64 GiB machine (48 GiB "
            f"usable) processes days of up to about {rows_in_64 / 1e6:.0f} million raw rows "
            f"(~{rows_in_64 * bytes_per_row / 1e9:.0f} GB of CSV) each, however many days a "
            "backfill has. A cluster pays off when a day's raw data is beyond that, or when "
            "a backfill of many days must finish faster than one machine can go.",
            "",
            "For scale: the seven sources give about 250 raw rows a day "
            "([collection](#collection-365-days-from-the-mirror)), a few hundred KB — four "
            "orders of magnitude below that line. A year of them (~92,000 rows) is one "
            "polars run of about a second. Production keeps Spark for the day the sources "
            "multiply (or for re-processing years of history in one go), not for speed.",
        ]
    return out


def update_docs(section: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    pattern = re.compile(r"<!-- bench:process -->.*?<!-- /bench:process -->\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--sources", type=int, default=20)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the one-machine engines this many times, interleaved, keeping each one's "
        "fastest time and highest peak (on a shared machine the load drifts; Spark runs once)",
    )
    parser.add_argument("--data", help="where the raw data goes (reused when it matches)")
    parser.add_argument(
        "--engine-src",
        help="a horogen src/ folder the engines run from (another version's, for before and "
        "after); the default is the horogen this Python imports",
    )
    parser.add_argument("--update-docs", action="store_true")
    parser.add_argument(
        "--rerender", action="store_true", help="report the last run's results again"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--master", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        child(args.child, args.data, args.master)
        return

    lake = args.data or os.path.join(tempfile.gettempdir(), f"horogen-bench-{args.rows}")
    if args.rerender:
        saved = json.loads(Path(lake, "bench-results.json").read_text())
        report(saved["results"], args, saved["size"], *saved["load"])
        return
    began = time.perf_counter()
    generate(lake, args.rows, args.days, args.sources)
    print(f"data: {lake} ({time.perf_counter() - began:.0f} s)", flush=True)
    size = sum(os.path.getsize(path) for path in glob.glob(f"{lake}/raw/date=*/*.csv"))
    load_before = os.getloadavg()[0]
    results = {}
    engines = args.engines.split(",")
    rounds = [[e for e in engines if r == 0 or e not in SPARK_ENGINES] for r in range(args.repeat)]
    for engine in (engine for round_ in rounds for engine in round_):
        shutil.rmtree(os.path.join(lake, "processed"), ignore_errors=True)
        result = measure(engine, lake, args.engine_src)
        if engine in results:  # a repeat: the fastest time, the highest peak
            best = results[engine]
            result["peak"] = max(result["peak"], best["peak"])
            if best["seconds"] < result["seconds"]:
                result["seconds"], result["startup"] = best["seconds"], best["startup"]
        results[engine] = result
        print(
            f"{engine:16s} {result['seconds']:7.2f} s  "
            f"{result['rows_in'] / result['seconds']:>10,.0f} rows/s  "
            f"peak {result['peak'] / 2**30:.2f} GiB  rows out {result['rows_out']:,}",
            flush=True,
        )
    Path(lake, "bench-results.json").write_text(
        json.dumps({"results": results, "size": size, "load": [load_before, os.getloadavg()[0]]})
    )
    report(results, args, size, load_before, os.getloadavg()[0])


def report(
    results: dict[str, dict],
    args: argparse.Namespace,
    size: int,
    load_before: float,
    load_after: float,
) -> None:
    command = "python bench/process.py" + (" --update-docs" if args.update_docs else "")
    if args.rows != 1_000_000:
        command += f" --rows {args.rows}"
    if args.repeat != 1:
        command += f" --repeat {args.repeat}"
    if args.engines != ",".join(ENGINES):
        command += f" --engines {args.engines}"
    if args.engine_src:
        command += f" --engine-src {args.engine_src}"
    context = {
        "command": command,
        "machine": machine(),
        "date": dt.date.today().isoformat(),
        "versions": versions(),
        "load_before": load_before,
        "load_after": load_after,
        "size": size,
        "notes": notes(results, size, args.days),
    }
    section = render(results, args, context)
    print(section)
    if args.update_docs:
        update_docs(section)


if __name__ == "__main__":
    main()
