"""Discovery finds a planted weak slice at the right conjunction and invents none."""

from __future__ import annotations

import io
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from scipy import stats

from driftline.errors import InputError
from driftline.metrics import Predictions
from driftline.slices import Slice, SliceReport, discover_slices

PLANTED = {("age", "range", 60, None), ("region", "in", "North", None)}


def _shape(s: Slice) -> set[tuple[object, ...]]:
    return {(c.column, c.op, c.values[0] if c.op == "in" else c.low, c.high) for c in s.conditions}


def test_planted_weak_slice_is_found_first(make: SimpleNamespace) -> None:
    frame, y, pred = make.classification(8000, seed=1)
    report = discover_slices(frame, y, pred, n_resamples=200)
    assert report.findings, report.headline
    top = report.findings[0]
    assert _shape(top.slice) == PLANTED
    assert top.slice.describe() == "age 60 or more and region North"
    assert np.array_equal(top.slice.mask(frame), make.weak(frame))
    # Labels flipped with chance 0.3 cost about 0.3 * (1 - 2 * error) in accuracy.
    assert top.value is not None and top.value.value < top.overall - 0.15
    assert top.value.low <= top.value.value <= top.value.high < top.overall
    assert top.adjusted_p is not None and top.adjusted_p < 1e-6
    assert top.rows == int(make.weak(frame).sum())
    assert top.sentence.startswith("age 60 or more and region North: accuracy 0.")
    assert f"{top.rows:,} rows" in top.sentence
    assert report.worst() is not None and report.worst().shortfall >= top.shortfall  # type: ignore[union-attr, operator]
    # Its parents are explained by it, not reported beside it.
    words = [f.slice.describe() for f in report.findings]
    assert "region North" not in words and "age 60 or more" not in words


def test_planted_high_error_slice_of_a_regressor(make: SimpleNamespace) -> None:
    frame, y, pred = make.regression(6000, seed=2)
    report = discover_slices(frame, y, pred, n_resamples=200)
    assert report.metric == "mae" and report.findings
    top = report.findings[0]
    assert _shape(top.slice) == PLANTED
    assert top.value is not None and top.value.value > 2 * top.overall
    assert top.sentence.startswith("age 60 or more and region North: mae ")
    squared = discover_slices(frame, y, pred, metric="rmse", n_resamples=0)
    assert _shape(squared.findings[0].slice) == PLANTED


def test_no_weak_slice_no_findings_over_seeds(make: SimpleNamespace) -> None:
    # Errors fall on rows regardless of their columns: a finding is a false discovery.
    runs, with_findings, tested = 40, 0, []
    for seed in range(runs):
        frame, y, pred = make.iid_errors(1500, seed)
        report = discover_slices(frame, y, pred, n_resamples=0)
        tested.append(report.n_tested)
        with_findings += bool(report.findings)
    # At most alpha = 0.05 of runs may report anything; 6 or more of 40 has chance < 1.5%.
    assert with_findings <= stats.binom.ppf(0.985, runs, 0.05), with_findings
    assert min(tested) > 50  # the correction covered a real search


def test_no_weak_slice_regression_no_findings(make: SimpleNamespace) -> None:
    hits = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        frame, _, _ = make.iid_errors(1000, seed)
        y = rng.normal(size=len(frame))
        pred = Predictions(y + rng.standard_t(3, size=len(frame)), None, None, "regression")
        hits += bool(discover_slices(frame, y, pred, n_resamples=0).findings)
    assert hits <= stats.binom.ppf(0.985, 20, 0.05)


def test_report_round_trips_and_renders(make: SimpleNamespace) -> None:
    frame, y, pred = make.classification(4000, seed=3)
    report = discover_slices(frame, y, pred, n_resamples=100, max_slices=3)
    assert 1 <= len(report.findings) <= 3
    again = SliceReport.from_dict(report.to_dict())
    assert again.to_dict() == report.to_dict()
    assert again.findings[0].slice == report.findings[0].slice
    out = io.StringIO()
    Console(file=out, width=140).print(report)
    text = out.getvalue()
    assert "served significantly worse" in text and "age 60 or more and region North" in text


def test_log_loss_search_and_missing_values(make: SimpleNamespace) -> None:
    frame, y, pred = make.classification(4000, seed=4)
    frame = frame.copy()
    frame.loc[frame.index[:300], "income"] = np.nan
    report = discover_slices(frame, y, pred, metric="log_loss", n_resamples=0)
    assert report.metric == "log_loss"
    assert _shape(report.findings[0].slice) == PLANTED
    assert report.findings[0].value.value > report.overall.value  # type: ignore[union-attr]


def test_same_seed_same_report(make: SimpleNamespace) -> None:
    frame, y, pred = make.classification(3000, seed=5)
    a = discover_slices(frame, y, pred, n_resamples=50, seed=7)
    b = discover_slices(frame, y, pred, n_resamples=50, seed=7)
    assert a.to_dict() == b.to_dict()


def test_columns_that_cannot_be_sliced_are_skipped(make: SimpleNamespace) -> None:
    frame, y, pred = make.iid_errors(500, 0)
    frame = frame.assign(
        constant=1.0, when=pd.Timestamp("2024-01-01"), id=[f"c{i}" for i in range(len(frame))]
    )
    report = discover_slices(frame, y, pred, n_resamples=0)
    assert report.skipped == {
        "constant": "one value in every row",
        "when": "dates are not searched; add a derived column (month, weekday)",
        "id": "every value is in fewer than 30 rows",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "roc_auc"}, "a mean over rows"),
        ({"metric": "mae"}, "a mean over rows"),
        ({"max_depth": 0}, "max_depth"),
        ({"alpha": 1.5}, "alpha"),
        ({"min_support": -3}, "min_support"),
        ({"columns": ["nope"]}, "columns available"),
        ({"correction": "fdr"}, "correction"),
    ],
)
def test_bad_arguments(make: SimpleNamespace, kwargs: dict[str, object], message: str) -> None:
    frame, y, pred = make.iid_errors(200, 0)
    with pytest.raises(InputError, match=message):
        discover_slices(frame, y, pred, **kwargs)  # type: ignore[arg-type]


def test_labels_must_match_the_rows(make: SimpleNamespace) -> None:
    frame, y, pred = make.iid_errors(200, 0)
    with pytest.raises(InputError, match="one label per row"):
        discover_slices(frame, y[:-1], pred)
    with pytest.raises(InputError, match="200"):
        discover_slices(frame.iloc[:100], y[:100], pred)


def test_search_is_fast_on_a_wide_table() -> None:
    rng = np.random.default_rng(0)
    n = 30_000
    frame = pd.DataFrame(
        {
            f"c{j}": rng.normal(size=n) if j % 2 else rng.choice(list("abcdefgh"), n)
            for j in range(20)
        }
    )
    y = rng.integers(0, 2, n)
    pred = Predictions(
        np.where(rng.uniform(size=n) < 0.1, 1 - y, y), None, np.array([0, 1]), "binary"
    )
    start = time.perf_counter()
    report = discover_slices(frame, y, pred, n_resamples=0)
    # A generous bound on a shared machine; 100k rows take about half a second alone.
    assert time.perf_counter() - start < 10
    assert report.n_tested > 1000
