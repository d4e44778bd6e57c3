"""A student learns a version's answers from unlabelled rows and joins the registry as its child."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftline import InputError, Workspace, edge
from driftline.gate import run_gate

from .conftest import NUMBERS, loans


@pytest.fixture(scope="module")
def unlabelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("distil") / "unlabelled.csv"
    loans(3000, 21).drop(columns="repaid").to_csv(path, index=False)  # no labels at all
    return path


@pytest.mark.parametrize("student", ["tree", "gbm", "logistic"])
def test_a_student_learns_its_teacher_and_names_it_as_parent(
    home: Path, unlabelled: Path, student: str
) -> None:
    with Workspace.open(home, create=False) as ws:
        report = edge.distill(ws.context, "loans@champion", unlabelled, student=student)
        registered = ws.get(report.student)
    assert report.teacher == "loans:1" and registered.lineage["parent"] == "loans:1"
    assert report.agreement.rows == 600  # a fifth of the rows, never trained on
    # The teacher is a logistic model over one-hot regions: every student can follow it.
    floor = {"tree": 0.85, "gbm": 0.9, "logistic": 0.95}[student]
    assert report.agreement.share >= floor
    assert registered.metrics["agreement_with_teacher"] == report.agreement.share
    assert registered.signature is not None
    assert registered.signature.names == ["income", "debt", "age", "region"]
    assert registered.signature.output is not None
    assert registered.signature.output.classes == (0, 1)
    assert report.student_engine == "onnx" and report.student_onnx_size
    assert report.sentence.startswith(
        f"registered {report.student}, a {student} distilled from loans:1"
    )


def test_a_student_is_ready_for_the_gate(home: Path, unlabelled: Path, tmp_path: Path) -> None:
    with Workspace.open(home, create=False) as ws:
        report = edge.distill(
            ws.context, "forest:1", unlabelled, student="tree", alias="challenger"
        )
        assert ws.get("forest@challenger").ref == report.student
        labelled = tmp_path / "labelled.csv"
        loans(800, 22)[[*NUMBERS, "repaid"]].to_csv(labelled, index=False)
        decision = run_gate(ws.context, "forest", baseline="1", data=labelled, target="repaid")
    assert decision.candidate == report.student and decision.baseline == "forest:1"
    assert decision.criteria  # judged on labels, criterion by criterion


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"student": "forest"}, "--student must be one of tree, gbm, logistic, got 'forest'"),
        ({"holdout": 1.5}, "holdout must be a share between 0 and 1"),
    ],
)
def test_wrong_options_are_one_sentence(
    home: Path, unlabelled: Path, options: dict[str, object], message: str
) -> None:
    with Workspace.open(home, create=False) as ws, pytest.raises(InputError, match=message):
        edge.distill(ws.context, "loans@champion", unlabelled, **options)  # type: ignore[arg-type]


def test_rows_without_the_inputs_or_too_few_are_refused(home: Path, tmp_path: Path) -> None:
    few = tmp_path / "few.csv"
    loans(20, 1).drop(columns="repaid").to_csv(few, index=False)
    partial = tmp_path / "partial.csv"
    loans(200, 1)[["income", "age"]].to_csv(partial, index=False)
    with Workspace.open(home, create=False) as ws:
        before = len(ws.versions("loans"))
        with pytest.raises(InputError, match="at least 50 rows to learn from and check on, got 20"):
            edge.distill(ws.context, "loans@champion", few)
        with pytest.raises(
            InputError, match=r"lack column\(s\) 'debt', 'region' that loans:1 takes"
        ):
            edge.distill(ws.context, "loans@champion", partial)
        assert len(ws.versions("loans")) == before  # nothing registered
