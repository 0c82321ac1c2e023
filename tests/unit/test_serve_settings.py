"""[serve] settings, and the `horogen models` table with readers' verdicts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from rich.console import Console

from horogen.cli.model import short_window, versions_table
from horogen.config import load_settings
from horogen.errors import ConfigError
from horogen.lake import Lake
from horogen.model.registry import VersionInfo
from horogen.serve.settings import ServeSettings
from horogen.verdicts import ReaderVerdict


def test_the_window_is_around_today_where_readers_are() -> None:
    settings = ServeSettings(days_back=2, days_ahead=1)
    assert settings.window(dt.date(2026, 1, 1)) == (dt.date(2025, 12, 30), dt.date(2026, 1, 2))
    with pytest.raises(ValueError, match="unknown time zone"):
        ServeSettings(timezone="Mars/Olympus")
    moscow = dt.datetime.now(dt.timezone(dt.timedelta(hours=3))).date()
    assert ServeSettings().today() == moscow


def test_the_cache_is_in_a_local_lake_unless_set(tmp_path) -> None:
    url = ServeSettings().database_url(Lake(str(tmp_path / "lake")))
    assert url == f"sqlite:///{tmp_path / 'lake' / 'serve' / 'cache.db'}"
    assert (tmp_path / "lake" / "serve").is_dir()
    postgres = "postgresql+psycopg2://u@db/serve"
    assert ServeSettings(cache_url=postgres).database_url(Lake("s3://bucket/x")) == postgres
    with pytest.raises(ConfigError, match="HOROGEN_SERVE__CACHE_URL"):
        ServeSettings().database_url(Lake("s3://bucket/x"))


def test_scenarios_and_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(scenario="demo").serve.cache_url is None
    production = load_settings(scenario="production").serve
    assert production.cache_url.startswith("postgresql+psycopg2://") and production.workers == 2
    monkeypatch.setenv("HOROGEN_SERVE__BOT_TOKEN", "123456:secret-token")
    monkeypatch.setenv("HOROGEN_SERVE__WORKERS", "3")
    settings = load_settings()
    assert settings.serve.workers == 3
    assert settings.serve.bot_token.get_secret_value() == "123456:secret-token"
    assert "secret-token" not in repr(settings) and "secret-token" not in str(settings.serve)
    with pytest.raises(ConfigError, match="no_such"):
        load_settings(serve={"no_such": 1})


def test_windows_are_shown_in_at_most_18_characters() -> None:
    assert short_window("2026-10-31..2026-11-29") == "2026-10-31..11-29"
    assert short_window("2025-12-20..2026-01-18") == "25-12-20..26-01-18"
    assert short_window("all days") == "all days"


def version(number: int, aliases: list[str], window: str) -> VersionInfo:
    return VersionInfo(
        name="horogen",
        version=number,
        aliases=aliases,
        created_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
        run_id=None,
        tags={"data_window": window},
        metrics={"best_eval_loss": 12.3456},
    )


def test_the_models_table_fits_80_columns_with_verdicts() -> None:
    versions = [
        version(123, ["champion", "challenger"], "2025-12-20..2026-01-18"),
        version(2, ["champion"], "2026-10-31..2026-11-29"),
        version(1, [], "all days"),
    ]
    verdicts = {
        123: ReaderVerdict(
            model="horogen/123", version=123, likes=9999, dislikes=1, readers=10_000
        ),
        2: ReaderVerdict(model="horogen/2", version=2, likes=2, dislikes=1, readers=3),
    }
    out = io.StringIO()
    Console(file=out, width=200).print(versions_table(versions, verdicts))
    lines = [line.rstrip() for line in out.getvalue().splitlines() if line.strip()]
    assert max(len(line) for line in out.getvalue().splitlines()) <= 80, "\n".join(lines)
    assert lines[0].split() == [
        "version",
        "aliases",
        "created",
        "data",
        "window",
        "eval",
        "loss",
        "readers",
    ]
    assert lines[2].endswith("100% of 10k")
    two, one = (next(line for line in lines if line.lstrip().startswith(f"{n} ")) for n in (2, 1))
    assert two.endswith("67% of 3") and "2026-10-31..11-29" in two
    assert one.endswith("12.346")  # no votes: an empty cell


def test_models_still_lists_when_the_serving_cache_is_down(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from horogen.cli import app

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("HOROGEN_SERVE__CACHE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/x")
    result = CliRunner().invoke(app, ["models", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 0, result.output
    assert "readers' verdicts unavailable" in result.stderr
    assert "no versions of 'horogen' yet" in result.stdout
