"""export, ingest and distill from the command line: tables for people, JSON, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from driftline.cli import main

from .conftest import loans


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, " ".join(captured.out.split()), captured.err  # as read, whatever the wrapping


def test_export_score_ingest_distill(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = ["--home", str(home)]
    code, out, err = run(
        capsys, *h, "export", "loans@champion", "--format", "onnx", "--out", str(tmp_path / "b")
    )
    assert code == 0, err
    assert "exported loans:1 as onnx" in out and "run it anywhere with: python" in out
    rows = tmp_path / "rows.csv"
    loans(30, 5).drop(columns="repaid").to_csv(rows, index=False)
    scored = subprocess.run(
        [sys.executable, str(tmp_path / "b" / "run.py"), str(rows)], capture_output=True, text=True
    )
    assert scored.returncode == 0 and len(scored.stdout.splitlines()) == 31
    assert main([*h, "ingest", "loans@champion", str(tmp_path / "b" / "log"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 30
    code, out, _ = run(capsys, *h, "ingest", "loans@champion", str(tmp_path / "b" / "log"))
    assert code == 0 and "added 0 edge predictions" in out and "30 were there already" in out
    unlabelled = tmp_path / "u.csv"
    loans(400, 6).drop(columns="repaid").to_csv(unlabelled, index=False)
    code, out, err = run(
        capsys, *h, "distill", "loans@champion", "--data", str(unlabelled), "--student", "tree"
    )
    assert code == 0, err
    assert "a tree distilled from loans:1" in out and "driftline gate loans --candidate" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["export", "mlpreg:1", "--quantize", "int8", "--min-agreement", "1", "--out", "OUT"],
            "so nothing was exported",
        ),
        (
            ["export", "mlp:1", "--quantize", "int4", "--out", "OUT"],
            "--quantize must be one of int8, float16",
        ),
        (["export", "nobody@champion", "--out", "OUT"], "no model named 'nobody'"),
        (
            ["ingest", "loans@champion", "nowhere.log"],
            "there is no file or folder at 'nowhere.log'",
        ),
        (["distill", "loans@champion", "--data", "nowhere.csv"], "nowhere.csv"),
    ],
)
def test_wrong_input_is_one_line_and_exit_2(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    code, _, err = run(capsys, "--home", str(home), *args)
    assert code == 2, err
    assert err.startswith("driftline: error:") and len(err.strip().splitlines()) == 1
    assert message in err
    assert not (tmp_path / "out").exists()
