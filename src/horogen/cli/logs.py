"""The command line's one logging setup: every message through one rich handler on stderr.

horogen's own messages show from the chosen level up (``info`` by default, ``debug`` with
``-v``, ``warning`` with ``-q``, or the ``log_level`` setting); other libraries' messages
and Python warnings show only with ``-v``. A progress bar and the log share the console, so
a message prints above the bar instead of through it, and a repeated warning prints once.
"""

from __future__ import annotations

import logging
import os

from rich.console import Console
from rich.logging import RichHandler

#: The levels a user can pick, quietest last.
LEVELS = ("debug", "info", "warning", "error")

_state = {"level": "info"}


class _Shown(logging.Filter):
    """What reaches the console: horogen's records from ``level`` up; other libraries' from
    INFO up when verbose, else only their errors."""

    def __init__(self, level: str) -> None:
        super().__init__()
        self.own = logging.getLevelName(level.upper())
        self.others = logging.INFO if level == "debug" else logging.ERROR

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name == "horogen" or record.name.startswith("horogen.")
        return record.levelno >= (self.own if own else self.others)


class _Once(logging.Filter):
    """Lets each distinct warning or error through once (libraries re-warn in loops, and
    MLflow resets Python's own once-per-place memory of warnings)."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[tuple[str, int, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, record.getMessage())
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


class _Message(logging.Formatter):
    """The message alone; with its traceback only when debugging (a user gets one line)."""

    def __init__(self, tracebacks: bool) -> None:
        super().__init__("%(message)s")
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record) if self.tracebacks else record.getMessage()


def setup(level: str, console: Console) -> None:
    """Send every log record and Python warning to one rich handler on ``console``.

    ``level`` (one of :data:`LEVELS`) applies to horogen's loggers; other libraries log
    at INFO and warn only when it is ``debug``, else from ERROR up."""
    verbose = level == "debug"
    _state["level"] = level
    handler = RichHandler(
        console=console,
        show_time=verbose,
        show_path=verbose,
        markup=False,
        rich_tracebacks=False,
    )
    handler.setFormatter(_Message(tracebacks=verbose))
    handler.addFilter(_Shown(level))
    handler.addFilter(_Once())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, RichHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("horogen").setLevel(level.upper())
    logging.captureWarnings(True)  # Python warnings become records of "py.warnings"
    # Before MLflow is imported: its loggers then go through the root handler, not their own.
    os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def verbose() -> bool:
    return _state["level"] == "debug"


def progress_bars() -> bool:
    """Whether commands show progress bars: not with ``-q`` (warnings and errors only)."""
    return LEVELS.index(_state["level"]) <= LEVELS.index("info")


def quiet_model_libraries() -> None:
    """transformers logs through a handler of its own and shows tqdm bars; MLflow prints
    notes ("Successfully registered model …") to a stream of its own, which its helpers
    switch back on whenever they like. Send both through the root handler, as records of
    their libraries (so they show only when verbose). Imports them: call it where training
    runs."""
    import mlflow.utils.logging_utils
    import transformers

    transformers.logging.disable_default_handler()
    transformers.logging.enable_propagation()
    transformers.logging.set_verbosity(logging.INFO if verbose() else logging.ERROR)
    transformers.logging.disable_progress_bar()
    # Named like Python's "py.warnings", and outside the "mlflow" logger: when MLflow set up
    # its own logging (imported before the CLI's setup), that logger writes to this stream.
    mlflow_notes = logging.getLogger("py.mlflow")
    stream = mlflow.utils.logging_utils.MLFLOW_LOGGING_STREAM
    stream.write = lambda text: mlflow_notes.info(text.strip()) if text.strip() else None
    stream.flush = lambda: None
