"""Best of k: which candidate is served, when more are drawn, what is kept and counted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError

from horogen.model.strategy import Strategy
from horogen.schema import Category
from horogen.serve.cache import open_stores
from horogen.serve.flight import fill, new_owner
from horogen.serve.judge import BestOf, best_of_for
from horogen.serve.schemas import Horoscope, horoscope
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import Group
from horogen.signs import Sign

DAY = dt.date(2026, 12, 1)
STRATEGY = Strategy(max_new_tokens=8)


@dataclass(frozen=True)
class Verdict:
    score: float
    values: dict[str, float | None]
    failed: tuple[str, ...]


class TableJudge:
    """Scores each (sign, sample) as a table says; a missing entry fails at 0.1. Records
    what it was asked to judge."""

    def __init__(self, table: dict[tuple[Sign, int], tuple[float, bool]]) -> None:
        self.table = table
        self.asked: list[int] = []

    def judge(self, texts: Sequence[Horoscope]) -> list[Verdict]:
        self.asked.append(len(texts))
        verdicts = []
        for text in texts:
            sample = int(text.text.rsplit("#", 1)[1])
            score, passed = self.table.get((text.sign, sample), (0.1, False))
            failed = () if passed else ("acceptability",)
            verdicts.append(Verdict(score, {"acceptability": float(passed)}, failed))
        return verdicts


class Drawer:
    """Draws ``<sign>#<sample>`` texts and records each call's signs and samples."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[Sign], range]] = []

    def __call__(self, signs: Sequence[Sign], samples: range) -> list[tuple[int, Horoscope]]:
        self.calls.append((list(signs), samples))
        return [(n, text(sign, n)) for sign in signs for n in samples]


def text(sign: Sign, sample: int) -> Horoscope:
    return horoscope(
        sign, Category.GENERAL, DAY, f"{sign.value}#{sample}", model="m/1", version=1,
        strategy=STRATEGY,
    )  # fmt: skip


def everyone_passes(score: float = 0.5) -> dict[tuple[Sign, int], tuple[float, bool]]:
    return {(sign, n): (score, True) for sign in Sign for n in range(4)}


def test_the_best_passing_candidate_is_served_not_the_best_overall() -> None:
    table = everyone_passes()
    table[Sign.LEO, 1] = (0.9, False)  # the highest score, but it fails a check
    table[Sign.LEO, 2] = (0.8, True)
    table[Sign.LEO, 3] = (0.8, True)  # as good as 2: the lower sample wins
    drawer, judge = Drawer(), TableJudge(table)
    choice = BestOf(judge, k=4, cap=12).choose(drawer, list(Sign))

    assert drawer.calls == [(list(Sign), range(4))]  # one call for every sign's k
    assert judge.asked == [48]
    served = {t.sign: t.text for t in choice.served}
    assert served[Sign.LEO] == "leo#2"
    assert served[Sign.ARIES] == "aries#0"  # equal scores: the first sample
    assert choice.unpassed == [] and choice.draws == 1
    leo = [c for c in choice.candidates if c.sign is Sign.LEO]
    assert [(c.sample, c.chosen, c.passed, c.score) for c in leo] == [
        (0, False, True, 0.5),
        (1, False, False, 0.9),
        (2, True, True, 0.8),
        (3, False, True, 0.8),
    ]
    assert leo[1].failed == ["acceptability"] and leo[1].values == {"acceptability": 0.0}
    assert len(choice.candidates) == 48
    assert sum(c.chosen for c in choice.candidates) == 12


def test_none_passing_draws_more_up_to_the_cap_and_serves_the_best_recorded() -> None:
    table = everyone_passes()
    for n in range(10):  # nothing of leo passes; virgo passes only in the second round
        table[Sign.LEO, n] = (0.1 * n, False)
        table[Sign.VIRGO, n] = (0.2, n == 5)
    table[Sign.LEO, 3] = (0.95, False)
    drawer, judge = Drawer(), TableJudge(table)
    choice = BestOf(judge, k=4, cap=10).choose(drawer, list(Sign))

    # k more for the signs still wanting, and the last round only up to the cap.
    assert drawer.calls == [
        (list(Sign), range(0, 4)),
        ([Sign.LEO, Sign.VIRGO], range(4, 8)),
        ([Sign.LEO], range(8, 10)),
    ]
    assert choice.draws == 3
    assert judge.asked == [48, 56, 58]  # every round judges all the group's candidates
    served = {t.sign: t.text for t in choice.served}
    assert served[Sign.VIRGO] == "virgo#5"
    assert served[Sign.LEO] == "leo#3"  # the best of all ten, though it failed
    assert choice.unpassed == [Sign.LEO]
    leo = [c for c in choice.candidates if c.sign is Sign.LEO]
    assert [c.sample for c in leo] == list(range(10))
    (chosen,) = [c for c in leo if c.chosen]
    assert chosen.sample == 3 and not chosen.passed


