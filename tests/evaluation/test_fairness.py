"""evaluate(..., sensitive=[...]): group fairness stored with the evaluation, shown and carded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftline.cli import main


def test_sdk_figures_are_stored_and_read_back(registered, churn_test) -> None:
    fairlearn = pytest.importorskip("fairlearn.metrics")
    ws = registered
    report = ws.evaluate(  # type: ignore[attr-defined]
        "churn@champion", churn_test, discover=False, n_resamples=100, sensitive=["region"]
    )
    fair = report.fairness
    assert fair is not None and fair.positive == "1"
    attr = fair["region"]
    assert set(attr.groups) == {"north", "south", "east", "west"}
    assert sum(g.size for g in attr.groups.values()) == 1200
    model = ws.load_model("churn@champion")  # type: ignore[attr-defined]
    pred = model.predict(churn_test[["age", "tenure"]])
    expected = fairlearn.demographic_parity_ratio(
        churn_test["churned"], pred, sensitive_features=churn_test["region"]
    )
    assert attr["demographic_parity_ratio"].value == pytest.approx(expected, abs=1e-12)
    assert any("the rate of rows with `region`" in s for s in report.sentences())

    stored = ws.evaluations("churn")[0]  # type: ignore[attr-defined]
    assert stored.fairness is not None
    assert stored.fairness.to_dict() == fair.to_dict()
    card = ws.model_card("churn@champion").to_dict()  # type: ignore[attr-defined]
    carded = card["evaluation"]["fairness"][0]
    assert carded["attribute"] == "region" and len(carded["groups"]) == 4
    assert carded["disparities"]["demographic_parity_ratio"].startswith("0.")

    from driftline.report import render_html

    page = render_html(stored)
    assert "How the groups of region are served" in page and "selection rate" in page
    assert "the rate of rows with" in page


def test_multiclass_model_gets_a_note_not_a_failure(three_classes) -> None:
    from driftline.evaluation import evaluate

    df, model = three_classes
    df = df.assign(group=["x", "y", "z"] * (len(df) // 3))
    report = evaluate(model, df, target="kind", discover=False, n_resamples=0, sensitive=["group"])
    assert report.fairness is None
    assert any("fairness figures skipped: fairness figures need a model with two outcomes" in n
               for n in report.notes)  # fmt: skip


@pytest.fixture
def home(registered, churn_test, tmp_path: Path) -> tuple[str, Path]:
    data = tmp_path / "test.csv"
    churn_test.to_csv(data, index=False)
    return str(registered.home), data


def test_cli_sensitive_json_table_and_bad_column(home, capsys) -> None:
    ws, data = home
    base = ["--home", ws, "evaluate", "churn@champion", "--data", str(data), "--no-discover",
            "--resamples", "50", "--no-store"]  # fmt: skip
    assert main([*base, "--sensitive", "region", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["fairness"]["attributes"]["region"]["groups"]) == {
        "north", "south", "east", "west",
    }  # fmt: skip
    assert main([*base, "--sensitive", "region"]) == 0
    out = capsys.readouterr().out
    assert "groups of region" in out and "selection rate" in out and "warning line" in out
    assert main([*base, "--sensitive", "gender"]) == 2
    err = capsys.readouterr().err
    assert "no column 'gender' in the data to group rows by" in err and err.count("\n") == 1
