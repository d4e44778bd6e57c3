"""``driftline deploy --guard ...``: the policy from flags or the policy file, bad ones in one line."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from driftline import Workspace
from driftline.cli import main
from driftline.guard import GuardPolicy
from driftline.serving import list_deployments


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def home(tmp_path: Path) -> str:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=200), "z": rng.normal(size=200)})
    df["y"] = (df["x"] + df["z"] > 0).astype(int)
    model = LogisticRegression().fit(df[["x", "z"]], df["y"])
    sio.dump(model, tmp_path / "m.skops")
    df.to_csv(tmp_path / "train.csv", index=False)
    ws_home = str(tmp_path / "ws")
    Workspace.init(ws_home).close()
    args = ["--home", ws_home, "models", "register", "m", "--artifact", str(tmp_path / "m.skops")]
    args += ["--train", str(tmp_path / "train.csv"), "--target", "y", "--alias", "champion"]
    assert main(args) == 0
    return ws_home


def test_deploy_with_guard_flags_stores_the_policy_and_says_it(home: str, capsys) -> None:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code, out, _ = run(
        capsys, "--home", home, "deploy", "m", "--guard", "flag", "--guard-threshold", "2",
        "--labels-only", "--token-rate", "5",
    )  # fmt: skip
    assert code == 0
    out = " ".join(out.split())  # as one line, whatever the terminal's width
    assert "inputs unlike training are marked in the answer and in the log (at 2 times" in out
    assert "answers carry labels only; at most 5 inputs a second per token" in out
    with Workspace.open(home, create=False) as ws:
        spec = list_deployments(ws.context)[0]
    assert spec.guard == GuardPolicy(mode="flag", threshold=2.0, labels_only=True, token_rate=5)


def test_deploy_takes_the_guard_table_of_the_policy_file(home: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    policy = tmp_path / "policy.toml"
    policy.write_text('[guard]\nmode = "reject"\nround = 2\n')
    assert run(capsys, "--home", home, "deploy", "m", "--policy", str(policy))[0] == 0
    with Workspace.open(home, create=False) as ws:
        assert list_deployments(ws.context)[0].guard == GuardPolicy(mode="reject", round=2)


def test_a_bad_guard_flag_is_one_line_and_exit_2(home: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "--home", home, "deploy", "m", "--guard", "block")
    assert code == 2 and "Traceback" not in err
    assert "guard must be one of off, log, flag, reject, got 'block'" in err
    code, _, err = run(capsys, "--home", home, "deploy", "m", "--top-k", "0")
    assert code == 2 and "top_k must be a whole number from 1, got 0" in err
    code, _, err = run(capsys, "--home", home, "deploy", "m", "--guard-threshold", "3")
    assert code == 2 and "--guard-threshold needs --guard flag or --guard reject" in err
