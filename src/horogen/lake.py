"""The data lake: a local folder or ``s3://bucket/prefix``, through fsspec.

Every path in the lake is relative to its root and follows the layout in
``docs/architecture.md``; writes replace a file whole and atomically, so a killed run
never leaves a half-written file.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import re
import time
import uuid
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from horogen.errors import LakeError

_PARTITION = re.compile(r"date=(\d{4}-\d{2}-\d{2})$")


def raw_path(day: dt.date, source: str) -> str:
    return f"raw/date={day.isoformat()}/{source}.csv"


def pages_prefix(day: dt.date, source: str) -> str:
    """The page archive of a source-day: every response fetched for it, with its record."""
    return f"pages/date={day.isoformat()}/{source}"


def page_body_path(day: dt.date, source: str, digest: str, suffix: str) -> str:
    """An archived body, named by its SHA-256 (the same bytes are stored once a day)."""
    return f"{pages_prefix(day, source)}/bodies/{digest}.{suffix}.gz"


def fetch_record_path(day: dt.date, source: str, stamp: str, name: str) -> str:
    """The record of one fetch (URL, final URL, status, headers, when, which body)."""
    return f"{pages_prefix(day, source)}/fetches/{stamp}-{name}.json"


def run_record_path(day: dt.date, source: str, run: str) -> str:
    """The record of one collection run of a source-day: its fetches, in order, and errors."""
    return f"{pages_prefix(day, source)}/runs/{run}.json"


def legacy_raw_path(day: dt.date, source: str) -> str:
    """The raw partition a source-day had before its first archived run (collected before
    the archive existed): what replaying the archive starts from."""
    return f"{pages_prefix(day, source)}/legacy.csv"


def quarantine_path(day: dt.date, source: str, name: str, suffix: str) -> str:
    """Where a page that could not be parsed is kept (``suffix``: ``html``, ``xml``, ``json``)."""
    return f"quarantine/date={day.isoformat()}/{source}/{name}.{suffix}"


def processed_path(day: dt.date) -> str:
    return f"processed/date={day.isoformat()}/part-0.parquet"


def report_path(stage: str, day: dt.date, name: str) -> str:
    return f"reports/{stage}/date={day.isoformat()}/{name}.json"


class Lake:
    """Storage rooted at ``uri``; ``storage_options`` go to fsspec (S3 endpoint, keys)."""

    def __init__(self, uri: str, storage_options: dict[str, Any] | None = None) -> None:
        self.uri = uri.rstrip("/") or "/"
        self.storage_options = dict(storage_options or {})
        try:
            self.fs, root = fsspec.core.url_to_fs(self.uri, **self.storage_options)
        except (ImportError, ValueError) as error:
            raise LakeError(f"cannot open the lake at {uri!r}: {error}") from error
        self.root = root.rstrip("/")
        self.is_local = isinstance(self.fs, LocalFileSystem)

    def __repr__(self) -> str:
        return f"Lake({self.uri!r})"

    def _full(self, path: str) -> str:
        return f"{self.root}/{path.lstrip('/')}"

    def url(self, path: str = "") -> str:
        """The URI of ``path`` as other engines (polars, Spark) address it."""
        if self.is_local:
            return self._full(path)
        return f"{self.fs.unstrip_protocol(self._full(path))}"

    def exists(self, path: str) -> bool:
        return self.fs.exists(self._full(path))

    def read_bytes(self, path: str) -> bytes:
        try:
            return self.fs.cat_file(self._full(path))
        except FileNotFoundError:
            raise LakeError(f"{self.url(path)} does not exist") from None

    def write_bytes(self, path: str, data: bytes) -> None:
        """Replace ``path`` with ``data`` atomically.

        Locally the data goes to a temporary file beside the target, which is then renamed
        over it; on S3 an object becomes visible only once its upload completes.
        """
        full = self._full(path)
        if not self.is_local:
            self.fs.pipe_file(full, data)
            return
        directory = os.path.dirname(full)
        os.makedirs(directory, exist_ok=True)
        _remove_orphaned_temporaries(directory, os.path.basename(full))
        temporary = os.path.join(directory, f".{os.path.basename(full)}.{uuid.uuid4().hex}.tmp")
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, full)
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise
        _fsync_directory(directory)  # make the rename itself durable

    def read_json(self, path: str) -> Any:
        return json.loads(self.read_bytes(path))

    def write_json(self, path: str, value: Any) -> None:
        data = json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n"
        self.write_bytes(path, data.encode("utf-8"))

    def delete(self, path: str) -> None:
        if self.exists(path):
            self.fs.rm(self._full(path), recursive=True)

    def files(self, prefix: str) -> list[str]:
        """Files below ``prefix``, as lake-relative paths, sorted; hidden temporaries skipped."""
        full = self._full(prefix)
        if not self.fs.exists(full):
            return []
        found = self.fs.find(full)
        relative = (path[len(self.root) + 1 :] for path in found)
        return sorted(path for path in relative if not os.path.basename(path).startswith("."))

    def partitions(self, prefix: str) -> list[dt.date]:
        """The days that have a ``<prefix>/date=YYYY-MM-DD`` folder, oldest first."""
        full = self._full(prefix)
        if not self.fs.exists(full):
            return []
        days = []
        for entry in self.fs.ls(full, detail=False):
            match = _PARTITION.search(entry.rstrip("/"))
            if match:
                days.append(dt.date.fromisoformat(match.group(1)))
        return sorted(days)


#: A temporary this old was left by a killed writer, not by one still writing.
_ORPHAN_AGE_S = 3600


def _remove_orphaned_temporaries(directory: str, name: str) -> None:
    for path in glob.glob(os.path.join(glob.escape(directory), f".{glob.escape(name)}.*.tmp")):
        try:
            if time.time() - os.path.getmtime(path) > _ORPHAN_AGE_S:
                os.remove(path)
        except FileNotFoundError:
            pass


def _fsync_directory(directory: str) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
