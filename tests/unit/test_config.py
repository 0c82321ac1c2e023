import pytest

from horogen.config import load_settings
from horogen.errors import ConfigError


def test_defaults_need_no_file_or_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.lake == "./horogen-data"
    assert settings.collect.mirror is None and settings.collect.retries == 4


def test_file_then_environment_then_overrides(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "horogen.toml").write_text(
        'lake = "/from/file"\n[collect]\nretries = 7\nread_timeout = 3.5\n'
    )
    assert load_settings().lake == "/from/file"
    assert load_settings().collect.retries == 7
    monkeypatch.setenv("HOROGEN_COLLECT__RETRIES", "9")
    monkeypatch.setenv("HOROGEN_LAKE", "/from/env")
    settings = load_settings()
    assert (settings.lake, settings.collect.retries, settings.collect.read_timeout) == (
        "/from/env",
        9,
        3.5,
    )
    assert load_settings(lake="/from/cli").lake == "/from/cli"


def test_horogen_config_names_another_file(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    production = tmp_path / "production.toml"
    production.write_text('lake = "s3://bucket/horogen"\n[s3]\nregion = "eu-central-1"\n')
    monkeypatch.setenv("HOROGEN_CONFIG", str(production))
    settings = load_settings()
    assert settings.lake == "s3://bucket/horogen"
    assert settings.s3.storage_options() == {"client_kwargs": {"region_name": "eu-central-1"}}
    monkeypatch.setenv("HOROGEN_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing\.toml"):
        load_settings()


def test_horogen_mirror_is_a_shorthand_for_the_collect_setting(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOROGEN_MIRROR", "http://127.0.0.1:8700")
    assert load_settings().collect.mirror == "http://127.0.0.1:8700"
    assert load_settings(collect={"mirror": "http://x"}).collect.mirror == "http://x"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"collect": {"timezone": "Mars/Olympus"}}, "unknown time zone"),
        ({"collect": {"read_timeout": 0}}, "read_timeout"),
        ({"collect": {"no_such_setting": 1}}, "no_such_setting"),
    ],
)
def test_invalid_settings_are_a_clear_error(monkeypatch, tmp_path, overrides, message) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=message):
        load_settings(**overrides)


def test_every_shipped_scenario_is_valid(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    demo = load_settings(scenario="demo")
    assert demo.train.base == "fresh" and demo.lake == "./horogen-data"
    production = load_settings(scenario="production")
    assert production.lake.startswith("s3://") and production.process.engine == "spark"


def test_a_scenario_yields_to_horogen_config_and_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOROGEN_TRAIN__EPOCHS", "7")
    assert load_settings(scenario="demo").train.epochs == 7
    own = tmp_path / "own.toml"
    own.write_text('[train]\nbase = "/models/mine"\n')
    monkeypatch.setenv("HOROGEN_CONFIG", str(own))
    assert load_settings(scenario="demo").train.base == "/models/mine"


def test_horogen_scenario_chooses_a_shipped_scenario_by_name(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "horogen.toml").write_text('lake = "/from/file"\n')
    monkeypatch.setenv("HOROGEN_SCENARIO", "production")
    settings = load_settings()
    assert settings.lake.startswith("s3://") and settings.process.engine == "spark"
    monkeypatch.setenv("HOROGEN_SCENARIO", "demo")
    assert load_settings().train.base == "fresh"
    # A file named by HOROGEN_CONFIG still wins, and so does the command's own scenario.
    own = tmp_path / "own.toml"
    own.write_text('lake = "/from/own"\n')
    monkeypatch.setenv("HOROGEN_CONFIG", str(own))
    assert load_settings().lake == "/from/own"
    monkeypatch.delenv("HOROGEN_CONFIG")
    monkeypatch.setenv("HOROGEN_SCENARIO", "production")
    assert load_settings(scenario="demo").lake == "./horogen-data"


def test_an_unknown_scenario_names_the_known_ones(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOROGEN_SCENARIO", "staging")
    with pytest.raises(ConfigError, match=r"'staging'.*known: demo, production, stack"):
        load_settings()
