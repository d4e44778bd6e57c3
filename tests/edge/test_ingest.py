"""Edge predictions come back into the inference log once each, and monitoring sees them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from driftline import InputError, NotFoundError, Workspace, edge, monitor
from driftline.store import InferenceLog

from .conftest import loans, mixed_model


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace with loans:1 as champion, exported to tmp_path / 'bundle'."""
    home = tmp_path / "ws"
    train = loans(2000, 0)
    with Workspace.init(home) as ws:
        model = mixed_model()
        model.fit(train.drop(columns="repaid"), train.repaid)  # type: ignore[attr-defined]
        ws.register("loans", model, train=train, target="repaid")
        ws.set_alias("loans", 1, "champion")
        edge.export(ws.context, "loans@champion", tmp_path / "bundle")
    return home


def score(bundle: Path, rows: int, seed: int, *log_options: str) -> list[str]:
    """Run the bundle on ``rows`` rows; the ids of its answers."""
    data = bundle.parent / f"rows{seed}.csv"
    loans(rows, seed).drop(columns="repaid").to_csv(data, index=False)
    out = bundle.parent / f"answers{seed}.jsonl"
    done = subprocess.run(
        [sys.executable, str(bundle / "run.py"), str(data), "--out", str(out), *log_options],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line)["id"] for line in out.read_text().splitlines()]


def ingest(home: Path, *paths: Path) -> edge.IngestReport:
    with Workspace.open(home, create=False) as ws:
        return edge.ingest(ws.context, "loans@champion", list(paths))


def logged(home: Path) -> list[dict[str, object]]:
    with Workspace.open(home, create=False) as ws:
        table = InferenceLog.open(ws.settings).read("loans")
    return table.to_pylist() if table.num_rows else []


def test_ingesting_twice_adds_nothing_and_monitoring_sees_edge_traffic(
    workspace: Path, tmp_path: Path
) -> None:
    ids = score(tmp_path / "bundle", 300, 1)
    first = ingest(workspace, tmp_path / "bundle" / "log")
    assert (first.read, first.added, first.duplicates, first.unreadable) == (300, 300, 0, 0)
    assert first.versions == [1]
    assert first.sentence == "added 300 edge predictions of loans from 1 file to the inference log"
    again = ingest(
        workspace, tmp_path / "bundle" / "log", tmp_path / "bundle" / "log" / "predictions.log"
    )
    assert (again.added, again.duplicates) == (0, 600)
    rows = logged(workspace)
    assert sorted(r["request_id"] for r in rows) == sorted(ids)
    assert {r["route"] for r in rows} == {"edge"} and {r["version"] for r in rows} == {1}
    assert {"income", "debt", "age", "region", "probabilities"} <= set(rows[0])

    with Workspace.open(workspace, create=False) as ws:
        assert InferenceLog.open(ws.settings).compact().predictions == 300
        assert ingest(workspace, tmp_path / "bundle" / "log").added == 0  # compacted ones count too
        run = monitor.run(ws.context, "loans@champion", window="1d")
    assert sum(w.rows for w in run.windows) == 300
    assert any(w.evaluated for w in run.windows)


def test_a_new_run_adds_only_its_own_predictions(workspace: Path, tmp_path: Path) -> None:
    score(tmp_path / "bundle", 100, 1)
    assert ingest(workspace, tmp_path / "bundle" / "log").added == 100
    score(tmp_path / "bundle", 40, 2)  # the same log file, grown
    report = ingest(workspace, tmp_path / "bundle" / "log")
    assert (report.read, report.added, report.duplicates) == (140, 40, 100)
    assert len(logged(workspace)) == 140


def test_rotated_files_are_read_and_a_torn_line_is_counted_not_taken(
    workspace: Path, tmp_path: Path
) -> None:
    logs = tmp_path / "bundle" / "log"
    score(tmp_path / "bundle", 200, 3, "--log-bytes", "20000", "--log-files", "9")
    assert len(list(logs.iterdir())) > 1
    with open(logs / "predictions.log", "a") as f:
        f.write('{"id": "torn", "time": "2026-')  # a device lost power mid-write
    report = ingest(workspace, logs)
    assert (report.added, report.unreadable) == (200, 1)
    assert "1 line could not be read (a torn or edited line) and was left out" in report.sentence


def test_another_models_log_or_an_unknown_version_is_refused(
    workspace: Path, tmp_path: Path
) -> None:
    score(tmp_path / "bundle", 5, 4)
    log = tmp_path / "bundle" / "log" / "predictions.log"
    lines = log.read_text().splitlines()
    other = tmp_path / "other.log"
    other.write_text(lines[0].replace('"model":"loans"', '"model":"churn"') + "\n")
    with pytest.raises(
        InputError, match="predictions of model 'churn', not 'loans'; ingest it as churn@ALIAS"
    ):
        ingest(workspace, other)
    unknown = tmp_path / "v9.log"
    unknown.write_text(lines[0].replace('"version":1', '"version":9') + "\n")
    with pytest.raises(NotFoundError, match="has no version 9"):
        ingest(workspace, unknown)
    with pytest.raises(InputError, match="there is no file or folder at"):
        ingest(workspace, tmp_path / "nowhere")
    assert logged(workspace) == []  # nothing taken from a refused ingest


@pytest.mark.slow
def test_an_ingest_killed_half_way_adds_the_rest_when_run_again(
    workspace: Path, tmp_path: Path
) -> None:
    # A big log, written as the runner writes it.
    log = tmp_path / "big.log"
    template = json.loads((tmp_path / "bundle" / "signature.json").read_text())["model"]
    with open(log, "w") as f:
        for i in range(40_000):
            f.write(
                json.dumps(
                    {
                        "id": f"edge-{i}",
                        "time": f"2026-11-0{1 + i % 3}T10:00:00+00:00",
                        "model": template["name"],
                        "version": template["version"],
                        "latency_ms": 0.05,
                        "inputs": {
                            "income": 50.0 + i % 7,
                            "debt": 3.0,
                            "age": 30,
                            "region": "north",
                        },
                        "prediction": i % 2,
                        "probabilities": [0.5, 0.5],
                    }
                )
                + "\n"
            )
    segments = workspace / "log" / "segments"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
    script = Path(sys.executable).with_name("driftline")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from driftline.cli._app import _entry; _entry()"]
    )
    child = subprocess.Popen(
        [*command, "--home", str(workspace), "ingest", "loans@champion", str(log)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    # The worst moment: some records are on disk, not all.
    while time.monotonic() < deadline:
        written = sum(p.stat().st_size for p in segments.glob("*")) if segments.exists() else 0
        if written > 200_000 or child.poll() is not None:
            break
        time.sleep(0.01)  # polling interval; the condition decides
    child.send_signal(signal.SIGKILL)
    child.wait()
    partial = len(logged(workspace))
    assert 0 < partial < 40_000, partial
    report = ingest(workspace, log)
    assert report.added == 40_000 - partial and report.duplicates == partial
    rows = logged(workspace)
    assert len(rows) == 40_000 and len({r["request_id"] for r in rows}) == 40_000
