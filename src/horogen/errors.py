"""One exception hierarchy: callers catch ``HorogenError``; each message says what to do.

Each error class carries the exit code the ``horogen`` command ends with when it stops a
command (:class:`ExitCode`: the table in the README), so a scheduler or a script can tell a
mistake in the command line from one in the settings, missing data or a partial failure.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """How a ``horogen`` command ended."""

    SUCCESS = 0
    FAILURE = 1  # the work was tried and failed (a dead network, a page that does not parse)
    USAGE = 2  # a bad option or argument (click's own convention)
    CONFIG = 3  # a setting, horogen.toml or HOROGEN_* variable is wrong
    DATA = 4  # the input data is missing or unusable (no raw data for a date, …)
    PARTIAL = 5  # done, but part of it failed (sources failed, under failure_threshold)
    INTERRUPTED = 130  # Ctrl+C or SIGTERM


class HorogenError(Exception):
    """Base class of every error horogen raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILURE


class ConfigError(HorogenError):
    """A setting is missing or invalid."""

    exit_code = ExitCode.CONFIG


class LakeError(HorogenError):
    """The data lake cannot be read or written."""


class LayoutChanged(HorogenError):
    """A page does not have the layout its source adapter expects.

    Raised by adapters; the collector quarantines the page with this message as the reason.
    """


class SelectorsMissed(LayoutChanged):
    """An adapter's selectors matched nothing on a page: the case its source's fallback
    (the largest text block, ``collect/sites/_fallback.py``) is for."""


class FetchError(HorogenError):
    """A page could not be fetched after all retries (or robots.txt forbids it)."""


class SiteGivenUp(FetchError):
    """A page was not asked for: its site failed too many requests in a row this run."""


class DataError(HorogenError):
    """Input data is missing, malformed or too small for the step asked of it."""

    exit_code = ExitCode.DATA


class ModelLoadError(HorogenError):
    """A model or tokenizer could not be loaded from any of the places tried."""


class ModelNotFound(HorogenError):
    """A model reference names no registered version, alias or model directory."""

    exit_code = ExitCode.DATA


class TrackingError(HorogenError):
    """The MLflow tracking server cannot be reached or refused a request.

    Training keeps what it made in its run directory; ``horogen register RUN_DIR`` logs and
    registers it once the server answers.
    """
