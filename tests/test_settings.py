from pathlib import Path

import pytest

from driftline import ConfigError, Settings


def test_defaults_live_in_the_workspace(tmp_path: Path) -> None:
    s = Settings.load(tmp_path, environ={})
    assert s.home == tmp_path
    assert s.database_url == f"sqlite:///{tmp_path / 'driftline.db'}"
    assert s.artifacts_url == str(tmp_path / "artifacts")


def test_home_from_environment(tmp_path: Path) -> None:
    s = Settings.load(environ={"DRIFTLINE_HOME": str(tmp_path / "elsewhere")})
    assert s.home == tmp_path / "elsewhere"


def test_precedence_argument_then_environment_then_file(tmp_path: Path) -> None:
    (tmp_path / "driftline.toml").write_text(
        '[workspace]\nartifacts_url = "/from/file"\nactor = "file-actor"\n'
        'trusted_types = ["pkg.A"]\n'
    )
    s = Settings.load(tmp_path, environ={"DRIFTLINE_ACTOR": "env-actor"})
    assert (s.artifacts_url, s.actor, s.trusted_types) == ("/from/file", "env-actor", ("pkg.A",))
    s = Settings.load(tmp_path, environ={"DRIFTLINE_ACTOR": "env-actor"}, actor="arg-actor")
    assert s.actor == "arg-actor"


def test_trusted_types_from_environment_are_comma_separated(tmp_path: Path) -> None:
    s = Settings.load(tmp_path, environ={"DRIFTLINE_TRUSTED_TYPES": "a.B, c.D"})
    assert s.trusted_types == ("a.B", "c.D")


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "driftline.toml").write_text("database_url = ")
    with pytest.raises(ConfigError, match=r"driftline\.toml is not valid TOML"):
        Settings.load(tmp_path, environ={})


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "driftline.toml").write_text('[workspace]\ndatabase = "x"\n')
    with pytest.raises(ConfigError, match="unknown key"):
        Settings.load(tmp_path, environ={})


def test_the_log_lives_in_the_workspace_or_beside_artifacts_kept_elsewhere(tmp_path: Path) -> None:
    local = Settings.load(tmp_path, environ={})
    assert local.log_url == str(tmp_path / "log" / "parquet")
    assert local.log_compact_seconds == 600.0
    shared = Settings.load(
        tmp_path,
        environ={
            "DRIFTLINE_ARTIFACTS_URL": "s3://bucket/driftline/",
            "DRIFTLINE_LOG_COMPACT_SECONDS": "30",
        },
    )
    assert shared.log_url == "s3://bucket/driftline/log" and shared.log_compact_seconds == 30.0
    chosen = Settings.load(tmp_path, environ={}, log_url="s3://other/log")
    assert chosen.log_url == "s3://other/log"
    with pytest.raises(ConfigError, match="log_compact_seconds must be a number of seconds"):
        Settings.load(tmp_path, environ={"DRIFTLINE_LOG_COMPACT_SECONDS": "often"})
