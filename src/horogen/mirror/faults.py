"""Faults the mirror injects per source, and the log of the requests it served.

A test holds a :class:`Faults` and changes it while the server runs (it is shared with the
server thread, so every method takes a lock); ``PUT /_faults`` does the same over HTTP, and
``horogen mirror --fault SOURCE=SPEC`` at startup (:func:`parse_fault`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from horogen.mirror.base import Layout

_LAYOUTS: tuple[Layout, ...] = ("current", "legacy", "changed")


class Fault(BaseModel):
    """What goes wrong with one source.

    ``status``, ``delay`` and ``hang`` are transient: they apply to the first ``times``
    requests after the fault is set (every request when ``times`` is None), then the source
    answers normally again, so retries can be tested. ``layout``, ``lag`` and ``disallow``
    last until the fault is changed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: int | None = Field(default=None, ge=400, le=599, description="Answer this status.")
    retry_after: float | None = Field(
        default=None, ge=0, description="Retry-After header (seconds) sent with `status`."
    )
    delay: float = Field(default=0.0, ge=0, description="Seconds to wait before answering.")
    hang: bool = Field(
        default=False,
        description="Never answer (until the client gives up or the fault is cleared).",
    )
    times: int | None = Field(
        default=None, ge=0, description="Apply status/delay/hang to the first N requests only."
    )
    layout: Layout = Field(default="current", description="The page layout to serve.")
    lag: int = Field(
        default=0,
        ge=0,
        description="Serve the pages of this many days before the asked day, as a site that "
        "has not been updated.",
    )
    disallow: bool = Field(default=False, description="robots.txt disallows this source.")

    @property
    def transient(self) -> bool:
        return self.status is not None or self.delay > 0 or self.hang

    def spec(self) -> str:
        """This fault in the ``--fault`` syntax (the part after ``SOURCE=``; see
        :func:`parse_fault`); empty for no fault."""
        items = [
            str(self.status) if self.status is not None else "",
            f"retry-after:{self.retry_after:g}" if self.retry_after is not None else "",
            f"delay:{self.delay:g}" if self.delay else "",
            "hang" if self.hang else "",
            f"times:{self.times}" if self.times is not None else "",
            f"layout:{self.layout}" if self.layout != "current" else "",
            f"lag:{self.lag}" if self.lag else "",
            "disallow" if self.disallow else "",
        ]
        return ",".join(item for item in items if item)

    def settled(self) -> Fault:
        """This fault once its ``times`` are used up: only the lasting parts remain."""
        return Fault(layout=self.layout, lag=self.lag, disallow=self.disallow)


NO_FAULT = Fault()


