"""The data lake: a local folder or ``s3://bucket/prefix``, through fsspec.

Every path in the lake is relative to its root, and :mod:`horogen.layout` spells them all.
Writes replace a file whole and atomically, so a killed run never leaves a half-written
file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from horogen import atomic, layout
from horogen.errors import LakeError


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
        if self.is_local:
            atomic.write_file(full, data)
        else:
            self.fs.pipe_file(full, data)

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
            match = layout.PARTITION.search(entry.rstrip("/"))
            if match:
                days.append(dt.date.fromisoformat(match.group(1)))
        return sorted(days)
