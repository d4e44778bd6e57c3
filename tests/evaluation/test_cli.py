"""``driftline evaluate`` and ``driftline evaluations list``: exit codes, JSON, HTML, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftline.cli import main


@pytest.fixture
def home(registered, churn_test, tmp_path: Path) -> tuple[str, Path]:
    data = tmp_path / "test.csv"
    churn_test.to_csv(data, index=False)
    return str(registered.home), data


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_evaluate_prints_json_writes_html_and_stores(home, tmp_path, capsys) -> None:
    ws, data = home
    page = tmp_path / "eval.html"
    code, out, err = run(
        capsys, "--home", ws, "evaluate", "churn@champion", "--data", data, "--target",
        "churned", "--no-discover", "--resamples", "100", "--json", "--html", page,
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["model"] == "churn" and result["version"] == 1 and result["n_rows"] == 1200
    assert result["evaluation"]["metrics"]["accuracy"]["low"] is not None
    assert f"wrote the HTML report to {page}" in err
    assert "<svg" in page.read_text(encoding="utf-8")

    code, out, _ = run(capsys, "--home", ws, "evaluations", "list", "churn", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [result["id"]]
    code, out, _ = run(capsys, "--home", ws, "evaluations", "list", "churn")
    assert code == 0 and "accuracy 0." in out and result["dataset"][:8] in out


def test_evaluate_prints_a_table(home, capsys) -> None:
    ws, data = home
    code, out, _ = run(
        capsys, "--home", ws, "evaluate", "churn", "--data", data, "--no-discover",
        "--resamples", "50", "--no-store",
    )  # fmt: skip
    assert code == 0
    assert out.startswith("churn:1: accuracy 0.") and "ROC AUC" in out and "95% interval" in out
    code, out, _ = run(capsys, "--home", ws, "evaluations", "list", "churn")
    assert code == 0 and "no evaluations of churn yet" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--target", "churn"),
            "target column 'churn' is not in the data; did you mean 'churned'?",
        ),
        (("--data", "missing.csv"), "no file at 'missing.csv'"),
        (("--slice", "nowhere=1"), "column 'nowhere'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(home, capsys, args, message) -> None:
    ws, data = home
    base = ["--home", ws, "evaluate", "churn@champion", "--no-discover", "--resamples", "10"]
    if "--data" not in args:
        base += ["--data", str(data)]
    code, out, err = run(capsys, *base, *args)
    assert code == 2 and out == ""
    assert err.startswith("driftline: error: ") and message in err and err.count("\n") == 1


def test_unknown_model_exits_2(home, capsys) -> None:
    ws, data = home
    code, _, err = run(capsys, "--home", ws, "evaluate", "churn@prod", "--data", data)
    assert code == 2 and "has no alias 'prod'" in err and err.count("\n") == 1
    code, _, err = run(capsys, "--home", ws, "evaluate", "nope", "--data", data)
    assert code == 2 and "no model named 'nope'" in err
