"""One exception hierarchy: callers catch ``HorogenError``; each message says what to do."""

from __future__ import annotations


class HorogenError(Exception):
    """Base class of every error horogen raises on purpose."""


class ConfigError(HorogenError):
    """A setting is missing or invalid."""


class LakeError(HorogenError):
    """The data lake cannot be read or written."""


class LayoutChanged(HorogenError):
    """A page does not have the layout its source adapter expects.

    Raised by adapters; the collector quarantines the page with this message as the reason.
    """


class FetchError(HorogenError):
    """A page could not be fetched after all retries (or robots.txt forbids it)."""


class DataError(HorogenError):
    """Input data is missing, malformed or too small for the step asked of it."""


class ModelLoadError(HorogenError):
    """A model or tokenizer could not be loaded from any of the places tried."""


class ModelNotFound(HorogenError):
    """A model reference names no registered version, alias or model directory."""


class TrackingError(HorogenError):
    """The MLflow tracking server cannot be reached or refused a request.

    Training keeps what it made in its run directory; ``horogen register RUN_DIR`` logs and
    registers it once the server answers.
    """
