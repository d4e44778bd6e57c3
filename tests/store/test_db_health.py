"""Health checks of a workspace's stores: each says ok, warn or fail in one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from driftline import Workspace
from driftline.errors import ConfigError, MissingDependencyError, NotFoundError, StorageError
from driftline.settings import Settings
from driftline.store import Database, HealthReport, check_stores, diagnose
from driftline.store._migrate import head_revision


def statuses(report: HealthReport) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def check(report: HealthReport, name: str) -> tuple[str, str]:
    (found,) = [c for c in report.checks if c.name == name]
    return found.status, found.message


@pytest.fixture
def home(tmp_path: Path) -> Path:
    Workspace.init(tmp_path / "ws").close()
    return tmp_path / "ws"


def test_a_healthy_workspace_passes_every_check(home: Path) -> None:
    report = diagnose(Settings.load(home))
    assert statuses(report) == {
        "workspace": "ok",
        "database": "ok",
        "artifacts": "ok",
        "inference log": "ok",
        "disk space": "ok",
    }
    assert report.ok and report.to_dict()["ok"] is True
    assert check(report, "database")[1].endswith(f"its schema is current ({head_revision()})")
    # The probes are gone: the artifact store holds no file and the workspace no stray file.
    assert not [p for p in (home / "artifacts").rglob("*") if p.is_file()]
    assert not list(home.glob(".driftline-probe-*"))


def test_no_workspace_is_one_failed_check_and_nothing_is_created(tmp_path: Path) -> None:
    report = diagnose(Settings.load(tmp_path / "none"))
    assert [(c.name, c.status) for c in report.checks] == [("workspace", "fail")]
    assert isinstance(report.failed[0].error, NotFoundError)
    assert not (tmp_path / "none").exists()


def test_a_missing_sqlite_file_fails_without_being_created(home: Path) -> None:
    (home / "driftline.db").unlink()
    status, message = check(diagnose(Settings.load(home)), "database")
    assert status == "fail" and "does not exist" in message
    assert not (home / "driftline.db").exists()


def test_schema_older_newer_or_absent(home: Path) -> None:
    settings = Settings.load(home)
    with Database(settings.database_url).engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    status, message = check(diagnose(settings), "database")
    assert (
        status == "warn"
        and f"at schema revision 0001, older than this driftline's {head_revision()}" in message
    )
    with Database(settings.database_url).engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    status, message = check(diagnose(settings), "database")
    assert status == "fail" and "a newer driftline wrote it; upgrade driftline" in message
    (home / "empty.db").touch()  # a database, but not driftline's
    status, message = check(
        diagnose(Settings.load(home, database_url=f"sqlite:///{home / 'empty.db'}")), "database"
    )
    assert status == "fail" and "holds no driftline tables" in message


def test_check_stores_migrates_a_new_database(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / "ws")
    report = check_stores(settings)
    assert statuses(report) == {"database": "ok", "artifacts": "ok"}
    assert check(report, "database")[1].endswith(f"schema at {head_revision()}")


def test_an_artifact_store_that_cannot_be_written_fails(home: Path) -> None:
    (home / "blocker").write_text("a file where the store's folder should be")
    settings = Settings.load(home, artifacts_url=str(home / "blocker" / "artifacts"))
    status, message = check(diagnose(settings), "artifacts")
    assert status == "fail"
    assert message.startswith(f"the artifact store at {home / 'blocker' / 'artifacts'} failed")
    assert message.endswith("fix DRIFTLINE_ARTIFACTS_URL or the store's permissions")


@pytest.mark.s3
def test_an_s3_store_answers_and_a_missing_bucket_fails(
    home: Path, s3_server: str, s3_bucket: str
) -> None:
    ok = diagnose(Settings.load(home, artifacts_url=s3_bucket, s3_endpoint_url=s3_server))
    assert check(ok, "artifacts")[0] == "ok" and check(ok, "extra: s3fs")[0] == "ok"
    bad = diagnose(
        Settings.load(home, artifacts_url=f"{s3_bucket}-gone", s3_endpoint_url=s3_server)
    )
    status, message = check(bad, "artifacts")
    assert status == "fail" and "(and DRIFTLINE_S3_ENDPOINT_URL)" in message


def test_a_log_folder_that_cannot_take_a_file_fails(home: Path) -> None:
    (home / "log").write_text("a file where the inference log's folder should be")
    status, message = check(diagnose(Settings.load(home)), "inference log")
    assert status == "fail" and message.startswith(f"the inference log folder {home / 'log'}")
    (home / "log").unlink()
    (home / "log").mkdir()
    assert check(diagnose(Settings.load(home)), "inference log") == (
        "ok",
        f"the inference log folder {home / 'log'} is writable",
    )


def test_free_disk_space_thresholds(home: Path) -> None:
    settings = Settings.load(home)
    assert check(diagnose(settings, warn_below=2**62), "disk space")[0] == "warn"
    failed = diagnose(settings, warn_below=2**62, fail_below=2**61)
    assert check(failed, "disk space")[0] == "fail" and not failed.ok
    assert isinstance(failed.failed[0].error, StorageError)


def test_postgres_needs_psycopg(home: Path) -> None:
    pytest.importorskip("psycopg")
    settings = Settings.load(home, database_url="postgresql+psycopg://u@127.0.0.1:1/x")
    assert check(diagnose(settings), "extra: psycopg") == (
        "ok",
        "psycopg is installed, as the PostgreSQL database needs",
    )


def test_failed_checks_carry_the_error_a_surface_maps(tmp_path: Path) -> None:
    report = check_stores(Settings.load(tmp_path / "ws", database_url="mysql://u@h/db"))
    (failed,) = report.failed
    assert failed.name == "database" and isinstance(failed.error, ConfigError)
    assert "not supported" in failed.message
    assert not isinstance(failed.error, MissingDependencyError)


def test_diagnose_passes_on_each_database(workspace: Workspace) -> None:
    report = diagnose(workspace.settings)
    assert report.ok, report.to_dict()
    assert check(report, "database")[0] == "ok"
    if workspace.db.dialect == "postgresql":
        assert check(report, "extra: psycopg")[0] == "ok"
