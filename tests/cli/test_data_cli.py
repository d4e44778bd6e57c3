"""``driftline drift`` and ``driftline data check``: exit codes, JSON, HTML, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from driftline.cli import main
from driftline.report._render import prose


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    income = rng.lognormal(10, 0.4, n)
    return pd.DataFrame(
        {
            "age": age,
            "income": income,
            "y": (0.05 * (age - 50) + rng.normal(size=n) > 0).astype(int),
        }
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp_path = tmp_path_factory.mktemp("data")
    train, today = _frame(1000, 1), _frame(400, 2)
    shifted = today.assign(age=today["age"] + 20)
    out = {
        "train": tmp_path / "train.csv",
        "today": tmp_path / "today.parquet",
        "shifted": tmp_path / "shifted.csv",
        "empty": tmp_path / "empty.csv",
        "broken": tmp_path / "broken.parquet",
        "model": tmp_path / "m.skops",
    }
    train.to_csv(out["train"], index=False)
    today.to_parquet(out["today"])
    shifted.to_csv(out["shifted"], index=False)
    out["empty"].write_text("")
    out["broken"].write_text("this is not parquet")
    sio.dump(LogisticRegression().fit(train[["age", "income"]], train["y"]), out["model"])
    return out


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_drift_exit_codes_and_json(files, capsys) -> None:
    code, out, _ = run(capsys, "drift", files["train"], files["today"], "--json")
    assert code == 0 and json.loads(out)["drift_detected"] is False
    code, out, _ = run(capsys, "drift", files["train"], files["shifted"], "--json")
    data = json.loads(out)
    assert code == 1 and data["drift_detected"] is True
    assert [c["column"] for c in data["columns"] if c["drifted"]] == ["age"]
    code, out, _ = run(capsys, "drift", files["train"], files["shifted"], "--columns", "income")
    assert code == 0 and "did not move away from the reference data" in out and "age" not in out


def test_drift_writes_html(files, tmp_path, capsys) -> None:
    page = tmp_path / "drift.html"
    code, out, err = run(
        capsys, "drift", files["train"], files["shifted"], "--html", page, "--json"
    )
    assert code == 1 and json.loads(out)["drift_detected"] is True
    assert f"wrote the HTML report to {page}" in err
    html = page.read_text(encoding="utf-8")
    assert "1 of 3 columns moved away from the reference data: <code>age</code>." in html
    assert html.count("<svg") == 4


def test_data_check_exit_codes_json_and_html(files, tmp_path, capsys) -> None:
    code, out, _ = run(capsys, "data", "check", files["train"], files["today"], "--target", "y")
    assert code == 0 and "Data check passed" in out
    page = tmp_path / "quality.html"
    code, out, _ = run(
        capsys, "data", "check", files["train"], files["shifted"], "--json", "--html", page
    )
    data = json.loads(out)
    assert code == 1 and data["passed"] is False
    assert data["findings"][0]["check"] == "out_of_range"
    assert data["findings"][0]["column"] == "age"
    assert prose(data["headline"]) in page.read_text(encoding="utf-8")


def test_model_reference_replaces_ref(files, tmp_path, capsys) -> None:
    home = tmp_path / "ws"
    assert run(capsys, "--home", home, "init")[0] == 0
    code, _, err = run(
        capsys,
        "--home",
        home,
        "models",
        "register",
        "credit",
        "--artifact",
        files["model"],
        "--train",
        files["train"],
        "--target",
        "y",
        "--alias",
        "champion",
    )
    assert code == 0, err
    code, out, _ = run(
        capsys, "--home", home, "drift", files["today"], "--model", "credit@champion", "--json"
    )
    data = json.loads(out)
    assert code == 0 and [c["column"] for c in data["columns"]] == ["age", "income"]
    # The registered model joins in: its outputs are tested too.
    assert "model_output" in [m["method"] for m in data["multivariate"]]
    code, out, _ = run(
        capsys, "--home", home, "drift", files["shifted"], "--model", "credit@champion"
    )
    assert code == 1 and "moved away from the reference data: `age`" in " ".join(out.split())
    code, out, _ = run(
        capsys,
        "--home",
        home,
        "data",
        "check",
        files["shifted"],
        "--model",
        "credit@champion",
        "--json",
    )
    data = json.loads(out)
    assert code == 1 and data["target"] == "y" and data["findings"][0]["column"] == "age"
    code, out, _ = run(
        capsys,
        "--home",
        home,
        "data",
        "check",
        files["train"],
        files["today"],
        "--model",
        "credit@champion",
    )
    assert code == 0, out
    code, _, err = run(capsys, "--home", home, "drift", files["today"], "--model", "nope@champion")
    assert code == 2 and err.count("\n") == 1


@pytest.mark.parametrize("command", [["drift"], ["data", "check"]])
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing", "no file or folder at"),
        ("empty", "Empty CSV file"),
        ("broken", "cannot read"),
    ],
)
def test_bad_files_give_one_line_errors(files, tmp_path, capsys, command, name, message) -> None:
    path = files.get(name, tmp_path / "missing.csv")
    code, out, err = run(capsys, *command, files["train"], path)
    assert code == 2 and out == ""
    assert err.startswith("driftline: error: ") and message in err and err.count("\n") == 1


def test_one_file_without_model_is_a_usage_error(files, capsys) -> None:
    code, _, err = run(capsys, "data", "check", files["train"])
    assert code == 2 and "give two files, REF and CUR" in err
    code, _, err = run(capsys, "drift", files["train"], files["today"], "--columns", "nope")
    assert code == 2 and "'nope'" in err


def test_help_documents_exit_codes(capsys) -> None:
    for command in (["drift", "--help"], ["data", "check", "--help"]):
        code, out, _ = run(capsys, *command)
        assert code == 0 and "Exit code: 0" in " ".join(out.split())


@pytest.mark.parametrize(
    ("ref", "cur", "extra"),
    [
        ("train", "today", []),
        ("train", "shifted", []),
        ("train", "shifted", ["--json"]),
        ("train", "missing.csv", []),
        ("train", "broken", []),
        ("empty", "today", ["--json"]),
    ],
)
def test_a_line_answers_alike_from_its_command_alone_and_from_the_whole_tree(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ref: str,
    cur: str,
    extra: list[str],
) -> None:
    # `main` builds only the command a line names; the whole tree must answer the same.
    from driftline.cli import _app

    monkeypatch.chdir(files["train"].parent)
    args = ["drift", *(str(files.get(name, name)) for name in (ref, cur)), *extra]
    alone = run(capsys, *args)
    monkeypatch.setattr(_app, "_named", lambda args: None)
    whole = run(capsys, *args)
    assert alone == whole
    assert alone[0] in (0, 1, 2)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["drift", "a.csv", "b.csv"], "drift"),
        (["--home", "drift", "data", "check", "a.csv"], "data"),
        (["--debug", "--home=x", "models", "list"], "models"),
        (["--help"], None),
        (["no-such-command", "drift"], None),
        ([], None),
    ],
)
def test_the_command_a_line_names(args: list[str], named: str | None) -> None:
    from driftline.cli import _app

    assert _app._named(args) == named


def test_every_command_of_the_table_is_in_the_whole_tree() -> None:
    from typer.main import get_command

    from driftline.cli import _app, app

    whole = get_command(app)
    assert set(_app.COMMANDS) | {"init"} == set(whole.commands)  # type: ignore[attr-defined]
    for name in _app.COMMANDS:
        alone = get_command(_app.build(name))
        assert set(alone.commands) == {"init", name}  # type: ignore[attr-defined]


def test_a_drift_line_imports_no_other_command(files: dict[str, Path]) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from driftline.cli._app import main; code = main(sys.argv[1:]); "
        "print(sorted(m for m in sys.modules if m.startswith('driftline.cli.')), code)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "drift", str(files["train"]), str(files["today"]), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == (
        "['driftline.cli._app', 'driftline.cli._context', 'driftline.cli._data', "
        "'driftline.cli._errors'] 0"
    )
