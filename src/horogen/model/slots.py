"""Typed slots: what training puts in a target text where it named its own sign and date,
and what a version freezes to fill them (:func:`horogen.model.pyfunc.fill_slots`).

A slot is a kind and the grammemes of the word it stood for, so the case is part of it:
"Львам" → ``<sign:datv:plur>``, "в среду" → "в ``<weekday:accs:sing>``", "2 декабря" →
"``<day>`` ``<month:gent>``". Generation fills each from the request, inflected by pymorphy3
("Лев" → "Львам", "среда" → "среду"), so a text cannot name a sign or date other than its
request's by copying one from the corpus.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from horogen.mentions import MONTHS, PLURAL_ONLY, SIGN_LEMMAS, WEEKDAYS, Mention, find_mentions
from horogen.model.pyfunc import SLOT_CASES, SLOT_NUMBERS
from horogen.signs import Sign

#: Every slot a target may hold, each one token of the model's vocabulary.
SLOT_TOKENS: tuple[str, ...] = (
    *(f"<{kind}:{case}:{number}>" for kind in ("sign", "weekday") for case in SLOT_CASES
      for number in SLOT_NUMBERS),
    *(f"<month:{case}>" for case in SLOT_CASES),
    "<day>",
)  # fmt: skip


def slot_of(mention: Mention) -> str:
    """The slot that stands for ``mention``."""
    if mention.kind == "day":
        return "<day>"
    if mention.kind == "month":
        return f"<month:{mention.case}>"
    return f"<{mention.kind}:{mention.case}:{mention.number}>"


def slot_text(text: str, sign: Sign | str, day: dt.date) -> str:
    """``text`` with its mentions of ``sign`` and of ``day``'s weekday, day and month as
    slots; mentions of other signs and dates stay as they are. A month after a day that is
    not ``day``'s ("до 15 декабря" in a text for 2 December) stays too."""
    pieces, last = [], 0
    mentions = find_mentions(text)
    foreign_day = {
        index + 1
        for index, mention in enumerate(mentions)
        if mention.kind == "day" and not mention.names(sign, day)
    }
    for index, mention in enumerate(mentions):
        if index in foreign_day or not mention.names(sign, day):
            continue
        pieces += [text[last : mention.start], slot_of(mention)]
        last = mention.end
    return "".join(pieces) + text[last:]


def slot_recipe() -> dict[str, Any]:
    """What fills the slots, frozen into a version's ``model_config["slots"]``."""
    return {
        "signs": {sign.value: lemma for sign, lemma in SIGN_LEMMAS.items()},
        "plural_only": sorted(sign.value for sign in PLURAL_ONLY),
        "weekdays": {str(index): lemma for index, lemma in enumerate(WEEKDAYS)},
        "months": {str(index + 1): lemma for index, lemma in enumerate(MONTHS)},
    }
