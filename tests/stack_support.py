"""What ``horogen stack`` needs here, for the tests that bring one up."""

from __future__ import annotations

import importlib.util

from integration.processing_support import missing_spark


def missing_stack() -> str | None:
    """What the stack needs that is not here, or ``None``."""
    reason = missing_spark()
    if reason:
        return reason
    for module, extra in (("airflow.providers.celery", "stack"), ("moto", "stack")):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[{extra}]')"
    try:
        import psycopg2
        import redis

        psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres").close()
        redis.Redis(host="127.0.0.1", socket_connect_timeout=2).ping()
    except Exception as error:  # what a missing server raises differs by client
        return f"the stack needs PostgreSQL and Redis on 127.0.0.1 ({error})"
    return None
