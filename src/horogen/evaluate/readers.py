"""The readers' rule of promotion: a version readers like less, with confidence, stays out.

Readers' verdicts per version come from the serving database (the canary serves the
challenger to ``serve.canary_share`` of readers, sticky per reader, so both versions are
judged in the same days by comparable readers). Once both versions have at least
``evaluate.readers.min_verdicts`` verdicts, the difference of their like shares gets a
one-sided interval at ``confidence`` (Newcombe's hybrid score interval, built from each
share's Wilson interval: sound for small counts and shares near 0 or 1). A candidate
whose interval lies wholly below zero is *rejected*: readers like it less than the
version it is compared with at that confidence. With too few verdicts the rule abstains
and says how many are missing.

Each verdict is one reader's on one text (a repeat replaces it; a reader is the server's
cookie or a Telegram id, rate-limited): a stuffing client moves the counts by at most its
rate limit, and the interval widens rather than narrows for the few readers behind it.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from pydantic import BaseModel, ConfigDict, Field

from horogen.verdicts import ReaderVerdict


class ReadersSettings(BaseModel):
    """``[evaluate.readers]``: when readers' verdicts can keep a version out."""

    model_config = ConfigDict(extra="forbid")

    min_verdicts: int = Field(
        default=200,
        ge=1,
        description="Verdicts each version needs before the readers' rule decides.",
    )
    confidence: float = Field(
        default=0.95,
        gt=0.5,
        lt=1.0,
        description="One-sided confidence that the candidate is liked less, to refuse it.",
    )
    rollback_on_reject: bool = Field(
        default=True,
        description="Whether the daily DAG's check rolls back a champion readers reject "
        "(`horogen promote --check` rolls back only with --rollback-on-reject).",
    )


class ReadersJudgement(BaseModel):
    """What readers say of ``candidate`` against ``incumbent``: JSON-safe."""

    candidate: int
    incumbent: int
    candidate_share: float | None
    incumbent_share: float | None
    candidate_verdicts: int
    incumbent_verdicts: int
    #: The upper end of the one-sided interval of candidate share minus incumbent share.
    upper: float | None
    decided: bool
    rejected: bool
    reason: str


def wilson(likes: int, votes: int, z: float) -> tuple[float, float]:
    """Wilson's score interval of a share ``likes / votes`` at ``z``."""
    share = likes / votes
    centre = (share + z * z / (2 * votes)) / (1 + z * z / votes)
    half = z / (1 + z * z / votes) * math.sqrt(share * (1 - share) / votes + z * z / (4 * votes**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def upper_bound(candidate: ReaderVerdict, incumbent: ReaderVerdict, confidence: float) -> float:
    """The upper end of Newcombe's one-sided interval for the difference of like shares
    (candidate minus incumbent) at ``confidence``."""
    z = NormalDist().inv_cdf(confidence)
    p1, p2 = candidate.likes / candidate.votes, incumbent.likes / incumbent.votes
    _, upper1 = wilson(candidate.likes, candidate.votes, z)
    lower2, _ = wilson(incumbent.likes, incumbent.votes, z)
    return (p1 - p2) + math.sqrt((upper1 - p1) ** 2 + (p2 - lower2) ** 2)


def judge(
    candidate: int,
    incumbent: int,
    verdicts: dict[int, ReaderVerdict],
    settings: ReadersSettings,
) -> ReadersJudgement:
    """The readers' rule for ``candidate`` against ``incumbent`` on ``verdicts``."""
    mine = verdicts.get(candidate) or ReaderVerdict(
        model="", version=candidate, likes=0, dislikes=0
    )
    theirs = verdicts.get(incumbent) or ReaderVerdict(
        model="", version=incumbent, likes=0, dislikes=0
    )

    def judgement(upper: float | None, rejected: bool, reason: str) -> ReadersJudgement:
        return ReadersJudgement(
            candidate=candidate,
            incumbent=incumbent,
            candidate_share=mine.like_share,
            incumbent_share=theirs.like_share,
            candidate_verdicts=mine.votes,
            incumbent_verdicts=theirs.votes,
            upper=upper,
            decided=upper is not None,
            rejected=rejected,
            reason=reason,
        )

    needed = settings.min_verdicts
    if mine.votes < needed or theirs.votes < needed:
        return judgement(
            None,
            False,
            f"readers: too few verdicts to judge (version {candidate}: {mine.votes}, version "
            f"{incumbent}: {theirs.votes}; {needed} each needed)",
        )
    upper = upper_bound(mine, theirs, settings.confidence)
    shares = (
        f"{mine.like_share:.1%} of {mine.votes} verdicts against version {incumbent}'s "
        f"{theirs.like_share:.1%} of {theirs.votes}"
    )
    if upper < 0:
        return judgement(
            upper,
            True,
            f"readers like version {candidate} less at {settings.confidence:.0%} confidence: "
            f"{shares} (the difference is at most {upper:+.1%})",
        )
    return judgement(
        upper,
        False,
        f"readers do not like version {candidate} less at {settings.confidence:.0%} "
        f"confidence: {shares}",
    )
