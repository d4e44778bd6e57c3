"""A shift onto values the reference never took is found, on columns of thousands of values.

Before known values, such a shift only grew ``other``: on a 5,000-value
column, 8% of rows on new values moved the Jensen-Shannon distance of the
categories plus other to about 0.04, under half the floor.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from driftline.drift import ChiSquareDetector, drift
from driftline.drift._statistics import chi_square, jensen_shannon_distance, new_value_test
from driftline.stats import Profile

K = 5000
WEIGHTS = 1.0 / np.arange(1, K + 1)  # Zipf: a few common values, a long tail
WEIGHTS /= WEIGHTS.sum()
LABELS = np.array([f"sku_{i:05d}" for i in range(2 * K)], dtype=object)
FIXTURES = Path(__file__).parent.parent / "fixtures"


def _table(seed: int, n: int, new: float = 0.0) -> pd.DataFrame:
    """``n`` rows of the Zipf column; a share ``new`` of them on values outside its 5,000."""
    rng = np.random.default_rng(seed)
    codes = rng.choice(K, n, p=WEIGHTS)
    moved = rng.random(n) < new
    codes[moved] = K + rng.integers(0, K, int(moved.sum()))
    return pd.DataFrame({"sku": LABELS[codes], "amount": rng.lognormal(3.0, 1.0, n)})


@pytest.fixture(scope="module")
def reference() -> Profile:
    return Profile.build(_table(0, 100_000))


def _format_1(profile: Profile) -> Profile:
    """The profile as driftline 0.1.0 saved it: no known values."""
    d = json.loads(json.dumps(profile.to_dict()))
    columns = [{k: v for k, v in c.items() if k not in ("known", "unseen")} for c in d["columns"]]
    return Profile.from_dict(d | {"format": 1, "columns": columns})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_eight_percent_on_never_seen_values_is_flagged(reference: Profile, seed: int) -> None:
    current = _table(seed, 20_000, new=0.08)
    report = drift(reference, current)
    assert report.drifted_columns == ["sku"]
    # Categories plus other alone stay under the floor: the gap this closes.
    cur = Profile.build(current, reference=reference)
    assert (
        jensen_shannon_distance(reference.columns["sku"].counts(), cur.columns["sku"].counts())
        < 0.1
    )
    for method in ("chi2", "psi", "jensen_shannon"):
        assert drift(reference, cur, method=method).drifted_columns == ["sku"], method


def test_a_fresh_sample_of_the_reference_is_not_flagged(reference: Profile) -> None:
    detector = ChiSquareDetector().fit(reference)
    for seed in range(100, 120):
        result = detector.test(_table(seed, 20_000))
        assert result.drifted_columns == [], seed
        (sku,) = [c for c in result.columns if c.column == "sku"]
        assert sku.effect_size < 0.05


def test_no_new_false_alarms_on_small_long_tailed_samples() -> None:
    # 2,000 rows of a 5,000-value column: a fifth of the rows hold a value seen once, and
    # a fresh sample brings as many new ones. Compared with a reference that knows nothing
    # of its values (format 1), knowing them must not add alarms.
    alarms = {"known": 0, "format 1": 0}
    for seed in range(40):
        ref = Profile.build(_table(1000 + seed, 2000), reservoir_size=0)
        cur = _table(2000 + seed, 2000)
        for label, profile in (("known", ref), ("format 1", _format_1(ref))):
            alarms[label] += (
                ChiSquareDetector(reservoir_size=0).fit(profile).test(cur).drift_detected
            )
    assert alarms["known"] <= alarms["format 1"] <= 6, alarms


def _new_value_counts(rng: np.random.Generator, n: int, m: int, new: float) -> tuple[int, ...]:
    reference = np.bincount(rng.choice(K, n, p=WEIGHTS), minlength=K)
    current = rng.choice(K, m, p=WEIGHTS)
    unseen = int(np.count_nonzero(reference[current] == 0)) + rng.binomial(m, new)
    return n, int((reference == 1).sum()), int((reference == 2).sum()), m, unseen


# A plain 2 x 2 chi-square on the same counts rejected 48 of 400 at 20,000 rows a side.
@pytest.mark.parametrize(("n", "m"), [(500, 500), (5000, 5000), (20_000, 2000), (20_000, 20_000)])
def test_new_value_test_keeps_its_level(n: int, m: int) -> None:
    rng = np.random.default_rng(n + m)
    trials = 400
    rejected = sum(
        new_value_test(*_new_value_counts(rng, n, m, 0.0))[1] <= 0.05 for _ in range(trials)
    )
    # Within the 99.9% binomial band of the nominal 5%.
    assert rejected <= sps.binom.ppf(0.999, trials, 0.05), rejected


def test_new_value_test_power_rises_with_the_share_of_new_values() -> None:
    rng = np.random.default_rng(7)
    power = [
        np.mean(
            [
                new_value_test(*_new_value_counts(rng, 20_000, 5000, new))[1] <= 0.05
                for _ in range(100)
            ]
        )
        for new in (0.005, 0.01, 0.03)
    ]
    assert power[0] < power[1] < power[2] and power[2] >= 0.99, power


def test_a_format_1_reference_compares_as_before(reference: Profile) -> None:
    old = _format_1(reference)
    current = Profile.build(_table(4, 20_000, new=0.08), reference=old)
    assert current.columns["sku"].known is None
    (sku,) = [c for c in ChiSquareDetector().fit(old).test(current).columns if c.column == "sku"]
    ref_counts, cur_counts = old.columns["sku"].counts(), current.columns["sku"].counts()
    assert sku.p_value == chi_square(ref_counts, cur_counts)[1]
    assert sku.effect_size == jensen_shannon_distance(ref_counts, cur_counts)
    assert not sku.drifted  # the gap stays for references saved before format 2


def test_the_profile_saved_by_driftline_0_1_0_still_compares() -> None:
    blobs = (FIXTURES / "workspace-0.1.0" / "artifacts").rglob("*")
    saved = [p for p in blobs if p.is_file() and p.read_bytes().startswith(b'{"format":1')]
    assert saved, "the 0.1.0 workspace fixture holds a saved profile"
    profile = Profile.from_dict(json.loads(saved[0].read_bytes()))
    current = pd.DataFrame({"x": [0.2, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.2], "y": [0, 1] * 4})
    report = drift(profile, current)
    assert [c.column for c in report.columns] == ["x", "y"]
    assert not report.drift_detected
