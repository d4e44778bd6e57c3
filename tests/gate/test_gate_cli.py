"""``driftline gate``: exit 0 pass, 1 fail, 2 bad input; JSON, HTML and the criteria printed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from driftline.cli import main

POLICY = """
min_rows = 500
n_resamples = 300
[thresholds]
accuracy = { min = 0.75 }
[regression]
accuracy = { max_drop = 0.01 }
[slices]
segments = ["region"]
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, test_rows: pd.DataFrame) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("gate-cli")
    out = {"data": tmp / "holdout.csv", "policy": tmp / "gate.toml", "bad": tmp / "bad.toml"}
    test_rows.to_csv(out["data"], index=False)
    out["policy"].write_text(POLICY)
    out["bad"].write_text("[thresholds]\naccuracy = { min = 0.8 }\n\n[regresion]\naccuracy = 1\n")
    return out


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def gate(home: Path, files: dict[str, Path], *extra: object) -> list[object]:
    return ["--home", home, "gate", "churn", "--data", files["data"], "--target", "y", *extra]


def test_pass_exits_0_and_prints_each_criterion(gate_home, files, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(
        capsys, *gate(gate_home, files, "--candidate", "3", "--policy", files["policy"])
    )
    assert code == 0, err
    assert "Gate passed: churn:3 may replace churn:1" in out
    assert re.search(r"PASS .*accuracy ≥ 0\.75 .*Accuracy of churn:3 is 0\.9\d\d \(likely", out)
    assert out.count("PASS") == 8 and "FAIL" not in out  # rows, data, 0.75, drop, 4 regions


def test_fail_exits_1_with_json_out_and_html(gate_home, files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    page, saved = tmp_path / "gate.html", tmp_path / "decision.json"
    code, out, err = run(
        capsys,
        *gate(
            gate_home, files, "--policy", files["policy"], "--json", "--html", page, "--out", saved
        ),
    )
    assert code == 1
    data = json.loads(out)
    assert data["passed"] is False and data["candidate"] == "churn:2"
    assert [c["slice"] for c in data["criteria"] if c["verdict"] == "fail"] == ["region north"]
    assert json.loads(saved.read_text()) == data
    assert f"wrote the HTML report to {page}" in err
    html = page.read_text(encoding="utf-8")
    assert "Gate failed: churn:2 may not replace churn:1" in html
    assert "region north" in html and html.count("<svg") >= 4
    # Self-contained: nothing to fetch.
    assert not re.search(r"<script|<link|src=|href=|url\(", html)


def test_bad_input_exits_2_with_one_line(gate_home, files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, *gate(gate_home, files, "--policy", files["bad"]))
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert "key 'regresion' (line 4) is not a gate policy key; did you mean 'regression'?" in err
    code, _, err = run(capsys, *gate(gate_home, files, "--policy", tmp_path / "missing.toml"))
    assert code == 2 and "missing.toml' does not exist" in err
    code, _, err = run(
        capsys, "--home", gate_home, "gate", "churn", "--data", tmp_path / "no.csv", "--target", "y"
    )
    assert code == 2 and "no.csv' does not exist" in err
    code, _, err = run(
        capsys, "--home", gate_home, "gate", "churn", "--data", files["data"], "--target", "label"
    )
    assert code == 2 and "target column 'label' is not in the data" in err and err.count("\n") == 1
    code, _, err = run(capsys, *gate(gate_home, files, "--candidate", "9"))
    assert code == 2 and "no version 9" in err
