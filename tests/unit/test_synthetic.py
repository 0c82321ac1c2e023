"""The synthetic raw data hits every rule and edge case, and is a function of its seed."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from horogen.process import rawcsv, rules, synthetic
from horogen.process.rawcsv import RawFile
from horogen.process.settings import ProcessSettings

DAY = dt.date(2026, 11, 25)


def test_base_texts_are_clean_and_exactly_long() -> None:
    rng = random.Random(0)
    for length in (*synthetic.BOUNDARY_LENGTHS, 1, 2, 50, 650):
        text = synthetic.base_text(rng, length)
        assert len(text) == length
        assert rules.clean_text(text) == text


def test_exact_dirt_cleans_back_to_the_base() -> None:
    # Exact dirt includes numbers, which only the original's rule (digits dropped) removes.
    original = ProcessSettings(keep_digits=False)
    rng = random.Random(1)
    for _ in range(500):
        base = synthetic.base_text(rng, rng.choice(synthetic.BOUNDARY_LENGTHS))
        assert rules.clean_text(synthetic.dirty(rng, base, exact=True), original) == base


def test_generated_data_hits_every_rule_and_edge_case() -> None:
    files = synthetic.generate([DAY], 3000, sources=6, seed=4)
    assert files == synthetic.generate([DAY], 3000, sources=6, seed=4)
    rules_hit: Counter[str] = Counter()
    lengths: Counter[int] = Counter()
    raw_texts = []
    for path, data in files.items():
        parsed = rawcsv.parse_reference(data, RawFile(path, DAY, len(data)))
        assert parsed.malformed == []
        for fields in parsed.rows:
            rule, cleaned = rules.classify(fields[1], fields[4])
            rules_hit[rule or "kept"] += 1
            lengths[len(cleaned)] += 1
            raw_texts.append(fields[4])
    assert set(rules_hit) == {*rules.DROP_RULES[1:-1], "kept"}
    assert all(lengths[length] > 0 for length in synthetic.BOUNDARY_LENGTHS)
    joined = "".join(raw_texts)
    for needle in ("\u00a0", "\n", '"', ",", "\u0301", "и\u0306", "“", "Читать далее"):
        assert needle in joined, needle
    assert any(char.isdigit() for char in joined)
    assert any("a" <= char <= "z" for char in joined)
    assert any(ord(char) > 0xFFFF for char in joined)  # emoji outside the BMP
    kept = [rules.clean_text(text) for text in raw_texts]
    assert len(kept) - len(set(kept)) > 50  # the same text from several sources


def test_corrupt_adds_every_kind_of_malformed_row() -> None:
    files = synthetic.corrupt(synthetic.generate([DAY], 1000, sources=12, seed=1))
    reasons = []
    for path, data in files.items():
        parsed = rawcsv.parse_reference(data, RawFile(path, DAY, len(data)))
        reasons += [item.reason for item in parsed.malformed]
    for needle in (
        "bad date",
        "bad date ''",
        "is not the partition's day",
        "8 fields",
        "3 fields",
        "broken quoting",
        "bad collected_at",
        "not UTF-8",
        "unknown column",
        "never closed",
    ):
        assert any(needle in reason for reason in reasons), needle
