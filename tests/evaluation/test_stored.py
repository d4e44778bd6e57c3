"""Evaluations of registered versions: stored with the version, audited, listed, read back."""

from __future__ import annotations

import json

import pytest

import driftline
from driftline.errors import NotFoundError, SchemaError, TamperedArtifactError
from driftline.evaluation import (
    EvaluationReport,
    _store,
    evaluate,
    get_evaluation,
    latest_evaluation,
    list_evaluations,
)

FAST = {"n_resamples": 100, "discover": False}


def test_registered_version_is_stored_and_audited(registered, churn_test) -> None:
    ws = registered
    report = ws.evaluate("churn@champion", churn_test, **FAST)  # target from the signature
    assert (report.model, report.version, report.ref) == ("churn", 1, "churn@champion")
    assert report.target == "churned" and report.id is not None
    assert report.created_by == "tester"
    # The training profile is there, so the data were checked against it.
    assert report.quality is not None and report.quality.n_current == len(churn_test)
    assert report.quality.headline in report.summary()

    events = ws.audit_events(action="model.evaluate")
    assert len(events) == 1
    event = events[0]
    assert event.subject == "churn:1" and event.actor == "tester"
    assert event.payload["evaluation"] == report.id
    assert event.payload["dataset"] == report.dataset
    assert event.payload["metrics"]["accuracy"] == pytest.approx(report["accuracy"].value)
    assert ws.verify_audit().ok

    stored = get_evaluation(ws.context, report.id)
    assert stored.to_dict() == report.to_dict()
    assert [r.id for r in list_evaluations(ws.context, "churn")] == [report.id]


def test_list_and_latest_by_version(registered, churn_test, churn_model, churn_train) -> None:
    ws = registered
    first = ws.evaluate("churn:1", churn_test, **FAST)
    ws.register(
        "churn", churn_model, train=churn_train[["age", "tenure", "churned"]], target="churned"
    )
    second = ws.evaluate("churn", churn_test.iloc[:600], **FAST)  # newest: version 2
    third = ws.evaluate("churn:2", churn_test, store=False, **FAST)
    assert second.version == 2 and third.id is None
    assert [r.id for r in list_evaluations(ws.context, "churn")] == [second.id, first.id]
    assert [r.id for r in list_evaluations(ws.context, "churn:1")] == [first.id]
    assert [r.id for r in list_evaluations(ws.context, "churn@champion")] == [first.id]
    assert latest_evaluation(ws.context, "churn").id == second.id
    assert latest_evaluation(ws.context, "churn:2").n_rows == 600
    assert [r.id for r in ws.evaluations("churn", limit=1)] == [second.id]
    with pytest.raises(NotFoundError, match="no model named 'chrun'; did you mean 'churn'"):
        list_evaluations(ws.context, "chrun")
    with pytest.raises(NotFoundError, match="no alias"):
        list_evaluations(ws.context, "churn@staging")
    with pytest.raises(NotFoundError):
        get_evaluation(ws.context, 999)


def test_large_reports_go_to_the_artifact_store(registered, churn_test, monkeypatch) -> None:
    ws = registered
    monkeypatch.setattr(_store, "INLINE_LIMIT", 100)
    report = ws.evaluate("churn@champion", churn_test, **FAST)
    from driftline.store import EvaluationRow

    with ws.db.read() as s:
        row = s.get(EvaluationRow, report.id)
    assert row.report_key is not None and row.summary["charts"] == {}
    assert row.report_key == f"blobs/{row.report_sha256[:2]}/{row.report_sha256}"
    blob = ws.artifacts.get_blob(row.report_key, row.report_sha256, what="the report")
    assert json.loads(blob)["charts"]["roc"] is not None
    assert get_evaluation(ws.context, report.id).to_dict() == report.to_dict()
    # The digest is in the audit chain too, with the event that stored the report.
    (event,) = ws.audit_events(action="model.evaluate")
    assert event.payload["report_sha256"] == row.report_sha256


def test_a_tampered_stored_report_is_refused(registered, churn_test, monkeypatch) -> None:
    ws = registered
    monkeypatch.setattr(_store, "INLINE_LIMIT", 100)
    report = ws.evaluate("churn@champion", churn_test, **FAST)
    from driftline.store import EvaluationRow

    with ws.db.read() as s:
        key = s.get(EvaluationRow, report.id).report_key
    path = ws.home / "artifacts" / key
    doc = json.loads(path.read_bytes())
    doc["evaluation"]["metrics"]["accuracy"]["value"] = 0.99  # a better model than it is
    path.write_text(json.dumps(doc))
    expected = f"the evaluation report #{report.id} of churn:1 was changed in the artifact store"
    with pytest.raises(TamperedArtifactError, match=expected):
        get_evaluation(ws.context, report.id)
    with pytest.raises(TamperedArtifactError, match="evaluate churn:1 again"):
        latest_evaluation(ws.context, "churn")


def test_small_reports_stay_in_the_row_and_name_no_digest(registered, churn_test) -> None:
    report = registered.evaluate("churn@champion", churn_test, **FAST)
    from driftline.store import EvaluationRow

    with registered.db.read() as s:
        row = s.get(EvaluationRow, report.id)
    assert row.report_key is None and row.report_sha256 is None
    (event,) = registered.audit_events(action="model.evaluate")
    assert event.payload["report_sha256"] is None


def test_signature_guards_the_inputs(registered, churn_test) -> None:
    with pytest.raises(SchemaError, match="'age' must be a number"):
        registered.evaluate("churn", churn_test.assign(age="forty"), **FAST)


def test_top_level_sdk_opens_the_default_workspace(registered, churn_test, monkeypatch) -> None:
    monkeypatch.setenv("DRIFTLINE_HOME", str(registered.home))
    report = driftline.evaluate("churn@champion", churn_test, **FAST)
    assert isinstance(report, driftline.EvaluationReport) and report.id is not None
    assert isinstance(report, EvaluationReport)
    assert evaluate is driftline.evaluate


def test_missing_workspace_is_not_created(tmp_path, monkeypatch, churn_test) -> None:
    monkeypatch.setenv("DRIFTLINE_HOME", str(tmp_path / "nothing"))
    with pytest.raises(NotFoundError, match="no driftline workspace"):
        driftline.evaluate("churn", churn_test, target="churned", **FAST)
    assert not (tmp_path / "nothing").exists()
