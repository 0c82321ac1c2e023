"""The CLI's logging: levels, library chatter, each warning once, one line per message."""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator

import pytest
from rich.console import Console

from horogen.cli import logs


@pytest.fixture
def printed() -> Iterator[io.StringIO]:
    """What the CLI's handler prints; logging is put back as it was afterwards."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("horogen").level)
    out = io.StringIO()
    yield out
    for handler in root.handlers[:]:
        if handler not in saved[1]:
            root.removeHandler(handler)
    root.setLevel(saved[0])
    logging.getLogger("horogen").setLevel(saved[2])
    logging.captureWarnings(False)


def setup(level: str, out: io.StringIO) -> None:
    logs.setup(level, Console(file=out, width=200, force_terminal=False))


def test_by_default_horogen_speaks_and_libraries_only_err(printed) -> None:
    setup("info", printed)
    logging.getLogger("horogen.collect").info("collected 12 pages")
    logging.getLogger("somelib").info("HTTP Request: GET https://x")
    logging.getLogger("somelib.store").warning("a note from a library")
    logging.getLogger("somelib.store").error("the store is down")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging.captureWarnings(True)
        warnings.warn("a library's UserWarning", UserWarning, stacklevel=1)
    text = printed.getvalue()
    assert "collected 12 pages" in text and "the store is down" in text
    assert "HTTP Request" not in text and "a note from a library" not in text
    assert "UserWarning" not in text


def test_verbose_shows_libraries_and_quiet_only_warnings(printed) -> None:
    setup("debug", printed)
    logging.getLogger("somelib").info("HTTP Request: GET https://x")
    logging.getLogger("horogen.fetch").debug("retrying")
    assert "HTTP Request" in printed.getvalue() and "retrying" in printed.getvalue()

    quiet = io.StringIO()
    setup("warning", quiet)
    logging.getLogger("horogen.collect").info("collected 12 pages")
    logging.getLogger("horogen.collect").warning("skipping 2026-11-25")
    assert "collected" not in quiet.getvalue() and "skipping 2026-11-25" in quiet.getvalue()
    assert not logs.progress_bars()


def test_a_warning_repeated_is_printed_once(printed) -> None:
    setup("debug", printed)
    for _ in range(3):
        logging.getLogger("somelib").warning("tied weights")
    message = "Add type hints to the `predict` method"
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # as MLflow's resets make it
        logging.captureWarnings(True)
        for _ in range(2):
            warnings.warn(message, UserWarning, stacklevel=1)
    text = printed.getvalue()
    assert text.count("tied weights") == 1
    assert text.count("Add type hints") == 1


def test_tracebacks_only_when_verbose(printed) -> None:
    setup("info", printed)
    try:
        raise KeyError("IGRa5")
    except KeyError:
        logging.getLogger("horogen.collect.run").exception("74ru could not parse a page")
    assert "74ru could not parse a page" in printed.getvalue()
    assert "Traceback" not in printed.getvalue()