class Faults:
    """The faults of every source, changeable while the server runs."""

    def __init__(self, faults: Mapping[str, Fault] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._applied: dict[str, int] = {}  # requests each transient fault has hit so far
        self.replace(faults or {})

    def set(self, source: str, fault: Fault | None = None, **fields: object) -> Fault:
        """Give ``source`` a fault (replacing its previous one and restarting ``times``):
        ``faults.set("74ru", status=503, times=2, retry_after=1)``."""
        new = Fault.model_validate((fault or NO_FAULT).model_dump() | fields)
        with self._lock:
            self._faults[source] = new
            self._applied[source] = 0
        return new

    def clear(self, source: str | None = None) -> None:
        """Remove ``source``'s fault, or every fault."""
        with self._lock:
            if source is None:
                self._faults.clear()
                self._applied.clear()
            else:
                self._faults.pop(source, None)
                self._applied.pop(source, None)

    def replace(self, faults: Mapping[str, Fault]) -> None:
        """Replace every fault at once (what ``PUT /_faults`` does)."""
        with self._lock:
            self._faults = dict(faults)
            self._applied = dict.fromkeys(faults, 0)

    def get(self, source: str) -> Fault:
        with self._lock:
            return self._faults.get(source, NO_FAULT)

    def snapshot(self) -> dict[str, Fault]:
        with self._lock:
            return dict(self._faults)

    def disallowed(self) -> list[str]:
        """Sources that robots.txt disallows."""
        with self._lock:
            return sorted(source for source, fault in self._faults.items() if fault.disallow)

    def consume(self, source: str) -> Fault:
        """The fault to apply to one request to ``source``, counting it against ``times``."""
        with self._lock:
            fault = self._faults.get(source, NO_FAULT)
            if not fault.transient:
                return fault
            applied = self._applied.get(source, 0)
            if fault.times is not None and applied >= fault.times:
                return fault.settled()
            self._applied[source] = applied + 1
            return fault

    def __repr__(self) -> str:
        return f"Faults({self.snapshot()!r})"


@dataclass
class LoggedRequest:
    source: str
    path: str
    date: str | None  # the ``date`` parameter as given
    status: int | None = None  # None while in flight, or when the client left first
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


class RequestLog:
    """Every request the mirror routed to a site (robots.txt aside), for tests to count."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def record(self, source: str, path: str, date: str | None) -> LoggedRequest:
        entry = LoggedRequest(source, path, date)
        with self._lock:
            self._entries.append(entry)
        return entry

    @property
    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def count(self, source: str | None = None, *, status: int | None = None) -> int:
        """How many requests ``source`` got (every source when None), optionally only those
        answered with ``status``."""
        return sum(
            1
            for entry in self.entries
            if (source is None or entry.source == source)
            and (status is None or entry.status == status)
        )

    def counts(self) -> dict[str, int]:
        """Requests per source."""
        result: dict[str, int] = {}
        for entry in self.entries:
            result[entry.source] = result.get(entry.source, 0) + 1
        return result

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


#: The ``--fault`` syntax in one line, for error messages.
SYNTAX = (
    "SOURCE=ITEM[,ITEM…] with ITEM one of CODE[xN], retry-after:S, delay:S[xN], hang[xN], "
    "times:N, layout:current|legacy|changed, lag:DAYS, disallow (e.g. 74ru=500x2, ignio=hang)"
)


def parse_fault(spec: str) -> tuple[str, Fault]:
    """Parse a ``--fault`` option into (source id, fault).

    Syntax: ``SOURCE=ITEM[,ITEM…]``, where ITEM is one of

    - ``CODE[xN]``: answer HTTP status CODE (400–599); ``xN``: only the first N requests;
    - ``retry-after:S``: send ``Retry-After: S`` (seconds) with the status;
    - ``delay:S[xN]``: answer after S seconds (fractions allowed);
    - ``hang[xN]``: never answer, so the client's read timeout fires;
    - ``times:N``: status, delay and hang apply to the first N requests only;
    - ``layout:NAME``: serve the ``current``, ``legacy`` or ``changed`` layout;
    - ``lag:DAYS``: serve the pages of DAYS days earlier (a site that was not updated);
    - ``disallow``: robots.txt disallows the source.

    Examples: ``74ru=500``, ``mailru=500x2`` (the first 2 requests fail, then it recovers),
    ``74ru=429x1,retry-after:2``, ``rambler=delay:2``, ``ignio=hang``, ``ignio=hangx1``,
    ``newsler=layout:changed``, ``astroscope=disallow``.

    Raises ``ValueError`` (one line, with the syntax) when ``spec`` does not parse.
    """
    source, sep, items = spec.partition("=")
    source = source.strip()
    if not sep or not source or not items.strip():
        raise ValueError(f"bad fault {spec!r}: expected {SYNTAX}")
    fields: dict[str, object] = {}

    def put(name: str, value: object) -> None:
        if name in fields and fields[name] != value:
            raise ValueError(f"{name} given twice")
        fields[name] = value

    try:
        for raw in items.split(","):
            item = raw.strip().lower()
            head, _, times = item.partition("x")
            name, _, value = head.partition(":")
            if times:
                put("times", int(times))
            if name.isdigit() and not value:
                put("status", int(name))
            elif name == "hang" and not value:
                put("hang", True)
            elif name == "delay" and value:
                put("delay", float(value))
            elif name == "retry-after" and value and not times:
                put("retry_after", float(value))
            elif name == "times" and value and not times:
                put("times", int(value))
            elif name == "layout" and value in _LAYOUTS and not times:
                put("layout", value)
            elif name == "lag" and value and not times:
                put("lag", int(value))
            elif name == "disallow" and not value and not times:
                put("disallow", True)
            else:
                raise ValueError(f"unknown item {raw.strip()!r}")
        return source, Fault.model_validate(fields)
    except ValidationError as error:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ValueError(f"bad fault {spec!r}: {reasons}; expected {SYNTAX}") from None
    except ValueError as error:
        raise ValueError(f"bad fault {spec!r}: {error}; expected {SYNTAX}") from None


def parse_faults(specs: Iterable[str], known: Collection[str] | None = None) -> Faults:
    """:class:`Faults` from several ``--fault`` options; options for one source combine
    (``74ru=500x2`` and ``74ru=layout:changed``). A source not in ``known`` (when given) is
    a ``ValueError``."""
    merged: dict[str, Fault] = {}
    for spec in specs:
        source, fault = parse_fault(spec)
        if known is not None and source not in known:
            raise ValueError(
                f"bad fault {spec!r}: no source {source!r}; sources: {', '.join(known)}"
            )
        if source in merged:
            given = fault.model_dump(exclude_defaults=True)
            fault = Fault.model_validate(merged[source].model_dump() | given)
        merged[source] = fault
    return Faults(merged)
