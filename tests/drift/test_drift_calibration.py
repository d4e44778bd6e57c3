"""The tests of the tests: false alarms at the nominal level, power, and big-data sanity.

Profiles are built once per seed and shared by every detector (detectors
accept profiles), so 200 seeds of every detector take a few seconds.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats as sps

from driftline.drift import METHODS, ColumnDetector
from driftline.stats import Profile

ALPHA = 0.05
SEEDS = 200
N = 200
NUMERIC = ["x0", "x1", "x2", "x3"]
P_CATEGORY = np.array([0.4, 0.3, 0.2, 0.1])
NAMES = sorted(METHODS)


def _table(rng: np.random.Generator, n: int, shift: float = 0.0, tilt: float = 0.0) -> pa.Table:
    """Four normal columns (x0 shifted by ``shift`` sd) and a category tilted toward 'd'."""
    columns = {name: rng.normal(size=n) for name in NUMERIC}
    columns["x0"] = columns["x0"] + shift
    p = (1 - tilt) * P_CATEGORY + tilt * np.array([0.1, 0.2, 0.3, 0.4])
    codes = rng.choice(4, size=n, p=p).astype(np.int32)
    columns["c"] = pa.DictionaryArray.from_arrays(codes, ["a", "b", "c", "d"])
    return pa.table(columns)


@functools.cache
def _pair(seed: int, n: int = N, shift: float = 0.0, tilt: float = 0.0) -> tuple[Profile, Profile]:
    # Cached: every detector reads the same profiles, which are never modified.
    rng = np.random.default_rng(seed)
    ref = Profile.build(_table(rng, n))
    return ref, Profile.build(_table(rng, n, shift, tilt), reference=ref)


@pytest.fixture(scope="module")
def null_pairs() -> list[tuple[Profile, Profile]]:
    return [_pair(seed) for seed in range(SEEDS)]


def _band(trials: int, level: float = ALPHA) -> tuple[float, float]:
    """The range a rate of ``level`` stays in with probability 0.999 over ``trials``."""
    low, high = sps.binom.interval(0.999, trials, level)
    return low / trials, high / trials


@pytest.mark.parametrize("name", NAMES)
def test_p_values_hold_their_level_on_identical_distributions(
    name: str, null_pairs: list[tuple[Profile, Profile]]
) -> None:
    p_values = []
    for ref, cur in null_pairs:
        result = METHODS[name]().fit(ref).test(cur)
        p_values += [c.p_value for c in result.columns]
    rate = float(np.mean(np.array(p_values) <= ALPHA))
    low, high = _band(len(p_values))
    assert low <= rate <= high, f"{name}: {rate:.3f} of p-values <= {ALPHA}, band {low}-{high}"


@pytest.mark.parametrize("name", NAMES)
def test_false_alarm_rate_stays_within_the_nominal_band(
    name: str, null_pairs: list[tuple[Profile, Profile]]
) -> None:
    # Without the floor, BH over independent null columns alarms at exactly alpha (Simes);
    # the floor can only lower that.
    bare = [METHODS[name](threshold=0.0).fit(r).test(c).drift_detected for r, c in null_pairs]
    default = [METHODS[name]().fit(r).test(c).drift_detected for r, c in null_pairs]
    low, high = _band(SEEDS)
    assert low <= np.mean(bare) <= high, f"{name} without floor: {np.mean(bare):.3f}"
    assert np.mean(default) <= high, f"{name} at defaults: {np.mean(default):.3f}"
    assert np.mean(default) <= np.mean(bare)


def _power(detector: ColumnDetector, column: str, shift: float, tilt: float) -> float:
    drifted = 0
    for seed in range(40):
        ref, cur = _pair(10_000 + seed, shift=shift, tilt=tilt)
        result = detector.fit(ref).test(cur)
        drifted += column in result.drifted_columns
    return drifted / 40


@pytest.mark.parametrize("name", NAMES)
def test_power_rises_with_the_shift(name: str) -> None:
    detector = METHODS[name]()
    shifts = [0.0, 0.3, 0.6, 1.2]
    power = [_power(detector, "x0", shift, 0.0) for shift in shifts]
    assert power == sorted(power), f"{name}: power {power} does not rise with the shift"
    assert power[0] <= 0.15
    assert power[-1] >= 0.95
    if "categorical" in detector.kinds:
        tilts = [0.0, 0.25, 0.5, 1.0]
        power = [_power(detector, "c", 0.0, tilt) for tilt in tilts]
        assert power == sorted(power), f"{name}: power {power} does not rise with the tilt"
        assert power[-1] >= 0.95


MILLION = 1_000_000


@pytest.fixture(scope="module")
def million() -> dict[str, Profile]:
    rng = np.random.default_rng(42)

    def table(shift: float, p_b: float) -> pa.Table:
        codes = (rng.random(MILLION) < p_b).astype(np.int32)
        return pa.table(
            {
                "x": rng.normal(shift, 1.0, MILLION),
                "c": pa.DictionaryArray.from_arrays(codes, ["a", "b"]),
            }
        )

    ref = Profile.build(table(0.0, 0.5))
    return {
        "ref": ref,
        "negligible": Profile.build(table(0.01, 0.505), reference=ref),
        "real": Profile.build(table(0.5, 0.7), reference=ref),
    }


@pytest.mark.parametrize("name", NAMES)
def test_a_million_rows_ignore_a_negligible_shift_but_not_a_real_one(
    name: str, million: dict[str, Profile]
) -> None:
    detector = METHODS[name]().fit(million["ref"])
    negligible = detector.test(million["negligible"])
    real = detector.test(million["real"])
    assert not negligible.drift_detected, negligible.to_dict()
    assert real.drift_detected
    assert set(real.drifted_columns) == set(detector.columns_)


def test_on_a_million_rows_the_floor_not_the_p_value_stops_the_alarm(
    million: dict[str, Profile],
) -> None:
    # The counts-based test sees every row, so a 0.5-point move in a share is "significant".
    result = METHODS["chi2"]().fit(million["ref"]).test(million["negligible"])
    c = next(col for col in result.columns if col.column == "c")
    assert c.p_value_adjusted < 1e-6
    assert c.effect_size < 0.01
    assert not c.drifted
