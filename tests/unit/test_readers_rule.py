"""The readers' rule (evaluate/readers.py), the verdict rate limit and readers' tickets:
pure functions, checked against values computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from horogen.evaluate.readers import ReadersSettings, judge, upper_bound, wilson
from horogen.serve.identity import ReaderKeys, with_ticket
from horogen.serve.ratelimit import RateLimit, RateLimited, check
from horogen.verdicts import ReaderVerdict


def verdict(version: int, likes: int, dislikes: int) -> ReaderVerdict:
    return ReaderVerdict(
        model=f"horogen/{version}", version=version, likes=likes, dislikes=dislikes
    )


def test_wilson_matches_the_textbook_value() -> None:
    # 81 of 263 at 95% two-sided (z = 1.96): Newcombe (1998), table I: 0.2553 … 0.3662.
    low, high = wilson(81, 263, 1.959964)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


def test_the_rule_abstains_refuses_and_lets_pass() -> None:
    rule = ReadersSettings(min_verdicts=50)
    few = judge(2, 1, {2: verdict(2, 5, 20), 1: verdict(1, 40, 10)}, rule)
    assert not few.decided and not few.rejected and "too few verdicts" in few.reason
    worse = judge(2, 1, {2: verdict(2, 20, 40), 1: verdict(1, 45, 15)}, rule)
    assert worse.decided and worse.rejected and worse.upper < 0
    assert "readers like version 2 less at 95% confidence" in worse.reason
    same = judge(2, 1, {2: verdict(2, 40, 20), 1: verdict(1, 41, 19)}, rule)
    assert same.decided and not same.rejected
    better = judge(2, 1, {2: verdict(2, 55, 5), 1: verdict(1, 30, 30)}, rule)
    assert not better.rejected


def test_a_slightly_worse_share_needs_many_verdicts_to_refuse() -> None:
    small = upper_bound(verdict(2, 55, 45), verdict(1, 60, 40), 0.95)
    large = upper_bound(verdict(2, 5500, 4500), verdict(1, 6000, 4000), 0.95)
    assert small > 0 > large


def test_the_rate_limit_refuses_past_the_burst_and_refills() -> None:
    now = [0.0]
    limits = {
        "address": RateLimit(3, clock=lambda: now[0]),
        "reader": RateLimit(3, clock=lambda: now[0]),
    }
    for reader in ("a", "b", "c"):
        check(limits, {"address": "10.0.0.1", "reader": reader})
    with pytest.raises(RateLimited) as refused:
        check(limits, {"address": "10.0.0.1", "reader": "d"})
    assert refused.value.retry_after == 20  # one token every 20 s at 3 a minute
    check(limits, {"address": "10.0.0.2", "reader": "d"})  # another address: fine
    now[0] = 20.0
    check(limits, {"address": "10.0.0.1", "reader": "e"})


def test_tickets_bind_a_reader_to_a_text() -> None:
    keys = ReaderKeys(b"k" * 32)
    day = dt.date(2026, 11, 30)
    ticket = keys.ticket("r1", "horogen/1", day, "general", "leo")
    assert keys.valid_ticket(ticket, "r1", "horogen/1", day, "general", "leo")
    assert not keys.valid_ticket(ticket, "r2", "horogen/1", day, "general", "leo")
    assert not keys.valid_ticket(ticket, "r1", "horogen/2", day, "general", "leo")
    assert not keys.valid_ticket(ticket[:8], "r1", "horogen/1", day, "general", "leo")
    assert keys.reader_of(keys.cookie_value("r1")) == "r1"
    assert keys.reader_of("r1.forged") is None
    assert ReaderKeys(b"other" * 8).reader_of(keys.cookie_value("r1")) is None
    assert with_ticket(b'{"a":1,"ticket":null}', "T") == b'{"a":1,"ticket":"T"}'


def test_the_canary_is_sticky_and_near_its_share() -> None:
    keys = ReaderKeys(b"k" * 32)
    readers = [f"r{i}" for i in range(4000)]
    chosen = [keys.in_canary(reader, 0.25) for reader in readers]
    assert chosen == [keys.in_canary(reader, 0.25) for reader in readers]
    assert 0.22 < sum(chosen) / len(chosen) < 0.28
    assert not any(keys.in_canary(reader, 0.0) for reader in readers)
