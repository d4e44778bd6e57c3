"""``driftline verify``, run as a real process: every blob checked, the bad ones listed.

Exit 0 when every blob matches its sha256, 1 with a table of the bad ones when
any does not; one line and no traceback when the store itself cannot be read.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from driftline import Workspace
from driftline.evaluation import _store

FIXTURES = Path(__file__).parent / "fixtures"
EXE = Path(sys.executable).with_name("driftline")


def verify(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXE), "--home", str(home), "verify", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **env},
        timeout=120,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"age": rng.normal(45, 12, n), "tenure": rng.exponential(24, n)})
    df["churned"] = (rng.random(n) < 1 / (1 + np.exp(-0.08 * (df["age"] - 45)))).astype(int)
    return df


def fill(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two versions, each with a model, its ONNX runtime, a reference profile and an input
    guard; one report too large for a row: nine blobs."""
    monkeypatch.setattr(_store, "INLINE_LIMIT", 100)
    for seed in (1, 2):
        df = frame(200, seed)
        model = LogisticRegression().fit(df[["age", "tenure"]], df["churned"])
        ws.register("churn", model, train=df, target="churned")
    ws.evaluate("churn:1", frame(200, 3), n_resamples=50, discover=False)


def test_verify_lists_every_bad_blob_and_exits_1(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "ws"
    with Workspace.init(home, actor="tester") as ws:
        fill(ws, monkeypatch)
        v1, v2 = ws.get("churn:1"), ws.get("churn:2")
        (report,) = ws.evaluations("churn:1")
    ok = verify(home)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == ("all 9 blobs of 2 versions and 1 stored report match their sha256")

    store = home / "artifacts"
    profile = store / str(v1.profile_key)
    profile.write_bytes(profile.read_bytes().replace(b'"n_rows":200', b'"n_rows":201'))
    (store / v2.artifact_key).unlink()
    with Workspace.open(home) as ws, ws.db.read() as s:
        from driftline.store import EvaluationRow

        report_key = str(s.get(EvaluationRow, report.id).report_key)
    blob = store / report_key
    blob.write_bytes(blob.read_bytes()[:-10])

    bad = verify(home)
    assert bad.returncode == 1
    rows = [[cell.strip() for cell in line.split("│")[1:4]] for line in bad.stdout.splitlines()]
    rows = [r for r in rows if r and r[0].startswith("churn:")]
    assert [r[:2] for r in rows] == [
        ["churn:1", "reference profile"],
        ["churn:2", "model artifact"],
        [f"churn:1 evaluation #{report.id}", "evaluation report"],
    ], bad.stdout
    assert rows[0][2] == (
        f"changed: its sha256 is now {sha256(profile)[:12]}; {v1.profile_sha256[:12]} was recorded"
    )
    assert rows[1][2] == f"missing from the store ({v2.artifact_key})"
    (line,) = bad.stderr.splitlines()
    assert line.startswith("driftline: 3 of 9 blobs of 2 versions and 1 stored report are missing")
    assert "Traceback" not in bad.stderr

    as_json = verify(home, "--json")
    assert as_json.returncode == 1
    out = json.loads(as_json.stdout)
    assert (out["ok"], out["checked"], out["versions"], out["reports"]) == (False, 9, 2, 1)
    assert [(b["owner"], b["kind"], b["status"]) for b in out["bad"]] == [
        ("churn:1", "reference profile", "changed"),
        ("churn:2", "model artifact", "missing"),
        (f"churn:1 evaluation #{report.id}", "evaluation report", "changed"),
    ]
    assert out["bad"][0]["expected_sha256"] == v1.profile_sha256
    assert out["bad"][0]["checked_against"] == "recorded"


def test_verify_says_older_blobs_were_checked_against_their_key(tmp_path: Path) -> None:
    home = tmp_path / "old"
    shutil.copytree(FIXTURES / "workspace-0.1.0", home)
    result = verify(home)
    assert result.returncode == 0, result.stderr
    assert "(2 blobs of versions made before digests were recorded had theirs checked " in (
        result.stdout.replace("\n", " ")
    )
    out = json.loads(verify(home, "--json").stdout)
    assert out["ok"] and out["unrecorded"] == 2


def test_an_empty_workspace_holds(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "ws").close()
    result = verify(tmp_path / "ws")
    assert result.returncode == 0
    assert result.stdout.startswith("nothing to check: no version has been registered")


@pytest.mark.s3
def test_verify_on_s3_finds_tampering_and_names_a_stopped_endpoint(
    tmp_path: Path,
    s3_server: str,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    # A server of its own, to stop later; the session's serves the other tests.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        bucket = f"v-{uuid.uuid4().hex[:12]}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket=bucket)
        env = {
            "DRIFTLINE_ARTIFACTS_URL": f"s3://{bucket}/dl",
            "DRIFTLINE_S3_ENDPOINT_URL": endpoint,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        home = tmp_path / "ws"
        with Workspace.init(home, actor="tester") as ws:
            fill(ws, monkeypatch)
            v1 = ws.get("churn:1")
        assert verify(home).returncode == 0
        s3.put_object(Bucket=bucket, Key=f"dl/{v1.artifact_key}", Body=b"someone else's model")
        bad = json.loads(verify(home, "--json").stdout)
        assert [(b["owner"], b["kind"]) for b in bad["bad"]] == [("churn:1", "model artifact")]
    finally:
        server.stop()
    gone = verify(home)
    assert gone.returncode == 1
    assert gone.stderr.strip() == (
        f"driftline: error: the artifact store s3://{bucket}/dl cannot be reached at {endpoint}: "
        "connection refused; check DRIFTLINE_S3_ENDPOINT_URL and that the storage server is "
        "running"
    )
