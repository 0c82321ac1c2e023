"""The stack's databases on servers that already run: PostgreSQL and Redis.

PostgreSQL gets one database per user of it (Airflow's metadata, MLflow's backend store,
the serving cache), named after the stack's id; Redis lends Celery one numbered database
that holds nothing else, claimed with a key so that two stacks never share one.
"""

from __future__ import annotations

import urllib.parse

from horogen.errors import ConfigError

ROLES = ("airflow", "mlflow", "serve")
#: The key that marks a Redis database as a stack's.
CLAIM_KEY = "horogen:stack"


def database_names(stack_id: str) -> dict[str, str]:
    return {role: f"horogen_stack_{stack_id}_{role}" for role in ROLES}


def _admin(server: str):
    """A connection to the server's ``postgres`` database, in autocommit."""
    import psycopg2

    parts = urllib.parse.urlsplit(server)
    try:
        connection = psycopg2.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=urllib.parse.unquote(parts.username or "postgres"),
            password=urllib.parse.unquote(parts.password) if parts.password else None,
            dbname="postgres",
            connect_timeout=5,
        )
    except psycopg2.OperationalError as error:
        first = str(error).strip().splitlines()[0]
        raise ConfigError(
            f"cannot reach PostgreSQL at {_safe(server)} ({first}); start it or name another "
            "server with --postgres postgresql://USER:PASSWORD@HOST:PORT"
        ) from None
    connection.autocommit = True
    return connection


def create_databases(server: str, names: dict[str, str]) -> None:
    """Create each database that does not exist yet (a stack brought up again keeps its)."""
    connection = _admin(server)
    try:
        with connection.cursor() as cursor:
            for name in names.values():
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def drop_databases(server: str, names: dict[str, str]) -> None:
    connection = _admin(server)
    try:
        with connection.cursor() as cursor:
            for name in names.values():
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=5)


def claim_redis_database(server: str, stack_id: str) -> str:
    """The URL of an empty Redis database on ``server``, now marked as this stack's."""
    import redis

    try:
        databases = int(_redis(server).config_get("databases").get("databases", 16))
    except redis.RedisError as error:
        raise ConfigError(
            f"cannot reach Redis at {server} ({error}); start it or name another with --redis"
        ) from None
    base = server.rstrip("/")
    if urllib.parse.urlsplit(base).path not in ("", "/"):
        raise ConfigError(f"--redis {server}: name the server, not a database (no /N)")
    for number in range(databases - 1, 0, -1):  # from the top: apps tend to use the low ones
        client = _redis(f"{base}/{number}")
        if client.dbsize() == 0 and client.set(CLAIM_KEY, stack_id, nx=True):
            return f"{base}/{number}"
    raise ConfigError(f"Redis at {server} has no empty database left for the stack's broker")


def redis_claimed_by(url: str, stack_id: str) -> bool:
    """Whether the database at ``url`` is still this stack's."""
    owner = _redis(url).get(CLAIM_KEY)
    return owner is not None and owner.decode() == stack_id


def release_redis_database(url: str, stack_id: str) -> None:
    """Empty the stack's Redis database (its broker queues) and drop the claim."""
    if redis_claimed_by(url, stack_id):
        _redis(url).flushdb()


def _safe(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
