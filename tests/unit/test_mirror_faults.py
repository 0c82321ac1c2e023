"""The mirror's fault model and the ``--fault SOURCE=SPEC`` syntax."""

from __future__ import annotations

import pytest

from horogen.mirror.faults import Fault, Faults, RequestLog, parse_fault, parse_faults


@pytest.mark.parametrize(
    ("spec", "source", "fault"),
    [
        ("74ru=500", "74ru", Fault(status=500)),
        ("mailru=500x2", "mailru", Fault(status=500, times=2)),
        ("74ru=429x1,retry-after:2", "74ru", Fault(status=429, times=1, retry_after=2)),
        ("rambler=delay:2", "rambler", Fault(delay=2)),
        ("rambler=delay:0.5x3", "rambler", Fault(delay=0.5, times=3)),
        ("ignio=hang", "ignio", Fault(hang=True)),
        ("ignio=hangx1", "ignio", Fault(hang=True, times=1)),
        ("ignio=hang,times:1", "ignio", Fault(hang=True, times=1)),
        ("newsler=layout:changed", "newsler", Fault(layout="changed")),
        ("mailru=layout:legacy", "mailru", Fault(layout="legacy")),
        ("astroscope=disallow", "astroscope", Fault(disallow=True)),
        (" 74ru = 503 , delay:1 ", "74ru", Fault(status=503, delay=1)),
    ],
)
def test_parse_fault(spec, source, fault):
    assert parse_fault(spec) == (source, fault)


@pytest.mark.parametrize(
    "spec",
    [
        "74ru",
        "=500",
        "74ru=",
        "74ru=200",
        "74ru=600",
        "74ru=boom",
        "74ru=delay",
        "74ru=delay:-1",
        "74ru=layout:new",
        "74ru=500xq",
        "74ru=500x2,times:3",
        "74ru=500,404",
    ],
)
def test_parse_fault_rejects_bad_specs_and_shows_the_syntax(spec):
    with pytest.raises(ValueError, match="SOURCE=ITEM"):
        parse_fault(spec)


@pytest.mark.parametrize(
    "fault",
    [
        Fault(),
        Fault(status=429, times=1, retry_after=2.5),
        Fault(delay=0.25, hang=True, layout="changed", disallow=True),
    ],
)
def test_spec_round_trips(fault):
    spec = fault.spec()
    assert (parse_fault(f"x={spec}") == ("x", fault)) if spec else fault == Fault()


def test_parse_faults_combines_options_for_one_source():
    faults = parse_faults(["74ru=500x2", "74ru=layout:changed", "ignio=hang"])
    assert faults.get("74ru") == Fault(status=500, times=2, layout="changed")
    assert faults.get("ignio") == Fault(hang=True)
    assert faults.get("rambler") == Fault()


def test_consume_applies_transient_faults_times_and_keeps_the_lasting_ones():
    faults = Faults()
    faults.set("74ru", status=503, times=2, layout="legacy", disallow=True)
    applied = [faults.consume("74ru") for _ in range(3)]
    assert [fault.status for fault in applied] == [503, 503, None]
    assert {fault.layout for fault in applied} == {"legacy"}
    assert faults.disallowed() == ["74ru"]
    assert faults.consume("ignio") == Fault()


def test_set_validates_keyword_fields():
    with pytest.raises(ValueError):
        Faults().set("74ru", status=200)


def test_request_log_counts():
    log = RequestLog()
    log.record("a", "x", None).status = 500
    log.record("a", "x", "2024-01-01").status = 200
    log.record("b", "y", None)
    assert log.counts() == {"a": 2, "b": 1}
    assert log.count("a", status=500) == 1
    assert log.count() == 3
    log.clear()
    assert log.count() == 0
