"""mmd_test: exact level, power rising with shift size, the vectorized statistic."""

import itertools

import numpy as np
import pytest

from driftline.errors import InputError
from driftline.represent import mmd_test

ALPHA = 0.05


def _mmd(x, y, **kw):
    return mmd_test(x, y, alpha=ALPHA, n_permutations=199, **kw)


@pytest.mark.slow
def test_false_alarm_rate_is_alpha_on_identical_distributions(rate, binomial_band):
    # 1000 seeds, 60 rows a side (~2 s): a permutation test is exact, so the
    # rate is alpha up to binomial noise.
    seeds = 1000
    observed = rate(_mmd, lambda rng: (rng.normal(size=(60, 3)), rng.normal(size=(60, 3))), seeds)
    lo, hi = binomial_band(seeds, ALPHA)
    assert lo <= observed <= hi, f"false-alarm rate {observed} outside [{lo}, {hi}]"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "levels"),
    [("noise", [0.0, 0.5, 1.0, 2.0]), ("rotation", [0.0, np.pi / 12, np.pi / 6, np.pi / 2])],
)
def test_power_rises_with_shift_size(rate, shifts, kind, levels):
    make = getattr(shifts, kind)
    power = [
        rate(_mmd, lambda rng, lv=lv: (make(rng, 100, 0.0), make(rng, 100, lv)), 40)
        for lv in levels
    ]
    assert power[0] <= 0.15, power
    # Monotone up to the noise of 40 seeds, and certain at the largest shift.
    assert all(b >= a - 0.1 for a, b in itertools.pairwise(power)), power
    assert power[-1] >= 0.9, power


def test_power_rises_with_class_knockout(rate, shifts):
    power = [
        rate(
            _mmd,
            lambda rng, k=k: (shifts.mixture(rng, 150, 0.0)[0], shifts.mixture(rng, 150, k)[0]),
            30,
        )
        for k in (0.0, 0.5, 1.0)
    ]
    assert power[0] <= 0.2 and power[1] >= power[0] and power[2] >= 0.8, power


def test_statistic_is_the_biased_mmd_squared():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 2)), rng.normal(0.5, 1, size=(25, 2))
    result = mmd_test(x, y, bandwidth=1.3, n_permutations=10, random_state=0)

    def k(a, b):
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * 1.3**2))

    expected = k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean()
    assert result.statistic == pytest.approx(expected)
    assert result.details["bandwidth"] == pytest.approx(1.3)


def test_seeded_results_repeat_and_large_inputs_are_capped():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(500, 2)), rng.normal(size=(400, 2))
    first = mmd_test(x, y, max_samples=100, random_state=5)
    assert first.to_dict() == mmd_test(x, y, max_samples=100, random_state=5).to_dict()
    assert first.n_reference == first.n_current == 100


def test_identical_samples_give_p_value_one():
    x = np.random.default_rng(2).normal(size=(30, 2))
    result = mmd_test(x, x, n_permutations=99, random_state=0)
    assert result.p_value == pytest.approx(1.0, abs=0.05)
    assert not result.drifted


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 1.5}, "alpha must be a number strictly between 0 and 1"),
        ({"n_permutations": 0}, "n_permutations must be at least 1"),
        ({"bandwidth": -1.0}, "bandwidth must be positive"),
    ],
)
def test_parameter_errors(kwargs, message):
    x = np.zeros((5, 2)) + np.arange(5)[:, None]
    with pytest.raises(InputError, match=message):
        mmd_test(x, x, **kwargs)


def test_input_errors():
    with pytest.raises(InputError, match="same number of columns, got 2 and 3"):
        mmd_test(np.ones((5, 2)), np.ones((5, 3)))
    with pytest.raises(InputError, match="NaN or inf in row 1"):
        mmd_test(np.array([[1.0], [np.nan]]), np.ones((5, 1)))
