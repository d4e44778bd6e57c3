"""Every failure reaches a person as one line on stderr, never a traceback.

The real ``driftline`` program runs as a subprocess against real faults: a
PostgreSQL port nobody listens on, a server that refuses a password, a SQLite
file overwritten with garbage, unreadable data files, a stray file in the
inference log.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sqlalchemy.engine import make_url

from driftline import Workspace

EXE = Path(sys.executable).with_name("driftline")
PASSWORD = "s3cret-Pw"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
    return subprocess.run(
        [str(EXE), *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=180,
    )


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a failure printed; fails the test on a traceback or more lines."""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("driftline: error: ")
    return lines[0].removeprefix("driftline: error: ")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def garble(path: Path) -> None:
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 8192, dtype=np.uint8).tobytes())
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.fixture
def ws_home(tmp_path: Path) -> Path:
    """A workspace with model ``m`` (inputs x and z) registered from its training data."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    train = pd.DataFrame(
        {
            "x": x,
            "z": rng.normal(size=400),
            "y": (rng.random(400) < 1 / (1 + np.exp(-2 * x))).astype(int),
        }
    )
    model = LogisticRegression().fit(train[["x", "z"]], train["y"])
    home = tmp_path / "ws"
    with Workspace.init(home) as ws:
        ws.register("m", model, train=train, target="y")
    train.to_csv(tmp_path / "train.csv", index=False)
    mistyped = train.astype({"x": str})
    mistyped.loc[3, "x"] = "forty"
    mistyped.to_csv(tmp_path / "mistyped.csv", index=False)
    return home


# -- init ----------------------------------------------------------------------


def test_init_on_a_closed_postgres_port_says_so_in_one_line(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://bob:{PASSWORD}@127.0.0.1:{closed_port()}/x"
    result = cli("--home", str(tmp_path / "ws"), "init", env={"DRIFTLINE_DATABASE_URL": url})
    assert result.returncode == 1
    assert error_line(result) == (
        f"the metadata database at postgresql+psycopg://bob:***@127.0.0.1:{url.split(':')[-1]} "
        "cannot be reached: connection refused; start PostgreSQL or fix DRIFTLINE_DATABASE_URL"
    )
    assert PASSWORD not in result.stdout + result.stderr


@pytest.mark.postgres
def test_init_with_a_wrong_password_is_exit_2_and_hides_it(
    postgres_password_server: str, tmp_path: Path
) -> None:
    url = make_url(postgres_password_server).set(password="wrong-" + PASSWORD)
    result = cli(
        "init",
        "--home",
        str(tmp_path / "ws"),
        env={"DRIFTLINE_DATABASE_URL": url.render_as_string(hide_password=False)},
    )
    assert result.returncode == 2
    line = error_line(result)
    assert "refused the login: password authentication failed" in line
    assert PASSWORD not in result.stdout + result.stderr


@pytest.mark.postgres
def test_init_on_a_missing_database_says_how_to_create_it(
    postgres_server: str, tmp_path: Path
) -> None:
    url = make_url(postgres_server).set(database="nodb_here").render_as_string(hide_password=False)
    result = cli("--home", str(tmp_path / "ws"), "init", env={"DRIFTLINE_DATABASE_URL": url})
    assert result.returncode == 2
    assert "create it (createdb nodb_here)" in error_line(result)


def test_init_names_each_store_that_failed(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    (tmp_path / "blocker").write_text("a file where the artifact folder should be")
    result = cli(
        "--home",
        str(tmp_path / "ws"),
        "init",
        env={
            "DRIFTLINE_DATABASE_URL": f"postgresql+psycopg://u@127.0.0.1:{closed_port()}/x",
            "DRIFTLINE_ARTIFACTS_URL": str(tmp_path / "blocker" / "artifacts"),
        },
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    database, artifacts = result.stderr.strip().splitlines()
    assert "the metadata database at" in database and "cannot be reached" in database
    assert artifacts.startswith(
        f"driftline: error: the artifact store at {tmp_path / 'blocker' / 'artifacts'} failed"
    )


def test_init_checks_then_creates(tmp_path: Path) -> None:
    result = cli("--home", str(tmp_path / "ws"), "init", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["database"] == "sqlite"
    assert list((tmp_path / "ws" / "artifacts").rglob("*")) == []  # the probe is gone


# -- a damaged workspace ---------------------------------------------------------


def test_a_garbled_sqlite_file_is_one_line_on_every_command(ws_home: Path) -> None:
    garble(ws_home / "driftline.db")
    for args in (["models", "list"], ["init"]):
        result = cli("--home", str(ws_home), *args)
        assert result.returncode == 1, args
        assert "is damaged (file is not a database)" in error_line(result)


def test_an_unreadable_monitoring_file_is_one_line(ws_home: Path, tmp_path: Path) -> None:
    junk = tmp_path / "traffic.parquet"
    junk.write_bytes(np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    result = cli("--home", str(ws_home), "monitor", "run", "m", "--data", str(junk))
    assert result.returncode == 2  # bad input: driftline.io names the file
    line = error_line(result)
    assert "cannot read the prediction log" in line and "traffic.parquet" in line


def test_a_stray_file_in_the_log_folder_is_one_line(ws_home: Path) -> None:
    day = ws_home / "log" / "parquet" / "model=m" / "date=2024-01-01"
    day.mkdir(parents=True)
    (day / "notes.txt").write_text("left here by hand")
    result = cli("--home", str(ws_home), "monitor", "run", "m")
    assert result.returncode != 0
    error_line(result)


# -- a bug: one line, the traceback in a file --------------------------------------


_BROKEN_MODEL = """
import numpy as np


