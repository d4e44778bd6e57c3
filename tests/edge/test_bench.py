"""bench: every runtime at every batch size, with its agreement beside it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from driftline import InputError, Workspace, edge
from driftline.cli import main


def test_a_network_is_measured_in_every_form(home: Path) -> None:
    with Workspace.open(home, create=False) as ws:
        report = edge.bench(ws.context, "mlp:1", batch_sizes=(1, 32), seconds=0.05)
    names = [r.runtime for r in report.runtimes]
    assert names == ["sklearn", "onnx", "onnx-int8", "onnx-float16"]
    assert report.skipped and report.skipped[0].startswith(
        "no compiled form: Treelite compiles tree ensembles"
    )
    for r in report.runtimes:
        assert [t.batch for t in r.timings] == [1, 32]
        assert all(
            t.calls >= 5 and 0 < t.p50_ms <= t.p99_ms and t.rows_per_second > 0 for t in r.timings
        )
        assert r.agreement.rows == 1000
    by = {r.runtime: r for r in report.runtimes}
    assert by["sklearn"].agreement.share == 1.0 and by["onnx"].agreement.share == 1.0
    assert by["onnx-int8"].size < by["onnx"].size


def test_trees_are_compiled_when_treelite_is_installed(home: Path) -> None:
    pytest.importorskip("tl2cgen", reason="the edge extra is not installed")
    with Workspace.open(home, create=False) as ws:
        report = edge.bench(ws.context, "forest:1", batch_sizes=(1, 1024), seconds=0.05)
    by = {r.runtime: r for r in report.runtimes}
    assert list(by) == ["sklearn", "onnx", "compiled"]
    assert by["compiled"].agreement.share == 1.0 and by["compiled"].build_seconds > 0
    assert any("int8 changes nothing here" in s for s in report.skipped)


def test_without_treelite_the_report_says_how_to_get_it(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "treelite", None)  # as if it were not installed
    with Workspace.open(home, create=False) as ws:
        report = edge.bench(ws.context, "forest:1", batch_sizes=(1,), seconds=0.01)
    assert [r.runtime for r in report.runtimes] == ["sklearn", "onnx"]
    assert (
        "no compiled form: 'treelite' is not installed; install it with: pip install 'driftline[edge]'"
        in report.skipped
    )


def test_bench_json_and_table(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--home", str(home), "bench", "mlp:1", "--batch", "1,32", "--seconds", "0.02"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ref"] == "mlp:1" and [t["batch"] for t in data["runtimes"][0]["timings"]] == [
        1,
        32,
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "onnx-int8" in out and "p99 ms" in out and "agrees" in out
    assert main([*args[:4], "--batch", "1,x"]) == 2
    assert "--batch takes whole numbers separated by commas, got '1,x'" in capsys.readouterr().err


def test_batch_sizes_must_be_whole_numbers_from_one(home: Path) -> None:
    with Workspace.open(home, create=False) as ws, pytest.raises(InputError, match="from 1"):
        edge.bench(ws.context, "mlp:1", batch_sizes=(0,))
