"""The guard's parts: policy checks, token buckets, hardened answers, the sweep watch, sentences."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.errors import ConfigError
from driftline.guard import GuardPolicy, RateLimiter, SweepWatch, harden, typical_distance
from driftline.guard._words import limited_sentence, sweep_sentence, unlike_sentence
from driftline.registry import Prediction


def test_policy_refuses_bad_settings_and_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for bad, words in (
        ({"mode": "block"}, "guard must be one of off, log, flag, reject, got 'block'"),
        ({"threshold": 0}, "guard threshold must be a positive number"),
        ({"round": -1}, "round must be a whole number from 0, got -1"),
        ({"top_k": 0}, "top_k must be a whole number from 1, got 0"),
        ({"address_rate": float("inf")}, "address_rate must be a positive number"),
        ({"burst": 0}, "burst must be a whole number from 1"),
    ):
        with pytest.raises(ConfigError, match=words):
            GuardPolicy(**bad)
    policy = GuardPolicy(mode="flag", threshold=2.0, top_k=2, token_rate=5)
    assert GuardPolicy.from_dict(policy.to_dict()) == policy
    with pytest.raises(ConfigError, match="unknown guard setting"):
        GuardPolicy.from_dict({"mode": "flag", "rate": 3})
    toml = tmp_path / "policy.toml"
    toml.write_text('[guard]\nmode = "reject"\nlabels_only = true\n')
    assert GuardPolicy.from_policy(toml) == GuardPolicy(mode="reject", labels_only=True)
    toml.write_text('[guard]\nmode = "deny"\n')
    with pytest.raises(ConfigError, match=r"policy.toml: \[guard\]: guard must be one of"):
        GuardPolicy.from_policy(toml)
    assert GuardPolicy(mode="flag", labels_only=True, token_rate=5).describe() == (
        "inputs unlike training are marked in the answer and in the log; "
        "answers carry labels only; at most 5 inputs a second per token"
    )


def test_token_bucket_allows_a_burst_then_the_rate_and_says_how_long_to_wait() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.take("t") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("t") == pytest.approx(0.5)  # one input refills in half a second
    assert limiter.take("other") == 0.0  # each key its own bucket
    now[0] = 0.5
    assert limiter.take("t") == 0.0
    assert limiter.take("t", 2) == pytest.approx(1.0)
    now[0] = 100.0
    assert limiter.take("t", 3) == 0.0  # refilled to the burst, never beyond
    assert limiter.take("t") > 0


def test_harden_rounds_keeps_top_k_or_drops_probabilities() -> None:
    probs = np.array([[0.123, 0.654, 0.223], [0.5, 0.25, 0.25]])
    full = Prediction(np.array([1, 0]), probs)
    assert harden(full, GuardPolicy()) is full
    assert harden(full, GuardPolicy(labels_only=True)).probabilities is None
    rounded = harden(full, GuardPolicy(round=1)).probabilities
    np.testing.assert_array_equal(rounded, [[0.1, 0.7, 0.2], [0.5, 0.2, 0.2]])
    top = harden(full, GuardPolicy(top_k=1, round=2)).probabilities
    np.testing.assert_array_equal(top, [[0, 0.65, 0], [0.5, 0, 0]])
    np.testing.assert_array_equal(harden(full, GuardPolicy(top_k=1)).labels, [1, 0])


def test_sweep_watch_finds_grids_and_near_duplicates_but_not_ordinary_traffic() -> None:
    rng = np.random.default_rng(0)
    watch = SweepWatch(window=100, near_distance=0.05)
    for _ in range(10):
        rows = rng.normal(size=(30, 4))
        assert watch.observe("customer", rows, rows) is None
    grid = np.zeros((100, 4))
    grid[:, 0] = np.repeat(np.linspace(-1, 1, 10), 10)
    grid[:, 1] = np.tile(np.linspace(-1, 1, 10), 10)
    found = watch.observe("scraper", grid, None)
    assert found is not None and found.single_change >= 90 and found.distinct <= 10
    assert watch.observe("scraper", grid, None) is None  # found once
    point = rng.normal(size=4)
    nudged = point + rng.normal(scale=0.001, size=(100, 4))
    near = watch.observe("prober", nudged, nudged)
    assert near is not None and near.near_duplicates == 100 and near.value == 1.0


def test_sentences_carry_their_numbers_and_what_to_do() -> None:
    assert unlike_sentence("churn", [2], [3.14159], 3) == (
        "1 input of 3 sent to churn is unlike anything in its training data (row 2 at 3.14 "
        "times as far from the nearest training rows as the line that 1 in 100 training-like "
        "inputs cross); check those values, or send inputs like the ones the model was "
        "trained on"
    )
    many = unlike_sentence("churn", list(range(7)), [2.0] * 7, 10)
    assert many.startswith("7 inputs of 10 sent to churn are unlike") and "and 2 more" in many
    assert limited_sentence("token 'a'", 5, 0.4) == (
        "too many inputs from token 'a': the limit is 5 a second; retry in 0.4 s"
    )
    assert sweep_sentence("churn", "token 'scraper'", 200, 180, 0, 4.0) == (
        "token 'scraper' sent 200 inputs to churn in a pattern that looks like a systematic "
        "sweep: 180 inputs (90%) differ from the one before in a single column; its columns "
        "hold a median of 4 distinct values; this is how a model is copied or probed: check "
        "who holds it, and revoke it (driftline token revoke ID) or lower its rate limit"
    )


def test_exact_repeats_are_not_near_duplicates_and_do_not_hide_real_ones() -> None:
    rng = np.random.default_rng(1)
    watch = SweepWatch(window=100, near_distance=0.05)
    customers = rng.normal(size=(20, 4))  # a service scoring its own 20 customers, again
    again = customers[rng.permutation(np.tile(np.arange(20), 5))]
    assert watch.observe("rescoring", again, again) is None
    nudged = again + rng.normal(scale=0.001, size=again.shape)  # each nudged a little
    found = watch.observe("prober", nudged, nudged)
    assert found is not None and found.near_duplicates == 100
    # The training rows' typical distance is between different rows: repeats are skipped.
    reference = np.repeat(np.arange(50, dtype=float)[:, None], 3, axis=0)
    assert typical_distance(reference) == 1.0
