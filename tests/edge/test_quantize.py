"""Smaller forms are measured against the original and refused below the agreement asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftline import InputError, Workspace, edge


def export(home: Path, ref: str, out: Path, **options: object) -> edge.ExportReport:
    with Workspace.open(home, create=False) as ws:
        return edge.export(ws.context, ref, out, **options)  # type: ignore[arg-type]


def test_int8_shrinks_a_network_and_says_how_far_it_still_agrees(
    home: Path, tmp_path: Path
) -> None:
    report = export(home, "mlp:1", tmp_path / "int8", quantize="int8")
    forms = {f.name: f for f in report.forms}
    assert list(forms) == ["sklearn", "onnx", "onnx-int8"] and report.form == "onnx-int8"
    assert forms["onnx-int8"].size < 0.8 * forms["onnx"].size
    assert forms["onnx-int8"].agreement.share >= edge.DEFAULT_MIN_AGREEMENT
    assert forms["onnx"].agreement.share == 1.0
    assert (tmp_path / "int8" / "model.onnx").stat().st_size == forms["onnx-int8"].size
    spec = json.loads((tmp_path / "int8" / "signature.json").read_text())
    assert spec["model"]["form"] == "onnx-int8"
    assert spec["model"]["agreement"] == forms["onnx-int8"].agreement.share
    assert "rows sampled from the training data" in report.checked_on


def test_float16_halves_the_weights(home: Path, tmp_path: Path) -> None:
    report = export(home, "mlpreg:1", tmp_path / "half", quantize="float16", min_agreement=0.0)
    forms = {f.name: f for f in report.forms}
    assert forms["onnx-float16"].size < 0.6 * forms["onnx"].size
    assert forms["onnx-float16"].agreement.max_abs_diff is not None
    assert forms["onnx-float16"].agreement.max_abs_diff > 0  # rounded weights, rounded answers


def test_int8_on_trees_changes_nothing_and_says_so(home: Path, tmp_path: Path) -> None:
    report = export(home, "forest:1", tmp_path / "trees", quantize="int8")
    int8 = report.exported
    assert "int8 changes nothing here" in int8.note and "TreeEnsembleClassifier" in int8.note
    assert int8.size == report.forms[1].size and int8.agreement.share == 1.0


def test_an_export_below_the_agreement_asked_for_is_refused_and_writes_nothing(
    home: Path, tmp_path: Path
) -> None:
    measured = export(home, "mlpreg:1", tmp_path / "first", quantize="int8", min_agreement=0.0)
    share = measured.exported.agreement.share
    assert 0.5 < share < 1.0  # int8 moves a regressor's answers on some rows
    required = (share + 1.0) / 2
    with pytest.raises(InputError) as refused:
        export(home, "mlpreg:1", tmp_path / "second", quantize="int8", min_agreement=required)
    message = str(refused.value)
    assert f"answers as the original on {edge.share(share, required)} of 1,000 rows" in message
    assert f"below the {edge.share(required)} required, so nothing was exported" in message
    assert not (tmp_path / "second").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["first"]  # no half-written folder either
    # Exactly at the threshold it passes.
    export(home, "mlpreg:1", tmp_path / "third", quantize="int8", min_agreement=share)


def test_held_out_rows_are_what_agreement_is_measured_on(home: Path, tmp_path: Path) -> None:
    from .conftest import NUMBERS, loans

    rows = tmp_path / "holdout.csv"
    loans(700, 3)[[*NUMBERS, "repaid"]].to_csv(rows, index=False)  # the label is left aside
    report = export(home, "mlp:1", tmp_path / "b", quantize="int8", data=rows, min_agreement=0.9)
    assert report.checked_on == f"700 rows of {rows}"
    assert all(f.agreement.rows == 700 for f in report.forms)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"quantize": "int4"}, "--quantize must be one of int8, float16, got 'int4'"),
        ({"format": "tflite"}, "--format must be onnx"),
        ({"min_agreement": 99.5}, "--min-agreement must be a share between 0 and 1"),
    ],
)
def test_wrong_options_are_one_sentence(
    home: Path, tmp_path: Path, options: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        export(home, "mlp:1", tmp_path / "x", **options)
    assert not (tmp_path / "x").exists()