def test_best_of_one_is_one_draw_judged() -> None:
    drawer, judge = Drawer(), TableJudge({})
    choice = BestOf(judge, k=1, cap=1).choose(drawer, list(Sign))
    assert drawer.calls == [(list(Sign), range(1))]
    assert choice.unpassed == list(Sign)
    assert [t.text for t in choice.served] == [f"{s.value}#0" for s in Sign]


def test_k_must_be_within_the_cap() -> None:
    with pytest.raises(ValueError, match="1 ≤ k ≤ cap"):
        BestOf(TableJudge({}), k=5, cap=4)
    with pytest.raises(ValidationError, match="best_of_cap 3 is below best_of 4"):
        ServeSettings(best_of=4, best_of_cap=3)
    assert best_of_for(ServeSettings(), None) is None
    judge = TableJudge({})
    assert best_of_for(ServeSettings(best_of=2, best_of_cap=6), judge) == BestOf(judge, 2, 6)


class DrawingModel:
    """Stands in for a ServingModel that draws candidates."""

    label = "m/1"
    version = 1

    def __init__(self) -> None:
        self.drawer = Drawer()

    def draw(
        self, day: dt.date, category: Category, signs: Sequence[Sign], samples: range
    ) -> list[tuple[int, Horoscope]]:
        assert (day, category) == (DAY, Category.GENERAL)
        return self.drawer(signs, samples)


def unpassed_count() -> float:
    return REGISTRY.get_sample_value("horogen_best_of_unpassed_total") or 0.0


def test_fill_keeps_every_candidate_beside_the_served_text_and_counts_failures(tmp_path) -> None:
    table = everyone_passes()
    table[Sign.PISCES, 0] = (0.99, False)
    for n in range(8):
        table[Sign.LEO, n] = (0.1, False)
    stores = open_stores(ServeSettings(cache_url=f"sqlite:///{tmp_path / 'cache.db'}"))
    stores.create()
    model, group = DrawingModel(), Group("m/1", DAY, Category.GENERAL)
    before = unpassed_count()
    texts, made = fill(
        stores.texts, model, group, owner=new_owner(), lease=30, wait=30,  # type: ignore[arg-type]
        best_of=BestOf(TableJudge(table), k=4, cap=8),
    )  # fmt: skip
    assert made == 12
    assert unpassed_count() == before + 1  # leo: none of 8 passed
    assert texts[Sign.PISCES].text == "pisces#1"
    assert stores.texts.group(group) == texts

    kept = stores.texts.candidates(group)
    assert len(kept) == 12 * 4 + 4  # leo drew 4 more
    assert [c.sample for c in stores.texts.candidates(group, Sign.LEO)] == list(range(8))
    for candidate in kept:
        assert candidate.chosen == (texts[candidate.sign].text == candidate.text)
    pisces = {c.sample: c for c in stores.texts.candidates(group, Sign.PISCES)}
    assert pisces[0].failed == ["acceptability"] and pisces[0].score == 0.99
    assert pisces[1].chosen and pisces[1].values == {"acceptability": 1.0}

    # A second fill finds the texts: nothing drawn, nothing counted again.
    calls = len(model.drawer.calls)
    again, made = fill(
        stores.texts, model, group, owner=new_owner(), lease=30, wait=30,  # type: ignore[arg-type]
        best_of=BestOf(TableJudge(table), k=4, cap=8),
    )  # fmt: skip
    assert (again, made) == (texts, 0) and len(model.drawer.calls) == calls
    assert unpassed_count() == before + 1
    stores.close()
