"""``driftline calibrate``: before/after, the new version, JSON, HTML, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.naive_bayes import GaussianNB

from driftline import Workspace
from driftline.cli import main


def _data(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-1.5 * x)), "churn", "stay")
    return pd.DataFrame({"x1": x, "x2": x + rng.normal(scale=0.05, size=n), "x3": x, "y": y})


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("cli")
    train = _data(800, 1)
    with (
        Workspace.init(tmp / "ws", actor="tester") as ws,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setattr("driftline.registry._onnx.convert", lambda *a, **k: None)
        model = GaussianNB().fit(train.drop(columns="y"), train["y"])
        ws.register("nb", model, train=train, target="y")
        ws.set_alias("nb", 1, "champion")
    out = {"home": tmp / "ws", "csv": tmp / "new.csv", "parquet": tmp / "new.parquet"}
    _data(1000, 2).to_csv(out["csv"], index=False)
    _data(600, 3).to_parquet(out["parquet"])
    (tmp / "broken.parquet").write_text("not parquet")
    out["broken"] = tmp / "broken.parquet"
    return out


def run(capsys: pytest.CaptureFixture[str], home: Path, *args: object) -> tuple[int, str, str]:
    code = main(["--home", str(home), *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_prints_before_after_and_the_new_version(files, capsys) -> None:
    code, out, err = run(
        capsys, files["home"], "calibrate", "nb@champion", "--data", files["csv"], "--target", "y"
    )
    assert code == 0, err
    for words in ("ECE (equal-width bins)", "ECE (equal-mass bins)", "MCE", "Brier score"):
        assert words in out
    assert "before" in out and "after" in out
    assert "New version: nb:2 (parent nb:1)" in out


def test_json_and_html(files, capsys, tmp_path: Path) -> None:
    page = tmp_path / "cal.html"
    code, out, err = run(
        capsys,
        files["home"],
        "calibrate",
        "nb:1",
        "--data",
        files["parquet"],
        "--target",
        "y",
        "--method",
        "platt",
        "--json",
        "--html",
        page,
    )
    assert code == 0, err
    data = json.loads(out)  # stdout stays pure JSON; the HTML note goes to stderr
    assert data["method"] == "platt" and data["parent"] == 1 and data["version"] >= 2
    assert data["after"]["ece"] < data["before"]["ece"]
    assert "wrote the HTML report" in err
    html = page.read_text()
    assert "<svg" in html and "Reliability diagram" in html and "http" not in html.split("<body")[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--target", "label"), "no column 'label'"),
        (("--target", "y", "--method", "beta"), "method must be"),
    ],
)
def test_bad_input_exits_2_with_one_line(files, capsys, args, message) -> None:
    code, _, err = run(capsys, files["home"], "calibrate", "nb:1", "--data", files["csv"], *args)
    assert code == 2 and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_files_and_models_exit_2(files, capsys, tmp_path: Path) -> None:
    for data, ref, message in (
        (tmp_path / "missing.csv", "nb:1", "does not exist"),
        (files["broken"], "nb:1", "cannot read"),
        (files["csv"], "nope@champion", "no model named 'nope'"),
    ):
        code, _, err = run(capsys, files["home"], "calibrate", ref, "--data", data, "--target", "y")
        assert code == 2 and message in err, err
        assert len(err.strip().splitlines()) == 1
