"""Champion and challenger: what evaluation writes on a version, the promotion gate, and
the champion's history (what ``horogen rollback`` goes back through).

A version carries, once evaluated: ``strategy`` (the best strategy, JSON: serving and
``horogen generate`` decode with it), ``evaluation.status`` (``passed`` or ``failed``),
``evaluation.score``, ``evaluation.fingerprint`` and ``evaluation.run_id``. The registered
model carries ``champion_history``: every change of champion, newest last.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

from pydantic import BaseModel

from horogen.errors import HorogenError
from horogen.evaluate.gate import Guard, Interval, Verdict
from horogen.evaluate.report import metrics
from horogen.evaluate.run import Evaluation
from horogen.model import registry
from horogen.model.registry import Registry
from horogen.model.strategy import STRATEGY_TAG

STATUS_TAG = "evaluation.status"
SCORE_TAG = "evaluation.score"
FINGERPRINT_TAG = "evaluation.fingerprint"
RUN_TAG = "evaluation.run_id"
ERROR_TAG = "evaluation.error"
PUBLISHED_TAG = "published"  # the hub repository the version was uploaded to
HISTORY_TAG = "champion_history"
#: Changes of champion the history keeps (a tag holds a few thousand characters).
HISTORY_LENGTH = 30


class PromotionError(HorogenError):
    """A promotion or rollback that cannot be done as asked."""


class ChampionChange(BaseModel):
    """One entry of the champion's history."""

    version: int
    previous: int | None
    at: dt.datetime
    how: Literal["gate", "forced", "rollback"]
    reason: str


class Decision(BaseModel):
    """What the gate decided for a challenger, and why: JSON-safe for XCom and logs."""

    challenger: int
    champion: int | None
    challenger_score: float | None
    champion_score: float | None
    margin: float
    promoted: bool
    reason: str
    #: The paired difference (challenger − champion) and its 95% bootstrap interval.
    interval: Interval | None = None
    guards: list[Guard] = []


def record_evaluation(
    versions: Registry, version: int, evaluation: Evaluation, run_id: str
) -> None:
    """Write the evaluation's outcome onto ``version``: its best strategy and score."""
    best = evaluation.best
    tags = {
        STRATEGY_TAG: best.strategy.to_tag(),
        STATUS_TAG: "passed",
        SCORE_TAG: f"{best.scores.score:.6f}",
        FINGERPRINT_TAG: evaluation.fingerprint,
        RUN_TAG: run_id,
    }
    tags |= {
        f"evaluation.{key}": f"{value:.4f}"
        for key, value in metrics(best.scores).items()
        if key != "score"  # SCORE_TAG, at full precision: what the gate compares
    }
    versions.set_tags(version, tags)
    versions.delete_tag(version, ERROR_TAG)  # a failure before is history now


def record_failure(versions: Registry, version: int, error: BaseException) -> None:
    """Mark ``version`` as failed evaluation: the gate never promotes it."""
    versions.set_tags(version, {STATUS_TAG: "failed", ERROR_TAG: str(error)[:500]})


def stored_score(version: registry.VersionInfo, fingerprint: str) -> float | None:
    """The score evaluation stored on ``version`` if it was evaluated exactly as now
    (same ``fingerprint``) and passed."""
    tags = version.tags
    if tags.get(STATUS_TAG) != "passed" or tags.get(FINGERPRINT_TAG) != fingerprint:
        return None
    return float(tags[SCORE_TAG])


def decide(
    challenger: registry.VersionInfo,
    champion: registry.VersionInfo | None,
    challenger_score: float | None,
    champion_score: float | None,
    margin: float,
    verdict: Verdict | None = None,
) -> Decision:
    """Whether ``challenger`` takes over: it passed evaluation and there is no champion, or
    the statistics of :func:`horogen.evaluate.gate.judge` (``verdict``: same requests, seeds
    and scorers) say it is better by more than ``margin`` with no guard failing."""

    def decision(promoted: bool, reason: str) -> Decision:
        return Decision(
            challenger=challenger.version,
            champion=champion.version if champion else None,
            challenger_score=challenger_score,
            champion_score=champion_score,
            margin=margin,
            promoted=promoted,
            reason=reason,
            interval=verdict.interval if verdict else None,
            guards=verdict.guards if verdict else [],
        )

    if challenger.tags.get(STATUS_TAG) != "passed" or challenger_score is None:
        return decision(False, f"version {challenger.version} has not passed evaluation")
    if champion is None:
        return decision(True, "there is no champion yet")
    if champion.version == challenger.version:
        return decision(False, f"version {challenger.version} is the champion already")
    if champion_score is None or verdict is None:
        return decision(False, f"the champion, version {champion.version}, has no comparable score")
    return decision(verdict.promoted, verdict.reason)


def history(versions: Registry) -> list[ChampionChange]:
    """The changes of champion, oldest first."""
    value = versions.model_tag(HISTORY_TAG)
    return [ChampionChange.model_validate(entry) for entry in json.loads(value)] if value else []


def make_champion(
    versions: Registry, version: int, how: Literal["gate", "forced", "rollback"], reason: str
) -> ChampionChange:
    """Give ``version`` the champion alias (taking the challenger alias off it) and record
    the change."""
    current = versions.champion()
    change = ChampionChange(
        version=version,
        previous=current.version if current else None,
        at=dt.datetime.now(dt.UTC),
        how=how,
        reason=reason,
    )
    versions.set_alias(registry.CHAMPION, version)
    challenger = versions.version(registry.CHALLENGER)
    if challenger is not None and challenger.version == version:
        versions.delete_alias(registry.CHALLENGER)
    entries = [*history(versions), change][-HISTORY_LENGTH:]
    versions.set_model_tag(
        HISTORY_TAG, json.dumps([entry.model_dump(mode="json") for entry in entries])
    )
    return change


def previous_champion(versions: Registry) -> int:
    """The version that was champion before the current one: the history replayed as a
    stack (a promotion pushes, a rollback pops), skipping versions since deleted.
    :class:`PromotionError` when there is none."""
    name = versions.name
    current = versions.champion()
    if current is None:
        raise PromotionError(f"{name!r} has no champion to roll back from: see `horogen models`")
    stack: list[int] = []
    for change in history(versions):
        if change.how == "rollback" and stack:
            stack.pop()
        if not stack or stack[-1] != change.version:
            stack.append(change.version)
    if stack and stack[-1] == current.version:
        stack.pop()
    for version in reversed(stack):
        if version != current.version and versions.version(version) is not None:
            return version
    raise PromotionError(
        f"no earlier champion of {name!r} is recorded before version {current.version}: "
        "name the version with `horogen promote VERSION --force`"
    )
