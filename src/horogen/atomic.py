"""Writing local files and folders whole: a killed process leaves the previous version or
nothing, never half of a new one. (The lake writes through :meth:`horogen.lake.Lake.write_bytes`,
which uses this for a local lake; an S3 object is visible only once its upload completes.)
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

#: A temporary this old was left by a killed writer, not by one still writing.
ORPHAN_AGE_S = 3600


def write_file(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: written to a temporary file beside it, flushed to
    disk, then renamed over it (and the rename made durable)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphans(target)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


@contextlib.contextmanager
def new_directory(target: str | Path) -> Iterator[Path]:
    """A path beside ``target`` for the block to create and fill (a folder that does not
    exist yet); when the block ends without an error it replaces ``target`` whole (an old
    ``target`` is moved aside first, then deleted), and when it fails it is removed."""
    final = Path(target)
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        yield partial
        if final.exists():
            aside = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.old")
            os.replace(final, aside)
            os.replace(partial, final)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(partial, final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _remove_orphans(target: Path) -> None:
    pattern = os.path.join(glob.escape(str(target.parent)), f".{glob.escape(target.name)}.*.tmp")
    for path in glob.glob(pattern):
        with contextlib.suppress(FileNotFoundError):
            if time.time() - os.path.getmtime(path) > ORPHAN_AGE_S:
                os.remove(path)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
