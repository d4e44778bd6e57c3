"""Each data-quality check fires on data built to trigger it, and names column and numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.quality import Finding, QualityReport, check_quality


def only(report: QualityReport, check: str, column: str | None = None) -> Finding:
    found = [f for f in report.findings if f.check == check and f.column == column]
    assert len(found) == 1, [f.to_dict() for f in report.findings]
    return found[0]


def problems(report: QualityReport) -> list[Finding]:
    return [f for f in report.findings if f.severity != "info"]


def test_clean_batch_passes_without_warnings(pair) -> None:
    ref, cur = pair
    report = check_quality(ref, cur, target="y")
    assert report.passed and problems(report) == []
    assert report.headline == "Data check passed: no problems found in 5 columns."
    assert "representativeness" in report.checks and "leakage" in report.checks
    assert only(report, "representativeness").severity == "info"


def test_missing_column_is_critical(pair) -> None:
    ref, cur = pair
    report = check_quality(ref, cur.drop(columns=["region"]))
    finding = only(report, "missing_column", "region")
    assert finding.severity == "critical" and not report.passed
    assert finding.message.startswith("Column `region` is missing, and the model needs it")


def test_text_in_a_number_column_is_critical(pair) -> None:
    ref, cur = pair
    cur = cur.assign(age=cur["age"].astype(str))
    cur.loc[3, "age"] = "forty"
    finding = only(check_quality(ref, cur), "type", "age")
    assert finding.severity == "critical"
    assert "`age` should hold numbers" in finding.message and "'forty'" in finding.message
    assert finding.details["n_bad"] == 1


def test_fractions_in_a_whole_number_column_warn(pair) -> None:
    ref, cur = pair
    cur = cur.assign(age=cur["age"] + 0.5)
    finding = only(check_quality(ref, cur), "type", "age")
    assert finding.severity == "warning" and "fractions" in finding.message


def test_values_above_the_training_range(pair) -> None:
    ref, cur = pair
    report = check_quality(ref, cur.assign(age=cur["age"] + 15))
    finding = only(report, "out_of_range", "age")
    share = float(np.mean(cur["age"] + 15 > ref["age"].max()))
    assert finding.severity == "critical" and finding.details["share"] == pytest.approx(share)
    assert finding.message.startswith(f"{round(100 * share)}% of `age` values are above")
    assert f"(largest {ref['age'].max()} then, " in finding.message


def test_a_few_values_out_of_range_warn(pair) -> None:
    ref, cur = pair
    cur = cur.copy()
    cur.loc[:9, "income"] = ref["income"].max() * 2  # 2% of the rows
    finding = only(check_quality(ref, cur), "out_of_range", "income")
    assert finding.severity == "warning" and 0.02 <= finding.details["share"] < 0.03
    assert f"{100 * finding.details['share']:.1f}% of `income` values are above" in finding.message


def test_unseen_categories_name_values_and_rows(pair) -> None:
    ref, cur = pair
    cur = cur.copy()
    cur.loc[:59, "region"] = "mars"
    cur.loc[60:62, "region"] = "venus"
    finding = only(check_quality(ref, cur), "unseen_categories", "region")
    assert finding.severity == "critical"
    assert "'mars' (60 rows)" in finding.message and "'venus' (3 rows)" in finding.message
    assert finding.details["unseen"] == {"mars": 60, "venus": 3}


def test_missing_rate_jumps(pair) -> None:
    ref, cur = pair
    big = cur.assign(score=np.where(np.arange(len(cur)) % 2 == 0, np.nan, cur["score"]))
    finding = only(check_quality(ref, big), "missing_values", "score")
    assert finding.severity == "critical"
    assert "`score` is missing in" in finding.message and "up from" in finding.message

    fresh = cur.assign(income=np.where(np.arange(len(cur)) % 10 == 0, np.nan, cur["income"]))
    finding = only(check_quality(ref, fresh), "missing_values", "income")
    assert finding.severity == "warning"
    assert "`income` is missing in 10% of rows, and never was in training" in finding.message


def test_duplicate_rows(pair) -> None:
    ref, cur = pair
    doubled = pd.concat([cur.iloc[:300], cur.iloc[:200]], ignore_index=True)
    finding = only(check_quality(ref, doubled), "duplicate_rows")
    assert finding.severity == "warning" and finding.details["n_duplicates"] == 200
    assert "200 rows (40%) repeat an earlier row" in finding.message


def test_duplicates_that_categories_make_by_themselves_are_quiet(make) -> None:
    ref, cur = make(2000, 1)[["region", "member"]], make(1000, 2)[["region", "member"]]
    report = check_quality(ref, cur)
    assert [f for f in report.findings if f.check == "duplicate_rows"] == []


def test_constant_column_now_and_in_training(pair) -> None:
    ref, cur = pair
    finding = only(check_quality(ref, cur.assign(region="north")), "constant_column", "region")
    assert finding.severity == "warning" and "'north'" in finding.message
    report = check_quality(ref.assign(member=True), cur.assign(member=True))
    assert only(report, "constant_column", "member").severity == "info"


def test_class_imbalance_and_label_shift(make) -> None:
    ref, cur = make(2000, 3), make(1000, 4)
    rare = ref.assign(y=(np.arange(len(ref)) % 50 == 0).astype(int))
    finding = only(check_quality(rare, cur.drop(columns="y"), target="y"), "class_imbalance", "y")
    assert finding.severity == "warning" and "Only 2% of training labels" in finding.message

    shifted = cur.assign(y=(np.arange(len(cur)) % 10 != 0).astype(int))
    finding = only(check_quality(ref, shifted, target="y"), "label_shift", "y")
    assert finding.severity == "warning" and "changed from" in finding.message


def test_leakage_of_the_label(pair) -> None:
    ref, cur = pair
    leaky = ref.assign(refund=ref["y"] * 10 + np.random.default_rng(0).random(len(ref)))
    report = check_quality(leaky, cur.assign(refund=0.5), target="y")
    finding = only(report, "leakage", "refund")
    assert finding.severity == "warning" and finding.details["score"] >= 0.99
    assert "`refund` alone predicts `y` almost perfectly" in finding.message
    assert [f.column for f in report.findings if f.check == "leakage"] == ["refund"]


def test_leakage_of_a_text_label_and_of_a_quantity(pair) -> None:
    ref, _ = pair
    words = ref.assign(label=np.where(ref["y"] == 1, "churned", "stayed"))
    words = words.assign(status=np.where(ref["y"] == 1, "closed", "open"))
    report = check_quality(words.drop(columns="y"), words.drop(columns="y"), target="label")
    assert only(report, "leakage", "status").details["measure"] == "balanced accuracy"

    amounts = ref.assign(spend=ref["income"] * 0.1, tax=ref["income"] * 0.02)
    report = check_quality(amounts.drop(columns="income"), amounts, target="spend")
    assert only(report, "leakage", "tax").details["measure"] == "R²"


def test_a_joint_shift_only_the_domain_classifier_sees() -> None:
    rng = np.random.default_rng(5)
    a = rng.normal(size=1500)
    ref = pd.DataFrame({"a": a[:1000], "b": rng.normal(size=1000)})
    # Same marginals, but b now follows a exactly: no single column looks different.
    cur = pd.DataFrame({"a": a[1000:], "b": a[1000:]})
    report = check_quality(ref, cur)
    finding = only(report, "representativeness")
    assert finding.severity in ("warning", "critical") and finding.details["auc"] >= 0.6
    assert [f.check for f in problems(report)] == ["representativeness"]


def test_findings_are_ordered_most_severe_first(pair) -> None:
    ref, cur = pair
    cur = cur.assign(age=cur["age"] + 15).drop(columns=["member"])
    report = check_quality(ref, cur)
    ranks = [("info", "warning", "critical").index(f.severity) for f in report.findings]
    assert ranks == sorted(ranks, reverse=True)
    assert report.headline.startswith("Data check failed: ")
    assert "age" in report.headline and "member" in report.headline
