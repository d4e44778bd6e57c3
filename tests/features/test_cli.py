"""``driftline features ...`` as a person runs it: one line per error, exit codes, JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftline.cli import main

from .conftest import NOW, history

VIEWS = """
[view.customer]
entities = ["customer_id"]
timestamp = "event_time"
created = "created_at"
ttl = "30d"
source = "customers.parquet"

[view.customer.features]
spend = { type = "float", default = 0.0 }
orders = "int"
plan = "string"
"""


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    history().to_parquet(tmp_path / "customers.parquet")
    (tmp_path / "views.toml").write_text(VIEWS)
    home = tmp_path / "ws"
    assert main(["--home", str(home), "init"]) == 0
    capsys.readouterr()
    return home


def test_apply_list_historical_materialize_get(home: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "--home", home, "features", "apply", tmp_path / "views.toml")
    assert code == 0, err
    assert " ".join(out.split()).startswith("feature view customer version 1: 3 feature(s) from")
    code, out, _ = run(capsys, "--home", home, "features", "list", "--json")
    assert code == 0 and [v["name"] for v in json.loads(out)] == ["customer"]

    entities = pd.DataFrame(
        {"customer_id": [1, 3, 4], "at": [pd.Timestamp(NOW)] * 3, "label": [1, 0, 1]}
    )
    entities.to_parquet(tmp_path / "labels.parquet")
    code, out, err = run(
        capsys, "--home", home, "features", "historical", tmp_path / "labels.parquet",
        "--features", "customer:spend,customer:plan", "--out", tmp_path / "train.csv",
    )  # fmt: skip
    assert code == 0, err
    said = " ".join(out.split())  # as read, whatever the terminal's width
    assert said.startswith("wrote 3 rows to")
    assert "2 of 3 rows got values; 1 of 3 rows had no value at or before their time" in said
    train = pd.read_csv(tmp_path / "train.csv")
    assert train["spend"].tolist()[:2] == [2.0, 31.0] and np.isnan(train["spend"][2])

    until = (NOW + dt.timedelta(seconds=1)).isoformat()
    code, out, err = run(
        capsys, "--home", home, "features", "materialize", "--until", until, "--json"
    )
    assert code == 0, err
    (done,) = json.loads(out)
    assert (done["rows"], done["entities"]) == (5, 3)
    code, out, _ = run(capsys, "--home", home, "features", "materialize", "--until", until)
    assert code == 0 and " ".join(out.split()).startswith("view 'customer': nothing new since")
    code, out, _ = run(capsys, "--home", home, "features", "get", "customer", "3", "8", "--json")
    assert code == 0
    assert json.loads(out)[0] | {"event_time": None} == {
        "key": "3", "found": True, "event_time": None, "spend": 31.0, "orders": 3, "plan": "corrected",
    }  # fmt: skip
    assert json.loads(out)[1] == {"key": "8", "found": False}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["features", "apply", "nowhere.toml"], "feature view file 'nowhere.toml' does not exist"),
        (["features", "remove", "custmer"], "no feature view 'custmer'"),
        (["features", "materialize", "--since", "yesterday"], "--since 'yesterday' is neither"),
        (["features", "drift", "customer", "--since", "7d"], "no feature view 'customer'"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(home: Path, capsys, args, message) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "--home", home, *args)
    assert code == 2
    assert err.startswith("driftline: error: ") and message in err and err.count("\n") == 1


def test_historical_names_a_missing_key_column(home: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, "--home", home, "features", "apply", tmp_path / "views.toml")[0] == 0
    pd.DataFrame({"id": [1], "at": [pd.Timestamp(NOW)]}).to_parquet(tmp_path / "e.parquet")
    code, _, err = run(
        capsys, "--home", home, "features", "historical", tmp_path / "e.parquet",
        "--features", "customer:*", "--out", tmp_path / "o.parquet",
    )  # fmt: skip
    assert code == 2
    assert "the entity rows have no column 'customer_id', the key of feature view 'customer'" in err
    assert not (tmp_path / "o.parquet").exists()


def test_drift_compares_the_recent_window_with_the_past(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    n = 4000
    times = pd.Timestamp(NOW) - pd.to_timedelta(rng.uniform(0, 60, n), unit="D")
    recent = times > pd.Timestamp(NOW) - pd.Timedelta(days=7)
    frame = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 500, n),
            "event_time": times,
            "created_at": times,
            "spend": rng.normal(10, 2, n) + np.where(recent, 6.0, 0.0),  # spend moved lately
            "orders": rng.integers(0, 5, n),
            "plan": rng.choice(["basic", "pro"], n),
        }
    )
    frame.to_parquet(tmp_path / "customers.parquet")
    (tmp_path / "views.toml").write_text(VIEWS)
    home = tmp_path / "ws"
    assert main(["--home", str(home), "init"]) == 0
    assert main(["--home", str(home), "features", "apply", str(tmp_path / "views.toml")]) == 0
    capsys.readouterr()
    since = (NOW - dt.timedelta(days=7)).isoformat()
    code, out, err = run(
        capsys, "--home", home, "features", "drift", "customer", "--since", since,
        "--until", NOW.isoformat(), "--json",
    )  # fmt: skip
    assert code == 1, err  # drift detected
    report = json.loads(out)
    moved = {c["column"] for c in report["columns"] if c["drifted"]}
    assert moved == {"spend"}


def test_deploy_with_features_from_flags_or_the_policy_file(
    home: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    from driftline import Workspace

    assert run(capsys, "--home", home, "features", "apply", tmp_path / "views.toml")[0] == 0
    train = pd.DataFrame({"spend": [1.0, 2.0, 3.0, 4.0], "amount": [0.0, 1.0, 0.0, 1.0]})
    model = LogisticRegression().fit(train, [0, 0, 1, 1])
    with Workspace.open(home) as ws:
        mv = ws.register("churn", model, train=train.assign(y=[0, 0, 1, 1]), target="y")
        ws.set_alias("churn", mv.version, "champion")
    code, out, err = run(
        capsys, "--home", home, "deploy", "churn", "--features", "customer:*",
        "--on-missing", "default", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["features"] == {
        "use": ["customer:*"], "on_missing": "default", "on_stale": "fail",
    }  # fmt: skip
    policy = tmp_path / "churn.toml"
    policy.write_text('[features]\nuse = ["customer:spend"]\non_stale = "default"\n')
    code, out, err = run(capsys, "--home", home, "deploy", "churn", "--policy", policy)
    assert code == 0, err
    assert "inputs completed from customer:spend (missing: fail, stale: default)" in " ".join(
        out.split()
    )
    policy.write_text('[features]\nuse = ["customer:spend"]\non_stale = "later"\n')
    code, _, err = run(capsys, "--home", home, "deploy", "churn", "--policy", policy)
    assert code == 2 and "key 'on_stale' must be 'fail' or 'default', got 'later'" in err
    code, _, err = run(capsys, "--home", home, "deploy", "churn", "--features", "customer:plan")
    assert code == 2 and "feature customer:plan is not an input of churn" in err
    code, _, err = run(capsys, "--home", home, "features", "remove", "customer")
    assert code != 0 and "completes the inputs of deployment(s) churn" in err
