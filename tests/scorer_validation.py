"""The offline scorers against the labelled set of tests/data/scorers (see build.py there):
for each scorer the share of injected errors it catches and of clean texts it flags.
Shared by tests/unit/test_scorer_validation.py (the targets) and bench/scorers.py (the
table in docs/evaluation.md, with the time each scorer takes)."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from horogen.evaluate.scorers.base import ScoringContext

LABELLED = Path(__file__).parent / "data" / "scorers" / "labelled.jsonl"
#: The novelty corpus: the first CORPUS clean texts (as in build.py).
CORPUS = 24
#: A pair of texts is "the same" to a diversity backend above this pair similarity.
SAME_PAIR = 0.5
#: Kinds of error each metric is expected to catch; other kinds are reported, not targets.
ACCEPTABILITY_ERRORS = ("nonword", "agreement", "conjugation")


@dataclass(frozen=True)
class Row:
    """One line of the table: a scorer on one kind of text."""

    metric: str
    backend: str
    kind: str
    texts: int
    flagged: int
    #: An injected error (catching it is right) or a clean text (flagging it is wrong).
    error: bool
    target: bool
    seconds: float

    @property
    def share(self) -> float:
        return self.flagged / self.texts if self.texts else float("nan")


def labelled() -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    for line in LABELLED.read_text("utf-8").splitlines():
        row = json.loads(line)
        rows.setdefault(row["kind"], []).append(row)
    return rows


def _texts(rows: dict[str, list[dict]], *kinds: str) -> list[str]:
    return [row["text"] for kind in kinds for row in rows.get(kind, [])]


def _timed(function, *args):
    started = time.perf_counter()
    return function(*args), time.perf_counter() - started


def acceptability(scorer, backend: str, rows: dict[str, list[dict]]) -> list[Row]:
    """Flagged: scored 0. Errors: the three kinds it should catch and noun_subject (not a
    target); clean: every correctly written text."""
    out = []
    for kind in (*ACCEPTABILITY_ERRORS, "noun_subject", "clean", "negative", "paraphrase"):
        texts = _texts(rows, kind)
        values, seconds = _timed(scorer.score, texts)
        error = kind in (*ACCEPTABILITY_ERRORS, "noun_subject")
        target = kind != "noun_subject"
        flagged = sum(value == 0.0 for value in values)
        out.append(Row("acceptability", backend, kind, len(texts), flagged, error, target, seconds))
    return out


def acceptability_drop(scorer, rows: dict[str, list[dict]]) -> tuple[float, float]:
    """Mean acceptability of the clean texts that got an agreement error, and of the same
    texts with it."""
    clean = {row["of"]: row["text"] for row in rows["clean"]}
    broken = rows["agreement"]
    before = scorer.score([clean[row["of"]] for row in broken])
    after = scorer.score([row["text"] for row in broken])
    return float(np.mean(before)), float(np.mean(after))


def sentiment(scorer, backend: str, rows: dict[str, list[dict]]) -> list[Row]:
    """Flagged: scored 0 (negative). Errors: the gloomy texts; clean: the others (written
    and paraphrased, together)."""
    out = []
    for kind, error in (("negative", True), ("clean + paraphrase", False)):
        texts = _texts(rows, *kind.split(" + "))
        values, seconds = _timed(scorer.score, texts)
        flagged = sum(value == 0.0 for value in values)
        out.append(Row("sentiment", backend, kind, len(texts), flagged, error, True, seconds))
    return out


def novelty(scorer, rows: dict[str, list[dict]]) -> list[Row]:
    """Flagged: a copy (novelty below 0.5) against the first CORPUS clean texts. Errors:
    near-copies of them; clean: the other clean texts and every paraphrase."""
    corpus = [row["text"] for row in rows["clean"][:CORPUS]]
    context = ScoringContext(corpus=scorer.index_of(corpus))
    fresh = [row["text"] for row in rows["clean"][CORPUS:]]
    out = []
    for kind, texts, error in (
        ("near_copy", _texts(rows, "near_copy"), True),
        ("clean (not in the corpus)", fresh, False),
        ("paraphrase", _texts(rows, "paraphrase"), False),
    ):
        values, seconds = _timed(scorer.score, texts, context)
        flagged = sum(value < 0.5 for value in values)
        out.append(Row("novelty", "verbatim", kind, len(texts), flagged, error, True, seconds))
    return out


def diversity(similarity, backend: str, rows: dict[str, list[dict]]) -> list[Row]:
    """Pairs, flagged when their similarity exceeds SAME_PAIR in the matrix
    ``similarity(texts)`` (as the backend computes it) of one set: the clean texts, their
    near-copies and paraphrases. Errors: a text and its near-copy; clean: two different
    clean texts. A text and its paraphrase is reported, not a target."""
    clean = [row["text"] for row in rows["clean"]]
    others = [*rows["near_copy"], *rows["paraphrase"]]
    started = time.perf_counter()
    matrix = similarity([*clean, *(row["text"] for row in others)])
    seconds = time.perf_counter() - started
    out = []
    for kind, error, target in (("near_copy", True, True), ("paraphrase", True, False)):
        values = [
            matrix[row["of"], len(clean) + number]
            for number, row in enumerate(others)
            if row["kind"] == kind
        ]
        flagged = sum(value > SAME_PAIR for value in values)
        out.append(
            Row("diversity", backend, f"{kind} pair", len(values), flagged, error, target, 0.0)
        )
    distinct = [matrix[i, j] for i, j in itertools.combinations(range(len(clean)), 2)]
    flagged = sum(value > SAME_PAIR for value in distinct)
    out.append(
        Row("diversity", backend, "distinct pair", len(distinct), flagged, False, True, seconds)
    )
    return out
