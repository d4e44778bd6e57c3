"""drift()'s dataset-level family: the kernel test of whole rows, the model's outputs, Holm."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from scipy import stats as sps
from threadpoolctl import threadpool_limits

from driftline.drift import ColumnDrift, DriftReport, DriftResult, drift
from driftline.drift._report import holm_levels
from driftline.errors import InputError
from driftline.stats import Profile

ALPHA = 0.05


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # Shared cores: spinning BLAS/OpenMP pools make small fits many times slower.
    with threadpool_limits(1):
        yield


def _upper(trials: int, level: float = ALPHA) -> float:
    """The rate a true ``level`` stays under with probability 0.999 over ``trials``."""
    return float(sps.binom.ppf(0.999, trials, level)) / trials


def _correlated(rng: np.random.Generator, n: int, angle_degrees: float = 0.0) -> np.ndarray:
    """Four N(0, 1) columns, the first two correlated 0.8, rotated in their plane.

    A rotation by 90 degrees turns the correlation to -0.8 and leaves every
    marginal exactly N(0, 1).
    """
    cov = np.eye(4)
    cov[0, 1] = cov[1, 0] = 0.8
    x = rng.multivariate_normal(np.zeros(4), cov, size=n)
    a = np.deg2rad(angle_degrees)
    rotation = np.eye(4)
    rotation[:2, :2] = [[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]
    return x @ rotation.T


def _mixed(rng: np.random.Generator, n: int, shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": rng.normal(shift, 1.0, n),
            "b": rng.normal(size=n),
            "c": rng.choice(["x", "y", "z"], n, p=[0.5, 0.3, 0.2]),
        }
    )


def test_false_alarms_of_the_combined_default_stay_at_alpha() -> None:
    seeds = 200
    reports = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        reports.append(drift(_mixed(rng, 40), _mixed(rng, 40)))
    assert all([t.method for t in r.multivariate] == ["mmd"] for r in reports)
    alarms = np.mean([r.drift_detected for r in reports])
    assert alarms <= _upper(seeds), f"combined auto alarmed on {alarms:.3f} of {seeds} seeds"
    # The report's p-value is valid on its own, and the kernel test's too.
    assert np.mean([r.p_value <= ALPHA for r in reports]) <= _upper(seeds)
    assert np.mean([r.multivariate[0].p_value <= ALPHA for r in reports]) <= _upper(seeds)


def test_power_rises_with_the_shift() -> None:
    shifts = [0.0, 0.3, 0.6, 1.0]
    power = []
    for shift in shifts:
        hits = 0
        for seed in range(20):
            rng = np.random.default_rng(500 + seed)
            hits += drift(_mixed(rng, 60), _mixed(rng, 60, shift)).drift_detected
        power.append(hits / 20)
    assert power == sorted(power), f"power {power} does not rise with the shift"
    assert power[0] <= 0.15
    assert power[-1] >= 0.9


def test_a_rotation_that_keeps_every_marginal_is_caught_by_auto_not_by_columns() -> None:
    seeds = 10
    auto = columns = 0
    for seed in range(seeds):
        rng = np.random.default_rng(900 + seed)
        report = drift(_correlated(rng, 300), _correlated(rng, 300, angle_degrees=90.0))
        auto += report.drift_detected
        columns += bool(report.drifted_columns)
        mmd = report.multivariate[0]
        assert mmd.method == "mmd"
    assert auto >= 9, f"auto caught the rotation on {auto}/{seeds} seeds"
    assert columns <= 2, f"per-column tests flagged an unchanged marginal on {columns}/{seeds}"


CENTRES = np.array([[0.0, 0.0, 0.0], [2.5, 0.0, 1.0], [0.0, 2.5, -1.0]])


def _clusters(rng: np.random.Generator, n: int, knockout: float = 0.0) -> tuple[np.ndarray, Any]:
    weights = np.array([1.0 - knockout, 1.0, 1.0])
    y = rng.choice(3, size=n, p=weights / weights.sum())
    return CENTRES[y] + rng.normal(size=(n, 3)), y


def test_model_outputs_see_a_knocked_out_class() -> None:
    from sklearn.linear_model import LogisticRegression

    x, y = _clusters(np.random.default_rng(0), 600)
    model = LogisticRegression().fit(x, y)
    hits = 0
    for seed in range(10):
        rng = np.random.default_rng(100 + seed)
        ref, _ = _clusters(rng, 200)
        cur, _ = _clusters(rng, 200, knockout=1.0)
        report = drift(ref, cur, model=model)
        outputs = report.multivariate[-1]
        assert [t.method for t in report.multivariate] == ["mmd", "model_output"]
        assert [c.column for c in outputs.columns] == [
            "predicted class",
            "proba[0]",
            "proba[1]",
            "proba[2]",
        ]
        hits += outputs.drift_detected
        assert report.drift_detected or not outputs.drift_detected
    assert hits >= 9, f"the model's outputs saw the knock-out on {hits}/10 seeds"


def test_model_of_a_dataframe_pipeline_joins_any_method() -> None:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(3)
    train = _mixed(rng, 300)
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["c"]), remainder="passthrough"
        ),
        LogisticRegression(),
    ).fit(train, train["a"] > 0)
    report = drift(_mixed(rng, 200), _mixed(rng, 200, shift=1.5), model=model, method="ks")
    assert [t.method for t in report.multivariate] == ["model_output"]
    assert report.multivariate[0].drift_detected
    assert [c.column for c in report.multivariate[0].columns] == ["predicted class", "proba[True]"]


def test_a_model_that_cannot_answer_says_what_to_do() -> None:
    ref = _mixed(np.random.default_rng(0), 50)
    with pytest.raises(InputError, match="predict_proba"):
        drift(ref, ref, model=object())

    class Broken:
        def predict(self, X: object) -> np.ndarray:
            raise ValueError("no such column 'income'")

    with pytest.raises(InputError, match="could not score"):
        drift(ref, ref, model=Broken())


def test_report_carries_and_renders_the_multivariate_results() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    x, y = _clusters(rng, 300)
    ref, _ = _clusters(rng, 200)
    cur, _ = _clusters(rng, 200, knockout=1.0)
    report = drift(ref, cur, model=LogisticRegression().fit(x, y))
    d = report.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert [m["method"] for m in d["multivariate"]] == ["mmd", "model_output"]
    assert {"p_value", "drift_detected", "alpha", "score", "columns"} <= set(d["multivariate"][0])
    assert d["multivariate"][1]["columns"][1]["column"] == "proba[0]"
    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(report)
    text = out.getvalue()
    flat = " ".join(text.split())
    assert (
        "Taken as whole rows, the data can be told apart from the reference (kernel test MMD"
        in flat
    )
    # A class knocked out: the mix of predicted classes is what moved.
    assert "The mix of classes the model predicts moved away from its mix on the reference" in flat


def test_profiles_without_row_samples_fall_back_to_columns() -> None:
    rng = np.random.default_rng(2)
    ref = Profile.build(_mixed(rng, 500), reservoir_size=0)
    tilted = _mixed(rng, 500).assign(c=rng.choice(["x", "y", "z"], 500, p=[0.2, 0.3, 0.5]))
    cur = Profile.build(tilted, reference=ref, reservoir_size=0)
    report = drift(ref, cur)
    assert report.multivariate == []
    # Numbers are tested on the row samples, absent here; categories on every row's counts.
    assert report.drifted_columns == ["c"]


def test_multivariate_part_reads_profiles_like_frames() -> None:
    rng = np.random.default_rng(4)
    ref, cur = _mixed(rng, 1500), _mixed(rng, 1500, shift=0.2)
    ref_profile = Profile.build(ref)
    from_frames = drift(ref, cur).to_dict()
    assert from_frames == drift(ref_profile, Profile.build(cur, reference=ref_profile)).to_dict()
    assert from_frames["multivariate"][0]["n_reference"] == 1000  # capped by the reservoir


@pytest.mark.parametrize(
    ("p_values", "levels"),
    [
        ([0.01, 0.04], [0.025, 0.05]),
        ([0.04, 0.01], [0.05, 0.025]),
        ([0.03, 0.04], [0.025, 0.025]),
        ([0.001, 0.02, 0.3], [0.05 / 3, 0.025, 0.05]),
        ([0.5], [0.05]),
    ],
)
def test_holm_levels(p_values: list[float], levels: list[float]) -> None:
    assert holm_levels(p_values, 0.05) == pytest.approx(levels)


def _column_result(p_adjusted: float) -> DriftResult:
    column = ColumnDrift(
        column="x",
        kind="numeric",
        method="wasserstein",
        statistic=0.5,
        p_value=p_adjusted,
        p_value_adjusted=p_adjusted,
        effect="wasserstein_normed",
        effect_size=0.5,
        threshold=0.1,
        drifted=p_adjusted <= ALPHA,
    )
    return DriftResult("auto", column.drifted, p_adjusted, 1.0, ALPHA, "bh", 100, 100, [column])


def _kernel_result(p_value: float) -> DriftResult:
    return DriftResult("mmd", p_value <= ALPHA, p_value, 0.1, ALPHA, "none", 100, 100)


def test_holm_judges_each_family_at_its_step() -> None:
    # A column at p = 0.04 drifts alone at 0.05; beside an unconvinced kernel test it
    # is judged at 0.025 and waits; once the kernel test rejects, it gets 0.05 again.
    alone = DriftReport.from_results(_column_result(0.04))
    assert alone.drifted_columns == ["x"]
    waiting = DriftReport.from_results(_column_result(0.04), [_kernel_result(0.5)])
    assert waiting.drifted_columns == []
    assert not waiting.drift_detected
    assert waiting.multivariate[0].alpha == pytest.approx(0.025)
    both = DriftReport.from_results(_column_result(0.04), [_kernel_result(0.01)])
    assert both.drifted_columns == ["x"]
    assert both.multivariate[0].drift_detected
    assert both.p_value == pytest.approx(0.02)
    kernel_only = DriftReport.from_results(_column_result(0.3), [_kernel_result(0.03)])
    assert not kernel_only.drift_detected  # 0.03 > 0.05 / 2
    assert kernel_only.p_value == pytest.approx(0.06)


def test_report_alpha_is_the_callers_whatever_level_the_columns_got() -> None:
    rng = np.random.default_rng(6)
    report = drift(_mixed(rng, 100), _mixed(rng, 100), alpha=0.1)
    assert report.alpha == 0.1
    assert report.multivariate[0].alpha in (0.05, 0.1)


def test_category_codes_of_the_kernel_test_are_numpys_unique() -> None:
    from driftline.drift._multivariate import _label_codes

    rng = np.random.default_rng(3)
    values = np.array(rng.choice(["b", "a", "é", "a b", "10", "9"], 500), dtype=object)
    values[rng.random(500) < 0.1] = None
    labels = np.array(["\0missing" if v is None else v for v in values], dtype=object)
    _, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
    ours, our_counts = _label_codes(values)
    np.testing.assert_array_equal(ours, codes)
    np.testing.assert_array_equal(our_counts, counts)


def test_the_kernel_tests_relabelings_are_uniform_subsets() -> None:
    from driftline.drift._multivariate import _mmd_permutation

    # Two rows apart from the rest: the statistic is largest when both are on one side,
    # which a uniform relabeling does with probability n(n-1)/(N(N-1)) + m(m-1)/(N(N-1)).
    z = np.zeros((12, 1))
    z[:2, 0] = 10.0
    _, p_value, _ = _mmd_permutation(z, 6, n_permutations=4000, seed=1)
    same_side = 2 * (6 * 5) / (12 * 11)
    assert abs(p_value - same_side) < 0.03
