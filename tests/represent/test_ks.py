"""ks_test: Bonferroni keeps the level; it sees marginal shifts, not rotations."""

import itertools

import numpy as np
import pytest

from driftline.represent import ks_test

ALPHA = 0.05


def _ks(x, y, random_state=None):
    return ks_test(x, y, alpha=ALPHA)


def test_false_alarm_rate_is_at_most_alpha(rate, binomial_band):
    # Bonferroni guarantees at most alpha; with 5 independent dimensions it is
    # close to alpha, so the rate must also not collapse to zero.
    seeds = 400
    observed = rate(_ks, lambda rng: (rng.normal(size=(80, 5)), rng.normal(size=(80, 5))), seeds)
    _lo, hi = binomial_band(seeds, ALPHA)
    assert observed <= hi, f"false-alarm rate {observed} above {hi}"
    assert observed >= binomial_band(seeds, 0.02)[0], observed


def test_power_rises_with_a_mean_shift(rate):
    power = [
        rate(_ks, lambda rng, s=s: (rng.normal(size=(100, 4)), rng.normal(size=(100, 4)) + s), 40)
        for s in (0.0, 0.2, 0.4, 0.8)
    ]
    assert power == sorted(power) or all(b >= a - 0.1 for a, b in itertools.pairwise(power))
    assert power[0] <= 0.15 and power[-1] >= 0.95, power


def test_marginal_tests_miss_a_correlation_flip(rate, shifts):
    # The reason for multivariate tests: rotating by 90 degrees keeps every marginal.
    power = rate(
        _ks, lambda rng: (shifts.rotation(rng, 200, 0.0), shifts.rotation(rng, 200, np.pi / 2)), 30
    )
    assert power <= 0.2


def test_details_name_the_dimension_that_moved():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    y[:, 2] += 1.0
    result = ks_test(x, y)
    assert result.drifted
    assert result.details["dimension"] == 2
    assert result.p_value == pytest.approx(min(1.0, 3 * min(result.details["p_values"])))
    assert len(result.to_dict()["details"]["statistics"]) == 3
