"""The consistency metric through score_texts: per text 0/1 with the offending word in the
note, per set the share, undefined without requests."""

from __future__ import annotations

import datetime as dt

from horogen.evaluate.scorers.base import ScoringContext
from horogen.evaluate.scoring import build_scorers, score_texts
from horogen.evaluate.settings import ScorersSettings, offline
from horogen.model.generate import TextRequest
from horogen.signs import Sign

LEO_WEDNESDAY = TextRequest(sign=Sign.LEO, date=dt.date(2026, 12, 2))


def test_each_failure_is_named_in_the_note_and_the_set_is_the_share() -> None:
    texts = [
        "Львам 2 декабря повезёт: в среду о Льве вспомнят.",  # right, several case forms
        "Ракам и Девам в среду лучше отдохнуть.",
        "Во вторник, 1 декабря, Льву повезёт.",
    ]
    scorers = build_scorers(offline(ScorersSettings()))
    result = score_texts(texts, scorers, ScoringContext(requests=[LEO_WEDNESDAY] * 3))
    assert [row.consistency for row in result.rows] == [1.0, 0.0, 0.0]
    assert [row.note for row in result.rows] == [
        "",
        "consistency: another sign 'Ракам', another sign 'Девам'",
        "consistency: another weekday 'вторник', another day '1'",
    ]
    assert result.summary.consistency == 1 / 3
    unknown = score_texts(texts, scorers)  # no requests: undefined, and no note
    assert unknown.summary.consistency is None
    assert [row.note for row in unknown.rows] == ["", "", ""]
