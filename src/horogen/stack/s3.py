"""An S3 endpoint for MLflow's artifacts: moto's server, which keeps objects in memory.

So that ``down`` loses nothing, the bucket is copied to ``DIR/s3/<bucket>/`` before the
server stops and copied back after the next ``up`` starts it.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

import httpx

from horogen.stack.processes import Launcher, ProcessRecord, wait_until

#: moto accepts any keys; MLflow's server and clients sign with these.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "horogen-stack",
    "AWS_SECRET_ACCESS_KEY": "horogen-stack",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def start(launcher: Launcher, env: Mapping[str, str], port: int) -> tuple[ProcessRecord, str]:
    """moto's server on ``port``; the record and the endpoint URL."""
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    record = launcher.spawn("s3", command, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    wait_until(record, lambda: httpx.get(f"{endpoint}/moto-api/", timeout=2).is_success, timeout=60)
    return record, endpoint


def client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
    )


def restore(endpoint: str, bucket: str, snapshot: Path) -> int:
    """Create ``bucket`` with what ``snapshot`` holds from the last ``down``; objects restored."""
    s3 = client(endpoint)
    s3.create_bucket(Bucket=bucket)
    folder = snapshot / bucket
    restored = 0
    for file in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if file.is_file():
            s3.upload_file(str(file), bucket, file.relative_to(folder).as_posix())
            restored += 1
    return restored


def save(endpoint: str, bucket: str, snapshot: Path) -> int:
    """Copy every object of ``bucket`` into ``snapshot/<bucket>/`` (replacing what was there)."""
    s3 = client(endpoint)
    staging = snapshot / f".{bucket}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    saved = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            target = staging / item["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(target))
            saved += 1
    staging.mkdir(parents=True, exist_ok=True)
    final = snapshot / bucket
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    return saved
