"""OutlierScorer: the realized false-positive rate matches the target; outliers are caught."""

import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from driftline.errors import InputError
from driftline.represent import ModelOutputEncoder, OutlierScorer, PCAEncoder
from driftline.represent.checks import check_outlier_scorer


def _correlated(rng: np.random.Generator, n: int) -> np.ndarray:
    latent = rng.normal(size=(n, 2))
    mixing = np.array([[1.0, 0.5, 0.0, 1.0, -1.0], [0.0, 1.0, 1.0, -0.5, 0.5]])
    return latent @ mixing + 0.3 * rng.normal(size=(n, 5))


@pytest.mark.parametrize(
    "encoder", [None, PCAEncoder(n_components=2)], ids=["knn-columns", "pca-reconstruction"]
)
def test_conforms(encoder, mixed_frame):
    rng = np.random.default_rng(0)
    check_outlier_scorer(
        OutlierScorer(encoder=encoder, fpr=0.05, random_state=0),
        _correlated(rng, 600),
        _correlated(rng, 2000),
    )
    check_outlier_scorer(
        OutlierScorer(encoder=encoder, fpr=0.1, random_state=0),
        mixed_frame.iloc[:200],
        mixed_frame.iloc[200:],
    )


@pytest.mark.slow
@pytest.mark.parametrize("fpr", [0.01, 0.05])
@pytest.mark.parametrize(
    "encoder", [None, PCAEncoder(n_components=2)], ids=["knn-columns", "pca-reconstruction"]
)
def test_realized_false_positive_rate_matches_the_target(fpr, encoder):
    # Split conformal: for each fit, E[FPR] lies in [fpr - 1/(n+1), fpr], with
    # n = 500 held-out rows; its spread across fits is sqrt(fpr(1 - fpr) / n).
    # Averaged over 30 fits, each checked on 4000 fresh reference-like rows.
    fits, n_holdout = 30, 500
    realized = []
    for seed in range(fits):
        rng = np.random.default_rng(seed)
        guard = OutlierScorer(encoder=encoder, fpr=fpr, random_state=seed).fit(
            _correlated(rng, 2 * n_holdout)
        )
        assert guard.n_holdout_ == n_holdout
        realized.append(guard.is_outlier(_correlated(rng, 4000)).mean())
    spread = math.sqrt(fpr * (1 - fpr) / n_holdout) / math.sqrt(fits)
    mean = float(np.mean(realized))
    assert fpr - 1 / (n_holdout + 1) - 4 * spread <= mean <= fpr + 4 * spread, (mean, realized)


def test_rows_off_the_reference_are_flagged():
    rng = np.random.default_rng(0)
    reference = _correlated(rng, 1000)
    # Every value in range, but the columns no longer move together.
    broken = rng.permuted(_correlated(rng, 200), axis=0)
    far = _correlated(rng, 200) + 8.0
    # Reconstruction error targets broken correlations; neighbour distance sees them less.
    for encoder, caught in ((None, 0.3), (PCAEncoder(n_components=2), 0.75)):
        guard = OutlierScorer(encoder=encoder, fpr=0.01, random_state=0).fit(reference)
        assert guard.is_outlier(far).mean() == 1.0
        assert guard.is_outlier(broken).mean() > caught, encoder
        assert guard.score(far).min() > guard.threshold_


def test_autoencoder_reconstruction_guards_too(require_extra):
    torch = require_extra("torch", "deep")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny network: threads only add contention
    try:
        _autoencoder_guard()
    finally:
        torch.set_num_threads(threads)


def _autoencoder_guard():
    from driftline.represent import AutoencoderEncoder

    rng = np.random.default_rng(0)
    encoder = AutoencoderEncoder(latent_dim=2, hidden=(16,), epochs=20, learning_rate=1e-2)
    guard = OutlierScorer(encoder=encoder, fpr=0.05, random_state=0).fit(_correlated(rng, 600))
    assert guard.kind_ == "reconstruction"
    assert guard.is_outlier(_correlated(rng, 100) + 8.0).mean() == 1.0
    assert guard.is_outlier(_correlated(rng, 2000)).mean() < 0.1


def test_encoders_without_reconstruction_use_neighbours():
    rng = np.random.default_rng(0)
    X = _correlated(rng, 400)
    model = LogisticRegression().fit(X, X[:, 0] > 0)
    guard = OutlierScorer(encoder=ModelOutputEncoder(model), fpr=0.05, random_state=0).fit(X)
    assert guard.kind_ == "knn"
    with pytest.raises(InputError, match="has no reconstruction_error"):
        OutlierScorer(encoder=ModelOutputEncoder(model), method="reconstruction").fit(X)


def test_seeded_fits_agree():
    X = _correlated(np.random.default_rng(0), 500)
    a = OutlierScorer(fpr=0.05, random_state=3).fit(X)
    b = OutlierScorer(fpr=0.05, random_state=3).fit(X)
    assert a.threshold_ == b.threshold_
    np.testing.assert_array_equal(a.score(X[:20]), b.score(X[:20]))


def test_too_few_held_out_rows_for_the_fpr_is_explained():
    X = _correlated(np.random.default_rng(0), 100)
    with pytest.raises(
        InputError, match=r"fpr=0\.01 needs at least 99 held-out reference rows, got 50"
    ):
        OutlierScorer(fpr=0.01).fit(X)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fpr": 0.0}, "fpr must be strictly between 0 and 1"),
        ({"n_neighbors": 0}, "n_neighbors must be a positive int"),
        ({"holdout_fraction": 1.0}, "holdout_fraction must be strictly between 0 and 1"),
        ({"method": "lof"}, "method must be 'auto', 'reconstruction' or 'knn'"),
    ],
)
def test_parameter_errors(kwargs, message):
    with pytest.raises(InputError, match=message):
        OutlierScorer(**kwargs).fit(np.random.default_rng(0).normal(size=(400, 2)))
