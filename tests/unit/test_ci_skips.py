"""Under CI=true a missing Spark fails the run: the production engine never goes untested
while CI is green. Elsewhere the Spark tests skip."""

from __future__ import annotations

import pytest

from integration.processing_support import missing_spark, skip_or_fail


def test_a_missing_spark_skips_outside_ci(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs Java"):
        skip_or_fail("Spark needs Java")


@pytest.mark.parametrize("value", ["true", "TRUE"])
def test_a_missing_spark_fails_under_ci(monkeypatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI=true and Spark needs Java"):
        skip_or_fail("Spark needs Java")


def test_without_java_spark_is_missing(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert missing_spark() in (
        "Spark needs Java (a JDK 17 on PATH or JAVA_HOME)",
        "pyspark is not installed (pip install -e '.[spark]')",
    )


def test_without_the_celery_provider_the_stack_is_missing(monkeypatch) -> None:
    import importlib.util

    from stack_support import missing_stack

    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *rest: None if name == "airflow.providers.celery" else found(name, *rest),
    )
    assert missing_stack() in (
        "airflow.providers.celery is not installed (pip install -e '.[stack]')",
        "pyspark is not installed (pip install -e '.[spark]')",
        "Spark needs Java (a JDK 17 on PATH or JAVA_HOME)",
    )
