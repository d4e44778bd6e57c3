"""Our distribution tails against scipy.stats, which the drift tests no longer import."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftline.drift._model_shift import class_mix_test
from driftline.drift._statistics import chi_square, ks_test, wasserstein_distance
from driftline.drift._tails import chi2_sf, ks_2samp_p, norm_sf


@pytest.mark.parametrize(
    ("x", "dof"),
    [(0.001, 3), (0.5, 1), (3.84, 1), (10.0, 9), (30.0, 2), (100.0, 9), (500.0, 49), (7.0, 0.5)],
)
def test_chi2_sf_matches_scipy(x: float, dof: float) -> None:
    assert chi2_sf(x, dof) == pytest.approx(stats.chi2.sf(x, dof), rel=1e-10, abs=1e-300)


def test_norm_sf_matches_scipy() -> None:
    for z in (-3.0, 0.0, 0.5, 1.96, 6.0, 30.0):
        assert norm_sf(z) == pytest.approx(stats.norm.sf(z), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(("n", "m"), [(1000, 1000), (50, 50), (7, 7)])
def test_ks_is_scipys_exact_test_on_equal_samples(n: int, m: int) -> None:
    rng = np.random.default_rng(n)
    for shift in (0.0, 0.2, 0.6):
        a, b = rng.normal(size=n), rng.normal(shift, size=m)
        d, p = ks_test(a, b)
        expected = stats.ks_2samp(a, b, method="exact")
        assert d == pytest.approx(expected.statistic, abs=1e-12)
        assert p == pytest.approx(expected.pvalue, rel=1e-9)


@pytest.mark.parametrize(("n", "m"), [(100, 1000), (997, 1000), (30, 40)])
def test_ks_is_scipys_asymptotic_test_otherwise(n: int, m: int) -> None:
    rng = np.random.default_rng(m)
    for shift in (0.0, 0.3):
        a, b = rng.normal(size=n), rng.normal(shift, size=m)
        d, p = ks_test(a, b)
        expected = stats.ks_2samp(a, b, method="asymp")
        assert d == pytest.approx(expected.statistic, abs=1e-12)
        # Twice the one-sided tail: equal where it matters (small p), never below.
        tolerance = 0.01 * expected.pvalue if expected.pvalue < 0.2 else 0.03
        assert p == pytest.approx(expected.pvalue, abs=tolerance)
        assert p >= expected.pvalue * (1 - 1e-9)


def test_ks_with_ties_uses_the_conservative_tail() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 5, 300).astype(float), rng.integers(0, 6, 300).astype(float)
    _, p = ks_test(a, b)
    assert p == pytest.approx(stats.ks_2samp(a, b, method="asymp").pvalue, rel=0.01)
    assert ks_2samp_p(0.0, 10, 10, ties=False) == 1.0


def test_wasserstein_and_chi_square_match_scipy() -> None:
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=500), rng.lognormal(size=700)
    assert wasserstein_distance(a, b) == pytest.approx(stats.wasserstein_distance(a, b))
    r, c = np.array([10, 20, 30, 0, 5]), np.array([12, 25, 20, 0, 9])
    table = np.vstack([r, c])[:, [0, 1, 2, 4]]
    expected = stats.chi2_contingency(table, correction=False)
    assert chi_square(r, c) == pytest.approx((expected.statistic, expected.pvalue))


def test_class_mix_p_value_is_uniform_under_no_shift() -> None:
    # Exact at small counts, where the chi-square approximation is not: 40 rows, 6 classes.
    rng = np.random.default_rng(0)
    p = np.array([0.4, 0.3, 0.15, 0.1, 0.04, 0.01])
    p_values = []
    for seed in range(400):
        ref = np.bincount(rng.choice(6, 1000, p=p), minlength=6)
        cur = np.bincount(rng.choice(6, 40, p=p), minlength=6)
        p_values.append(class_mix_test(ref, cur, seed=seed, draws=200)[1])
    rejected = np.mean(np.array(p_values) <= 0.05)
    assert 0.02 <= rejected <= 0.08, rejected
    gone = np.bincount(rng.choice([2, 3, 4], 40), minlength=6)  # the two commonest gone
    assert class_mix_test(ref, gone, seed=1, draws=200)[1] <= 1 / 201 + 1e-12
