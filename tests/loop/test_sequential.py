"""The mixture SPRT holds its error rate however often it looks, and finds real harm."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftline.loop import compare, proportion
from driftline.loop._sequential import Arm, arm

LOOKS = 60
SEEDS = 400


def _peek(rng: np.random.Generator, p_champion: float, p_canary: float) -> tuple[bool, bool, int]:
    """One simulated step: 5% canary traffic, a look every 2,000 requests.

    Returns whether the mSPRT and a naive z-test (p < 0.05 at any look) flagged harm,
    and the look at which the mSPRT did.
    """
    a = b = na = nb = 0
    naive = False
    for look in range(1, LOOKS + 1):
        a += rng.binomial(1900, p_champion)
        b += rng.binomial(100, p_canary)
        na, nb = na + 1900, nb + 100
        evidence = compare(proportion(a, na), proportion(b, nb), margin=0.0, tau=0.02, alpha=0.05)
        pa, pb = a / na, b / nb
        se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb) or 1e-12
        naive = naive or (pb - pa) / se > 1.645
        if evidence.worse:
            return True, True, look
    return False, naive, LOOKS


@pytest.mark.slow  # about 3 s
def test_identical_versions_are_flagged_at_most_alpha_of_the_time_despite_60_looks() -> None:
    rng = np.random.default_rng(3)
    runs = [_peek(rng, 0.02, 0.02) for _ in range(SEEDS)]
    flagged = sum(r[0] for r in runs) / SEEDS
    naive = sum(r[1] and not r[0] for r in runs) / SEEDS
    # Ville's inequality bounds the rate by 5%; +2 binomial sd for the sampling noise of 400 runs.
    assert flagged <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / SEEDS), flagged
    # Checking a fixed-sample test at every look, as a dashboard threshold does, is not valid:
    # the same traffic raises a false alarm far more often than its nominal 5%.
    assert naive > 0.15, naive


@pytest.mark.slow  # about 2 s
def test_a_canary_failing_two_points_more_is_caught_in_most_steps() -> None:
    rng = np.random.default_rng(4)
    runs = [_peek(rng, 0.01, 0.03) for _ in range(200)]
    caught = [look for hit, _, look in runs if hit]
    assert len(caught) / 200 >= 0.9
    # It needs evidence, not luck: rarely at the first look (100 canary requests).
    assert np.median(caught) > 1


def test_the_interval_holds_the_true_difference_at_every_look() -> None:
    rng = np.random.default_rng(5)
    misses = 0
    for _ in range(200):
        xa, xb = rng.normal(10, 2, 3000), rng.normal(10.5, 2, 600)
        for n in range(50, 601, 50):
            e = compare(arm(xa[: 5 * n]), arm(xb[:n]), margin=0.0, tau=0.5, alpha=0.05)
            if not e.low <= 0.5 <= e.high:
                misses += 1
                break
    assert misses / 200 <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / 200)


def test_the_direction_of_harm_decides_what_counts_as_worse() -> None:
    champion, canary = (
        arm(np.full(500, 0.9) + np.linspace(-0.01, 0.01, 500)),
        arm(np.full(500, 0.7) + np.linspace(-0.01, 0.01, 500)),
    )
    assert compare(champion, canary, margin=0.02, tau=0.05, alpha=0.05, harm="lower").worse
    higher = compare(champion, canary, margin=0.02, tau=0.05, alpha=0.05, harm="higher")
    assert not higher.worse and higher.better and higher.p == 1.0
    assert compare(champion, canary, margin=0.02, tau=0.05, alpha=0.05, harm="either").worse


def test_a_drop_within_the_margin_is_not_worse() -> None:
    champion = proportion(9000, 10_000)
    canary = proportion(8950, 10_000)  # half a point lower, 2 points allowed
    e = compare(champion, canary, margin=0.02, tau=0.05, alpha=0.05, harm="lower")
    assert not e.worse and e.better
    assert e.low < -0.005 < e.high


def test_no_rows_on_a_side_decides_nothing() -> None:
    e = compare(Arm(0, math.nan, math.nan), proportion(3, 10), margin=0.0, tau=0.02, alpha=0.05)
    assert not e.worse and not e.better and e.p == 1.0
    assert e.to_dict()["difference"] is None


def test_zero_failures_on_a_few_rows_are_not_certainty() -> None:
    # 0 of 30 against 2 of 30: without the add-one variance the canary would look perfect.
    e = compare(proportion(0, 30), proportion(2, 30), margin=0.0, tau=0.02, alpha=0.05)
    assert not e.worse
    assert math.isfinite(e.low) and e.high - e.low > 0.05


@pytest.mark.parametrize(("tau", "alpha"), [(0.0, 0.05), (0.02, 0.0), (0.02, 1.0)])
def test_bad_parameters_are_refused(tau: float, alpha: float) -> None:
    with pytest.raises(ValueError, match="tau must be positive"):
        compare(proportion(1, 10), proportion(1, 10), margin=0, tau=tau, alpha=alpha)


def test_evidence_carried_from_step_to_step_is_the_steps_weighted_together() -> None:
    rng = np.random.default_rng(8)
    first = (arm(rng.normal(0.0, 1, 400)), arm(rng.normal(0.3, 1, 100)))
    second = (arm(rng.normal(0.0, 1, 300)), arm(rng.normal(0.3, 1, 300)))
    one = compare(*first, margin=0.0, tau=0.2, alpha=0.05)
    both = compare(*second, margin=0.0, tau=0.2, alpha=0.05, carried=one.carry)
    v1 = first[0].var / 400 + first[1].var / 100
    v2 = second[0].var / 300 + second[1].var / 300
    d1, d2 = first[1].mean - first[0].mean, second[1].mean - second[0].mean
    assert both.estimate == pytest.approx((d1 / v1 + d2 / v2) / (1 / v1 + 1 / v2))
    assert both.difference == pytest.approx(d2)  # this step's own difference, for the figures
    assert both.high - both.low < one.high - one.low  # more evidence, a narrower interval


@pytest.mark.slow  # about 3 s
def test_carrying_evidence_across_steps_keeps_the_level_and_finds_harm_no_step_shows() -> None:
    """Three steps of an identical canary stay under alpha; a small harm is found only combined."""

    def rollout(rng: np.random.Generator, p_canary: float) -> tuple[bool, bool]:
        carried = (0.0, 0.0)
        alone = False
        for share in (0.05, 0.25, 0.5):
            a = b = na = nb = 0
            for _ in range(20):
                nb_new = int(2000 * share)
                a += rng.binomial(2000 - nb_new, 0.02)
                b += rng.binomial(nb_new, p_canary)
                na, nb = na + 2000 - nb_new, nb + nb_new
                e = compare(
                    proportion(a, na),
                    proportion(b, nb),
                    margin=0,
                    tau=0.01,
                    alpha=0.05,
                    carried=carried,
                )
                alone = (
                    alone
                    or compare(
                        proportion(a, na), proportion(b, nb), margin=0, tau=0.01, alpha=0.05
                    ).worse
                )
                if e.worse:
                    return True, alone
            carried = e.carry
        return False, alone

    rng = np.random.default_rng(10)
    null = [rollout(rng, 0.02)[0] for _ in range(300)]
    assert sum(null) / 300 <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / 300)
    harm = [rollout(rng, 0.0245) for _ in range(150)]
    combined = sum(h for h, _ in harm) / 150
    within = sum(a for _, a in harm) / 150
    assert combined > within + 0.1, (combined, within)
