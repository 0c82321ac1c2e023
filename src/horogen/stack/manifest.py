"""``DIR/stack.json``: where each service of a stack answers and which processes it is.

``up`` writes it first as ``starting`` (with the databases it is about to create, so that
``down --purge`` finds them whatever happens), then as ``up`` once every service is
healthy; ``status`` reads it; ``down`` stops the processes it lists and keeps the rest
(databases, the bucket, the Redis database), so the next ``up`` in the same folder finds
its data again.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from horogen.stack.processes import ProcessRecord

FILE = "stack.json"


class AirflowAccess(BaseModel):
    url: str
    username: str
    password: str
    worker: str = Field(description="The Celery worker's name (celery's node name).")


class Resources(BaseModel):
    """What a stack keeps between ``down`` and the next ``up`` (``--purge`` removes it)."""

    id: str = Field(description="Names the stack's databases and bucket.")
    postgres: str = Field(description="The PostgreSQL server, as an admin URL (no database).")
    databases: dict[str, str] = Field(description="airflow, mlflow, serve → database name.")
    redis: str = Field(description="Celery's broker: the Redis server and the stack's database.")
    bucket: str = Field(description="MLflow's artifacts bucket on the S3 endpoint.")


class StackManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["starting", "up", "down"]
    dir: str
    resources: Resources
    # Where the services answer (as of the last `up`).
    airflow: AirflowAccess | None = None
    mlflow: str = ""
    spark: str = Field(default="", description="The standalone master's spark:// URL.")
    spark_ui: str = ""
    s3: str = Field(default="", description="The S3 endpoint (moto's server).")
    lake: str = ""
    mirror: str = ""
    serve: list[str] = Field(default_factory=list, description="The serving replicas' URLs.")
    env: dict[str, str] = Field(
        default_factory=dict,
        description="The HOROGEN_* settings every process of the stack runs with.",
    )
    processes: list[ProcessRecord] = Field(default_factory=list)

    def database_url(self, role: str) -> str:
        """``postgresql+psycopg2://…/<db>`` of one of the stack's databases."""
        server = self.resources.postgres.split("://", 1)[1].rstrip("/")
        return f"postgresql+psycopg2://{server}/{self.resources.databases[role]}"


def path(folder: Path) -> Path:
    return folder / FILE


def read(folder: Path) -> StackManifest | None:
    """The stack in ``folder``, or ``None`` when none was brought up there."""
    file = path(folder)
    if not file.is_file():
        return None
    return StackManifest.model_validate(json.loads(file.read_text()))


def write(folder: Path, manifest: StackManifest) -> None:
    """Replace ``stack.json`` whole (a temporary file renamed over it)."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".stack-", suffix=".json")
    with os.fdopen(handle, "w") as output:
        output.write(manifest.model_dump_json(indent=2) + "\n")
    os.replace(temporary, path(folder))
