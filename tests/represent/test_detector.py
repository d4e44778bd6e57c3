"""RepresentationDetector: contract, level, power, and why the reference is split."""

import itertools

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from driftline.errors import InputError
from driftline.represent import (
    ModelOutputEncoder,
    PCAEncoder,
    RepresentationDetector,
    mmd_test,
)
from driftline.represent.checks import check_detector

ALPHA = 0.05


@pytest.mark.parametrize("method", ["mmd", "ks", "classifier"])
def test_conforms_on_a_mixed_frame(mixed_frame, method):
    detector = RepresentationDetector(
        encoder=PCAEncoder(n_components=3), method=method, n_permutations=99, random_state=0
    )
    check_detector(detector, mixed_frame.iloc[:200], mixed_frame.iloc[200:])


def test_conforms_with_model_outputs(shifts):
    rng = np.random.default_rng(0)
    X, y = shifts.mixture(rng, 300, 0.0)
    encoder = ModelOutputEncoder(LogisticRegression().fit(X, y))
    check_detector(RepresentationDetector(encoder=encoder, method="ks", random_state=0), X, X[:50])
    # A trained model learns nothing from the reference: every row is kept.
    detector = RepresentationDetector(encoder=encoder, method="ks", random_state=0).fit(X)
    assert detector.n_reference_ == 300


def _pca_detector(method: str, **kw) -> RepresentationDetector:
    return RepresentationDetector(
        encoder=PCAEncoder(n_components=3), method=method, n_permutations=199, **kw
    )


@pytest.mark.slow
@pytest.mark.parametrize("method", ["mmd", "ks"])
def test_false_alarm_rate_is_alpha_on_identical_distributions(rate, binomial_band, method):
    # 200 seeds; the encoder is refitted each time (PCA on 60 rows of 20 dims).
    def run(reference, current, random_state):
        return _pca_detector(method, random_state=random_state).fit(reference).test(current)

    seeds = 200
    observed = rate(run, lambda rng: (rng.normal(size=(120, 20)), rng.normal(size=(60, 20))), seeds)
    lo, hi = binomial_band(seeds, ALPHA)
    assert observed <= hi, f"{method} false-alarm rate {observed} above {hi}"
    if method == "mmd":  # exact permutation test; KS-Bonferroni may sit below alpha
        assert observed >= lo, f"mmd false-alarm rate {observed} below {lo}"


@pytest.mark.slow
def test_testing_on_the_encoders_own_training_rows_would_be_biased(rate, binomial_band):
    # The same setting without the split: PCA fitted on the very rows used as
    # reference overstates their spread, so identical data looks drifted.
    def biased(reference, current, random_state):
        encoder = PCAEncoder(n_components=3).fit(reference[:60])
        return mmd_test(
            encoder.transform(reference[:60]),
            encoder.transform(current),
            n_permutations=199,
            random_state=random_state,
        )

    observed = rate(
        biased, lambda rng: (rng.normal(size=(120, 20)), rng.normal(size=(60, 20))), 100
    )
    assert observed > binomial_band(100, ALPHA)[1] + 0.1, observed


@pytest.mark.slow
def test_pca_representation_catches_a_correlation_flip_marginals_miss(rate, shifts):
    def run(reference, current, random_state):
        return _pca_detector("ks", random_state=random_state).fit(reference).test(current)

    power = rate(
        run, lambda rng: (shifts.rotation(rng, 400, 0.0), shifts.rotation(rng, 200, np.pi / 2)), 30
    )
    assert power >= 0.9, power


@pytest.mark.slow
def test_model_outputs_power_rises_with_class_knockout(rate, shifts):
    # Black-box shift detection (Lipton et al. 2018): a label shift shows in the
    # distribution of the model's predicted probabilities.
    rng = np.random.default_rng(99)
    X, y = shifts.mixture(rng, 1000, 0.0)
    encoder = ModelOutputEncoder(LogisticRegression().fit(X, y))

    def run(reference, current, random_state):
        detector = RepresentationDetector(encoder=encoder, method="ks", random_state=random_state)
        return detector.fit(reference).test(current)

    power = [
        rate(
            run,
            lambda rng, k=k: (shifts.mixture(rng, 300, 0.0)[0], shifts.mixture(rng, 150, k)[0]),
            40,
        )
        for k in (0.0, 0.25, 0.5, 1.0)
    ]
    assert power[0] <= 0.15, power
    assert all(b >= a - 0.1 for a, b in itertools.pairwise(power)), power
    assert power[-1] >= 0.95, power


def test_results_are_plain_data():
    rng = np.random.default_rng(0)
    detector = RepresentationDetector(random_state=0, n_permutations=99).fit(
        rng.normal(size=(100, 3))
    )
    result = detector.test(rng.normal(2.0, 1.0, size=(50, 3)))
    assert result.drifted
    as_dict = result.to_dict()
    assert as_dict["method"] == "mmd:PCAEncoder"
    assert as_dict["details"]["encoder"] == "PCAEncoder"
    assert all(isinstance(v, int | float | str | bool | list) for v in as_dict["details"].values())


def test_encoder_parameter_is_not_fitted_in_place():
    encoder = PCAEncoder(n_components=2)
    RepresentationDetector(encoder=encoder, random_state=0).fit(np.eye(10) + np.arange(10)[:, None])
    assert not hasattr(encoder, "components_")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "t-test"}, "method must be one of"),
        ({"alpha": 0.0}, "alpha must be a number strictly between 0 and 1"),
        ({"fit_fraction": 1.0}, "split fraction must be strictly between 0 and 1"),
    ],
)
def test_parameter_errors(kwargs, message):
    with pytest.raises(InputError, match=message):
        RepresentationDetector(**kwargs).fit(np.random.default_rng(0).normal(size=(20, 2)))


def test_test_before_fit_says_to_fit():
    with pytest.raises(InputError, match="RepresentationDetector is not fitted yet"):
        RepresentationDetector().test(np.ones((3, 2)))
