"""Where everything lives: every path of the lake, and the one rule for what a machine keeps
of its own. Nothing else in horogen spells a lake path.

The lake (a folder, or ``s3://bucket/prefix``) holds what every machine shares, each path
relative to its root::

    raw/date=YYYY-MM-DD/<source>.csv                      collected records (CSV)
    quarantine/date=YYYY-MM-DD/<source>/<page>.<suffix>   pages set aside, + <page>.json (why)
    reports/<stage>/date=YYYY-MM-DD/<name>.json           what a run did (collect: per source)
    processed/date=YYYY-MM-DD/part-0.parquet              the training corpus, + _report.json

A local lake also holds the state that a non-local one leaves to services, and this
machine's own state (see :func:`local_state`)::

    mlflow.db, mlartifacts/     the MLflow store (a tracking server for a non-local lake)
    serve/cache.db              the serving database (PostgreSQL for a non-local lake)
    runs/                       training run directories
    models/                     downloaded model versions and their conversions
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from pathlib import Path
from typing import Protocol

RAW = "raw"
QUARANTINE = "quarantine"
REPORTS = "reports"
PROCESSED = "processed"

#: A folder of one day: ``<prefix>/date=YYYY-MM-DD``.
PARTITION = re.compile(r"date=(\d{4}-\d{2}-\d{2})$")
#: A raw file's lake-relative path at the end of a path or URL (group 1: the path,
#: group 2: the day): ``…/raw/date=YYYY-MM-DD/<source>.csv``.
RAW_FILE = r"(raw/date=(\d{4}-\d{2}-\d{2})/[^/]+\.csv)$"


def partition(prefix: str, day: dt.date) -> str:
    """The folder of ``day`` under ``prefix`` (``raw``, ``processed``, …)."""
    return f"{prefix}/date={day.isoformat()}"


def raw_path(day: dt.date, source: str) -> str:
    return f"{partition(RAW, day)}/{source}.csv"


def quarantine_path(day: dt.date, source: str, name: str, suffix: str) -> str:
    """Where a page that could not be parsed is kept (``suffix``: ``html``, ``xml``, ``json``)."""
    return f"{partition(QUARANTINE, day)}/{source}/{name}.{suffix}"


def report_path(stage: str, day: dt.date, name: str) -> str:
    """What a run of ``stage`` did on ``day`` (collect: ``name`` is the source)."""
    return f"{partition(f'{REPORTS}/{stage}', day)}/{name}.json"


def processed_path(day: dt.date) -> str:
    return f"{partition(PROCESSED, day)}/part-0.parquet"


def processed_report_path(day: dt.date) -> str:
    return f"{partition(PROCESSED, day)}/_report.json"


# --- what is not shared through the lake -------------------------------------------------


class Lake(Protocol):
    """What the rule below reads of a :class:`horogen.lake.Lake`."""

    uri: str
    root: str
    is_local: bool


#: Inside a local lake: the MLflow store and its artifacts, the serving database.
MLFLOW_DATABASE = "mlflow.db"
MLFLOW_ARTIFACTS = "mlartifacts"
SERVE_DATABASE = "serve/cache.db"


def local_state(lake: Lake) -> Path:
    """Where this machine keeps its own state for ``lake`` (training runs, downloaded
    models): inside a local lake; for a non-local lake, a folder of its own under
    ``$XDG_CACHE_HOME/horogen/lakes`` (``~/.cache``), named after the lake, so two lakes
    never share one."""
    if lake.is_local:
        return Path(lake.root).resolve()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(lake.uri.encode()).hexdigest()[:10]
    name = re.sub(r"[^\w.-]+", "-", lake.uri.split("://", 1)[-1]).strip("-")[:60]
    return cache / "horogen" / "lakes" / f"{name}-{key}"


def runs_dir(lake: Lake, configured: str | None = None) -> Path:
    """Training run directories: ``train.work_dir``, else ``runs/`` of the local state."""
    return _configured(configured) or local_state(lake) / "runs"


def models_dir(lake: Lake, configured: str | None = None) -> Path:
    """Downloaded versions and conversions: ``generation.cache_dir``, else ``models/`` of
    the local state."""
    return _configured(configured) or local_state(lake) / "models"


def shared_file(lake: Lake, name: str) -> Path | None:
    """A file of shared state (:data:`MLFLOW_DATABASE`, :data:`SERVE_DATABASE`) inside a
    local lake; ``None`` for a non-local lake, whose shared state must be a service
    (a tracking server, a database server) other machines reach too."""
    return Path(lake.root).resolve() / name if lake.is_local else None


def _configured(value: str | None) -> Path | None:
    return Path(value).expanduser().resolve() if value else None
