"""driftline reads every table through driftline.io, so a file means the same thing everywhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from driftline import Workspace
from driftline.cli import main

SRC = Path(__file__).resolve().parents[2] / "src" / "driftline"

# Reading a CSV or Parquet file (or scanning files as a dataset) by hand.
READING = re.compile(
    r"\bread_csv\(|\bread_parquet\(|\bopen_csv\(|\bread_csv_auto\b|\bscan_(csv|parquet)\("
    r"|import pyarrow\.(csv|parquet)|from pyarrow import (csv|parquet)"
    r"|\bpq\.read_|\bParquetFile\(|\b(pads|ds|dataset)\.dataset\("
)
# Not tables a user hands in: each reads a format of its own.
ALLOWED = {
    # The inference log's own Parquet files: the store publishes and reads them itself,
    # from any fsspec URL, with its filters pushed into the read.
    "store/_logstore.py",
    # Compaction's own scratch: chunks it spilled itself, read back once to write a file.
    "store/_spill.py",
    # An HTTP request body in MLflow's CSV dialect, parsed as MLflow's server parses it.
    "serving/_mlflow.py",
}


def test_no_module_outside_driftline_io_reads_files_by_itself() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        name = path.relative_to(SRC).as_posix()
        if name.startswith("io/") or name in ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if READING.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == [], "read tables with driftline.io:\n" + "\n".join(offenders)


def test_the_allowed_exceptions_still_exist() -> None:
    # When one of them goes, it leaves the list too.
    for name in ALLOWED:
        assert READING.search((SRC / name).read_text()), name


KINDS = {  # a signature's kinds, as a profile names them
    "integer": "numeric",
    "number": "numeric",
    "boolean": "boolean",
    "category": "categorical",
    "string": "categorical",
    "datetime": "datetime",
}


@pytest.fixture
def training_csv(tmp_path: Path) -> Path:
    """Columns that pandas and Arrow type differently, and one whose type shows late."""
    rng = np.random.default_rng(11)
    n = 20_000
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "zip": [f"{z:05d}" for z in rng.integers(1000, 99_999, n)],
            "plan": rng.choice(["basic", "pro"], n),
            "signup": [
                f"2025-{m:02d}-{d:02d}"
                for m, d in zip(rng.integers(1, 13, n), rng.integers(1, 29, n), strict=True)
            ],
            "seen": [f"2026-01-01T{h:02d}:00:00Z" for h in rng.integers(0, 24, n)],
            "active": rng.choice(["true", "false"], n),
            # Whole numbers for the first 19,999 rows (several blocks), then a decimal.
            "balance": [str(v) for v in rng.integers(0, 5_000, n - 1)] + ["12.5"],
            "y": rng.integers(0, 2, n),
        }
    )
    path = tmp_path / "train.csv"
    frame.to_csv(path, index=False)
    return path


def test_register_and_drift_give_a_file_the_same_column_kinds(
    tmp_path: Path, training_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = LogisticRegression().fit(np.zeros((4, 7)) + np.arange(4)[:, None], [0, 0, 1, 1])
    sio.dump(model, tmp_path / "m.skops")
    home = str(tmp_path / "ws")
    assert main(["--home", home, "init"]) == 0
    args = ["models", "register", "m", "--artifact", str(tmp_path / "m.skops")]
    code = main(["--home", home, *args, "--train", str(training_csv), "--target", "y"])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["--home", home, "drift", str(training_csv), str(training_csv), "--json"]) == 0
    drift_kinds = {c["column"]: c["kind"] for c in json.loads(capsys.readouterr().out)["columns"]}

    with Workspace.open(Path(home)) as ws:
        version = ws.get("m:1")
        profile = ws.load_profile(version)
    assert version.signature is not None
    profile_kinds = {name: col.kind for name, col in profile.columns.items()}
    signature_kinds = {c.name: KINDS[c.kind] for c in version.signature.columns}
    assert drift_kinds == {
        "age": "numeric",
        "zip": "numeric",  # '01234' looks like a number to every reader alike
        "plan": "categorical",
        "signup": "datetime",
        "seen": "datetime",
        "active": "boolean",
        "balance": "numeric",
        "y": "numeric",
    }
    assert profile_kinds == drift_kinds
    assert signature_kinds == {k: v for k, v in drift_kinds.items() if k != "y"}
    assert version.signature["balance"].kind == "number"  # the late 12.5 was seen