class Broken:
    \"\"\"A model whose own code fails when asked to predict: an error driftline did not foresee.\"\"\"

    classes_ = np.array([0, 1])

    def predict(self, X):
        return 1 // 0

    def predict_proba(self, X):
        return 1 // 0
"""


def test_an_unexpected_error_names_its_type_and_the_traceback_file(
    ws_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A trusted model whose predict divides by zero: a failure no layer maps to a sentence.
    (tmp_path / "brokenmodel.py").write_text(_BROKEN_MODEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    import brokenmodel

    trusted = "brokenmodel.Broken"
    with Workspace.open(ws_home, create=False, trusted_types=[trusted]) as ws:
        ws.register("broken", brokenmodel.Broken())
    env = {"PYTHONPATH": str(tmp_path), "DRIFTLINE_TRUSTED_TYPES": trusted}
    args = ["evaluate", "broken", "--data", str(tmp_path / "train.csv"), "--target", "y"]
    result = cli("--home", str(ws_home), *args, env=env)
    line = error_line(result)
    assert result.returncode == 1
    assert line.startswith("unexpected ZeroDivisionError: ")
    (crash,) = (ws_home / "crashes").glob("crash-*.txt")
    assert f"the traceback is in {crash}" in line
    saved = crash.read_text()
    assert "Traceback (most recent call last)" in saved and "ZeroDivisionError" in saved
    debug = cli("--debug", "--home", str(ws_home), *args, env=env)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_a_bug_outside_a_workspace_goes_to_the_temp_folder_without_passwords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from driftline.cli._errors import report_bug

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("DRIFTLINE_HOME", raising=False)
    secret_url = f"postgresql://bob:{PASSWORD}@db/x"
    try:
        raise RuntimeError(f"lost\nthe line to {secret_url}")
    except RuntimeError as exc:
        report_bug(exc, ["--home", str(tmp_path / "none"), "init", "--x", secret_url])
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    (crash,) = tmp_path.glob("crash-*.txt")
    assert err.strip() == (
        "driftline: error: unexpected RuntimeError: lost the line to postgresql://bob:***@db/x. "
        f"This is a bug in driftline; the traceback is in {crash} (please attach it to a bug "
        "report)"
    )
    assert PASSWORD not in crash.read_text() and "RuntimeError" in crash.read_text()


# -- estimate and calibrate check the model's inputs ---------------------------------


@pytest.mark.parametrize("command", ["estimate", "calibrate"])
def test_a_mistyped_column_is_named_with_its_row(
    ws_home: Path, tmp_path: Path, command: str
) -> None:
    data = str(tmp_path / "mistyped.csv")
    args = (
        ["estimate", "m", "--reference", str(tmp_path / "train.csv"), "--current", data]
        if command == "estimate"
        else ["calibrate", "m", "--data", data]
    )
    result = cli("--home", str(ws_home), *args, "--target", "y")
    assert result.returncode == 2
    line = error_line(result)
    assert "column 'x' must be a number, got 'forty' in row 3" in line
    with Workspace.open(ws_home, create=False) as ws:
        assert [v.version for v in ws.versions("m")] == [1]  # nothing registered


# -- doctor ----------------------------------------------------------------------


def test_doctor_on_a_healthy_workspace(ws_home: Path) -> None:
    result = cli("--home", str(ws_home), "doctor")
    assert result.returncode == 0, result.stderr
    for name in ("workspace", "database", "artifacts", "inference log", "disk space"):
        assert name in result.stdout
    report = json.loads(cli("--home", str(ws_home), "doctor", "--json").stdout)
    assert report["ok"] is True
    assert {c["status"] for c in report["checks"]} == {"ok"}


def test_doctor_finds_the_damaged_database_and_exits_1(ws_home: Path) -> None:
    garble(ws_home / "driftline.db")
    result = cli("--home", str(ws_home), "doctor", "--json")
    assert result.returncode == 1 and result.stderr == ""
    found = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert found["database"]["status"] == "fail"
    assert "is damaged" in found["database"]["message"]
    assert found["artifacts"]["status"] == "ok"


@pytest.mark.postgres
def test_doctor_with_a_wrong_password_never_prints_it(
    postgres_password_server: str, ws_home: Path
) -> None:
    url = make_url(postgres_password_server).set(password="wrong-" + PASSWORD)
    result = cli(
        "--home",
        str(ws_home),
        "doctor",
        env={"DRIFTLINE_DATABASE_URL": url.render_as_string(hide_password=False)},
    )
    assert result.returncode == 1
    assert "password authentication failed" in result.stdout.replace("\n", " ")
    assert PASSWORD not in result.stdout + result.stderr


def test_doctor_names_a_missing_extra(ws_home: Path, tmp_path: Path) -> None:
    # A psycopg that cannot be imported, as on a machine without driftline[postgres].
    shadow = tmp_path / "shadow" / "psycopg"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named psycopg')\n")
    result = cli(
        "--home",
        str(ws_home),
        "doctor",
        "--json",
        env={
            "PYTHONPATH": str(tmp_path / "shadow"),
            "DRIFTLINE_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:5432/x",
        },
    )
    assert result.returncode == 1
    found = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert found["extra: psycopg"]["status"] == "fail"
    assert "pip install 'driftline[postgres]'" in found["extra: psycopg"]["message"]


def test_doctor_without_a_workspace_or_with_broken_settings(tmp_path: Path) -> None:
    result = cli("--home", str(tmp_path / "none"), "doctor", "--json")
    assert result.returncode == 1
    (only,) = json.loads(result.stdout)["checks"]
    assert only["name"] == "workspace" and "driftline init" in only["message"]
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "driftline.toml").write_text("database_url = [unclosed\n")
    result = cli("--home", str(tmp_path / "bad"), "doctor", "--json")
    assert result.returncode == 1
    (only,) = json.loads(result.stdout)["checks"]
    assert only["name"] == "settings" and "is not valid TOML" in only["message"]
