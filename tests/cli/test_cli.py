"""The command line: Rich tables for people, --json for scripts, one-line errors."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sqlalchemy import text

from driftline import Workspace
from driftline.cli import main


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    df = pd.DataFrame({"x": [0.1, 0.5, 0.9, 1.3, 2.0, 2.2], "y": [0, 0, 0, 1, 1, 1]})
    model = LogisticRegression().fit(df[["x"]], df["y"])
    out = {
        "train": tmp_path / "train.csv",
        "skops": tmp_path / "m.skops",
        "pkl": tmp_path / "m.pkl",
    }
    df.to_csv(out["train"], index=False)
    sio.dump(model, out["skops"])
    out["pkl"].write_bytes(pickle.dumps(model))
    return out


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_init_register_list_show_alias(tmp_path: Path, files, capsys) -> None:  # type: ignore[no-untyped-def]
    home = str(tmp_path / "ws")
    assert run(capsys, "--home", home, "init")[0] == 0
    code, out, _ = run(
        capsys,
        "--home",
        home,
        "models",
        "register",
        "m",
        "--artifact",
        str(files["skops"]),
        "--train",
        str(files["train"]),
        "--target",
        "y",
        "--metric",
        "auc=0.9",
        "--alias",
        "champion",
    )
    assert code == 0 and "registered m:1 (champion)" in out
    code, out, _ = run(capsys, "--home", home, "models", "list", "--json")
    assert code == 0
    assert json.loads(out)[0]["aliases"] == {"champion": 1}
    code, out, _ = run(capsys, "--home", home, "models", "show", "m@champion")
    assert code == 0 and "auc" in out and "signature" in out
    code, out, _ = run(capsys, "--home", home, "models", "show", "m:1", "--card")
    assert code == 0 and "Model card: m version 1" in out
    run(capsys, "--home", home, "models", "register", "m", "--artifact", str(files["skops"]))
    code, out, _ = run(capsys, "--home", home, "alias", "set", "m", "2", "champion", "--json")
    assert code == 0 and json.loads(out) == {"name": "m", "alias": "champion", "version": 2}
    code, out, _ = run(capsys, "--home", home, "audit", "list", "--json")
    assert [e["action"] for e in json.loads(out)] == [
        "model.register",
        "alias.set",
        "model.register",
        "alias.set",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["models", "show", "m@nope"], "has no alias 'nope'"),
        (["models", "show", "m:7"], "has no version 7"),
        (["alias", "set", "m", "seven", "champion"], "Invalid value for 'version'"),
        (["models", "register", "m", "--artifact", "PKL"], "pickle file"),
        (["models", "register", "m", "--artifact", "SKOPS", "--metric", "auc"], "NAME=NUMBER"),
        (
            ["models", "register", "m", "--artifact", "SKOPS", "--train", "nope.csv"],
            "cannot read the training data: there is no file or folder at 'nope.csv'",
        ),
        (
            ["models", "register", "m", "--artifact", "SKOPS", "--target", "y"],
            "--target needs --train",
        ),
        (["models", "frobnicate"], "No such command"),
    ],
)
def test_wrong_input_is_one_line_and_exit_2(tmp_path, files, capsys, args, message) -> None:  # type: ignore[no-untyped-def]
    home = str(tmp_path / "ws")
    run(capsys, "--home", home, "init")
    run(capsys, "--home", home, "models", "register", "m", "--artifact", str(files["skops"]))
    args = [
        str(files["pkl"]) if a == "PKL" else str(files["skops"]) if a == "SKOPS" else a
        for a in args
    ]
    code, _, err = run(capsys, "--home", home, *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("driftline: error:")
    assert Workspace.open(home, create=False).get("m").version == 1  # nothing lost or added


def test_trusted_pickle_is_registered_and_audited(tmp_path, files, capsys) -> None:  # type: ignore[no-untyped-def]
    home = str(tmp_path / "ws")
    code, _, _ = run(
        capsys,
        "--home",
        home,
        "models",
        "register",
        "p",
        "--artifact",
        str(files["pkl"]),
        "--trust-pickle",
    )
    assert code == 2  # no workspace yet
    run(capsys, "--home", home, "init")
    code, _, _ = run(
        capsys,
        "--home",
        home,
        "models",
        "register",
        "p",
        "--artifact",
        str(files["pkl"]),
        "--trust-pickle",
    )
    assert code == 0
    code, out, _ = run(
        capsys, "--home", home, "audit", "list", "--action", "artifact.trust", "--json"
    )
    assert [e["subject"] for e in json.loads(out)] == ["p:1"]


def test_audit_verify_exit_codes_and_debug(tmp_path, files, capsys) -> None:  # type: ignore[no-untyped-def]
    home = str(tmp_path / "ws")
    run(capsys, "--home", home, "init")
    run(capsys, "--home", home, "models", "register", "m", "--artifact", str(files["skops"]))
    run(capsys, "--home", home, "alias", "set", "m", "1", "champion")
    code, out, _ = run(capsys, "--home", home, "audit", "verify")
    assert code == 0 and "The audit record is intact: all 2 events read as they were" in out
    with Workspace.open(home) as ws, ws.db.engine.begin() as conn:
        changed = conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 1"))
        assert changed.rowcount == 1
    code, _, err = run(capsys, "--home", home, "audit", "verify")
    assert code == 1 and "The audit record was tampered with at event 1: " in err
    code, out, _ = run(capsys, "--home", home, "audit", "verify", "--json")
    assert code == 1 and json.loads(out)["bad_seq"] == 1


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("driftline")
    result = subprocess.run(
        [str(exe), "--home", str(tmp_path / "none"), "models", "list"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("driftline: error: no driftline workspace")
    assert "Traceback" not in result.stderr
    debug = subprocess.run(
        [str(exe), "--debug", "--home", str(tmp_path / "none"), "models", "list"],
        capture_output=True,
        text=True,
    )
    assert "Traceback" in debug.stderr and debug.returncode == 1


def test_help_lists_the_commands(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("init", "models", "alias", "audit"):
        assert command in out


def test_serve_refuses_an_unknown_log_sync_mode(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    home = str(tmp_path / "ws")
    run(capsys, "--home", home, "init")
    code, _, err = run(capsys, "--home", home, "serve", "--log-sync", "sometimes")
    assert code == 2
    assert err.strip() == "driftline: error: --log-sync must be write or fsync, got 'sometimes'"
