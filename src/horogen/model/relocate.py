"""A lake's MLflow store made to point at its own artifacts after the lake was copied or
moved.

MLflow records artifact locations as absolute URIs (``file:///old/lake/mlartifacts/…``):
in a copied lake they still name the original's folder, so the copy would read, and
write, the original's artifacts. Each time horogen opens a lake's own SQLite store it
compares the recorded artifact root with the one beside the database and, when they
differ, rewrites every recorded location (experiments, runs, model versions, logged
models) from the old root to the new, in one transaction. Nothing happens when they
agree: one ``SELECT``.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from horogen.layout import MLFLOW_ARTIFACTS

log = logging.getLogger(__name__)

#: Where MLflow's schema keeps an artifact location, table by table.
LOCATIONS = {
    "experiments": ["artifact_location"],
    "runs": ["artifact_uri"],
    "model_versions": ["source", "storage_location"],
    "logged_models": ["artifact_location"],
}


def recorded_root(connection: sqlite3.Connection) -> str | None:
    """The artifact root (``…/mlartifacts``) the store's experiments were created under."""
    marker = f"/{MLFLOW_ARTIFACTS}/"
    rows = connection.execute(
        "SELECT artifact_location FROM experiments WHERE artifact_location LIKE ?",
        (f"%{marker}%",),
    ).fetchall()
    for (location,) in rows:
        return location[: location.index(marker) + len(marker) - 1]
    return None


def relocate(database: Path) -> bool:
    """Point the store in ``database`` at ``<its folder>/mlartifacts``; whether anything
    was rewritten. A missing file or a store without tables is left alone."""
    if not database.is_file():
        return False
    here = (database.resolve().parent / MLFLOW_ARTIFACTS).as_uri()
    connection = sqlite3.connect(database, timeout=30)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if "experiments" not in tables:
            return False
        old = recorded_root(connection)
        if old is None or old == here:
            return False
        prefixes = [(old, here)]
        if old.startswith("file://"):  # some records are plain paths
            prefixes.append((old.removeprefix("file://"), here.removeprefix("file://")))
        with connection:
            for table, columns in LOCATIONS.items():
                if table not in tables:
                    continue
                for column in columns:
                    for before, after in prefixes:
                        connection.execute(
                            f"UPDATE {table} SET {column} = ? || substr({column}, ?) "
                            f"WHERE substr({column}, 1, ?) = ?",
                            (after, len(before) + 1, len(before), before),
                        )
        log.info("the MLflow store %s pointed at %s; now at its own %s", database, old, here)
        return True
    finally:
        connection.close()
