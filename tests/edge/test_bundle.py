"""The exported bundle runs where driftline is not, checks rows as driftline does, and answers alike."""

from __future__ import annotations

import ast
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftline import SchemaError, Workspace, edge
from driftline.errors import InputError
from driftline.io import read_frame
from driftline.registry import ModelRuntime

from .conftest import loans


def run(python: Path, bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), str(bundle / "run.py"), *args], capture_output=True, text=True, timeout=120
    )


def answers(path: Path) -> pd.DataFrame:
    with open(path, newline="") as f:
        return pd.DataFrame(list(csv.DictReader(f)))


def driftline_answers(home: Path, ref: str, rows: Path) -> tuple[np.ndarray, np.ndarray | None]:
    with Workspace.open(home, create=False) as ws:
        runtime = ModelRuntime.load(ws.context, ref)
        frame = read_frame(rows, text=runtime.signature.text_columns())[runtime.names]
        runtime.signature.validate(frame)
        got = runtime.predict(runtime.prepare(frame))
    return got.labels, got.probabilities


@pytest.fixture(scope="module")
def bundle(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundles") / "loans"
    with Workspace.open(home, create=False) as ws:
        edge.export(ws.context, "loans@champion", out)
    return out


def test_the_runner_needs_the_standard_library_numpy_and_onnxruntime_only() -> None:
    source = Path(edge.__file__).with_name("_runner.py").read_text()
    tree = ast.parse(source)
    imported = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    imported |= {
        n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
    }
    assert imported - set(sys.stdlib_module_names) == {"numpy", "onnxruntime"}
    assert len(source.splitlines()) < 400  # a few hundred lines a person can read


def test_the_bundle_holds_what_its_readme_says(bundle: Path) -> None:
    assert sorted(p.name for p in bundle.iterdir()) == [
        "README.md",
        "model.onnx",
        "requirements.txt",
        "run.py",
        "signature.json",
    ]
    spec = json.loads((bundle / "signature.json").read_text())
    assert [c["name"] for c in spec["columns"]] == ["income", "debt", "age", "region"]
    assert spec["model"]["ref"] == "loans:1" and spec["model"]["form"] == "onnx"
    readme = (bundle / "README.md").read_text()
    assert "driftline ingest loans@ALIAS log/" in readme and "| `region` | category" in readme


def test_a_fresh_venv_without_driftline_scores_a_csv_as_driftline_does(
    home: Path, bundle: Path, bare_python: Path, tmp_path: Path
) -> None:
    bare = subprocess.run(
        [str(bare_python), "-c", "import driftline"], capture_output=True, text=True
    )
    assert "No module named 'driftline'" in bare.stderr  # nor pandas, nor scikit-learn:
    for module in ("pandas", "sklearn"):
        check = subprocess.run([str(bare_python), "-c", f"import {module}"], capture_output=True)
        assert check.returncode != 0, module
    rows = tmp_path / "rows.csv"
    loans(300, 7).drop(columns="repaid").to_csv(rows, index=False)
    done = run(bare_python, bundle, str(rows), "--out", str(tmp_path / "out.csv"))
    assert done.returncode == 0, done.stderr
    got = answers(tmp_path / "out.csv")
    labels, probs = driftline_answers(home, "loans@champion", rows)
    assert probs is not None and len(got) == 300
    assert got["prediction"].astype(int).tolist() == labels.astype(int).tolist()
    theirs = got[["probability_0", "probability_1"]].astype(float).to_numpy()
    np.testing.assert_allclose(theirs, probs, atol=1e-6)
    assert got["id"].nunique() == 300  # every prediction named once


def test_json_lines_answer_as_the_csv_does(bundle: Path, tmp_path: Path) -> None:
    frame = loans(50, 8).drop(columns="repaid")
    frame.to_csv(tmp_path / "rows.csv", index=False)
    with open(tmp_path / "rows.jsonl", "w") as f:
        for record in frame.to_dict(orient="records"):
            f.write(json.dumps(record) + "\n")
    for name in ("rows.csv", "rows.jsonl"):
        done = run(
            Path(sys.executable),
            bundle,
            str(tmp_path / name),
            "--out",
            str(tmp_path / f"{name}.jsonl"),
            "--no-log",
        )
        assert done.returncode == 0, done.stderr
    lines = [
        [json.loads(x)["prediction"] for x in (tmp_path / f"{n}.jsonl").read_text().splitlines()]
        for n in ("rows.csv", "rows.jsonl")
    ]
    assert lines[0] == lines[1] and len(lines[0]) == 50


def _bad(path: Path, change: str) -> None:
    frame = loans(6, 9).drop(columns="repaid").astype(object)
    if change == "text in a number":
        frame.loc[3, "income"] = "forty"
    elif change == "a missing category":
        frame.loc[2, "region"] = None
    elif change == "a fraction in a whole number":
        frame.loc[1, "age"] = 2.5
    elif change == "a column missing":
        frame = frame.drop(columns="debt")
    elif change == "a column too many":
        frame["note"] = "x"
    frame.to_csv(path, index=False)


@pytest.mark.parametrize(
    "change",
    [
        "text in a number",
        "a missing category",
        "a fraction in a whole number",
        "a column missing",
        "a column too many",
    ],
)
def test_a_wrong_row_is_refused_with_driftlines_own_sentence(
    home: Path, bundle: Path, tmp_path: Path, change: str
) -> None:
    rows = tmp_path / "bad.csv"
    _bad(rows, change)
    with Workspace.open(home, create=False) as ws:
        signature = ws.get("loans@champion").signature
    assert signature is not None
    with pytest.raises(SchemaError) as caught:
        signature.validate(read_frame(rows, text=signature.text_columns()))
    done = run(Path(sys.executable), bundle, str(rows))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"run.py: error: {caught.value}\n"
    assert (
        not (bundle / "log" / "predictions.log").exists()
        or "forty" not in (bundle / "log" / "predictions.log").read_text()
    )


def test_the_log_rotates_and_stays_within_its_bound(bundle: Path, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    loans(400, 10).drop(columns="repaid").to_csv(rows, index=False)
    logs = tmp_path / "log"
    args = ["--log-dir", str(logs), "--log-bytes", "6000", "--log-files", "2"]
    done = run(Path(sys.executable), bundle, str(rows), "--out", str(tmp_path / "a.csv"), *args)
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in logs.iterdir())
    assert files == ["predictions.log", "predictions.log.1", "predictions.log.2"]
    assert all((logs / f).stat().st_size <= 6000 for f in files)
    kept = [json.loads(line) for f in files for line in (logs / f).read_text().splitlines()]
    ids = answers(tmp_path / "a.csv")["id"].tolist()
    # The newest predictions are kept, the oldest rotated away.
    assert {r["id"] for r in kept} == set(ids[-len(kept) :]) and 0 < len(kept) < 400
    record = kept[0]
    assert set(record) == {
        "id",
        "time",
        "model",
        "version",
        "latency_ms",
        "inputs",
        "prediction",
        "probabilities",
    }
    assert record["model"] == "loans" and record["version"] == 1
    assert set(record["inputs"]) == {"income", "debt", "age", "region"}
    assert isinstance(record["inputs"]["age"], int) and isinstance(
        record["inputs"]["income"], float
    )


def test_export_will_not_write_over_a_folder_that_holds_files(home: Path, bundle: Path) -> None:
    before = sorted(p.name for p in bundle.iterdir())
    with Workspace.open(home, create=False) as ws, pytest.raises(InputError, match="not empty"):
        edge.export(ws.context, "loans@champion", bundle)
    assert sorted(p.name for p in bundle.iterdir()) == before
