"""AutoencoderEncoder (torch): conformance, determinism, reconstruction error.

Networks are tiny (one hidden layer of 8-16 units) and trained for at most
40 epochs on at most 400 rows, so the whole file runs in a few seconds on CPU.
"""

import numpy as np
import pytest

from driftline.represent import AutoencoderEncoder
from driftline.represent.checks import check_encoder


@pytest.fixture
def torch(require_extra):
    torch = require_extra("torch", "deep")
    # Tiny networks gain nothing from threads, and on a shared machine busy
    # cores make torch's spinning workers slower than one thread.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def _tiny(**params) -> AutoencoderEncoder:
    return AutoencoderEncoder(**{"latent_dim": 2, "hidden": (8,), "epochs": 5, **params})


def test_conforms_on_a_mixed_frame(torch, mixed_frame):
    check_encoder(_tiny(random_state=3), mixed_frame)


def test_seeded_fits_agree_and_leave_the_global_torch_seed_alone(torch, mixed_frame):
    torch.manual_seed(123)
    expected = torch.rand(1).item()
    torch.manual_seed(123)
    first = _tiny(random_state=1).fit(mixed_frame).transform(mixed_frame)
    assert torch.rand(1).item() == expected
    np.testing.assert_array_equal(
        first, _tiny(random_state=1).fit(mixed_frame).transform(mixed_frame)
    )
    other = _tiny(random_state=2).fit(mixed_frame).transform(mixed_frame)
    assert not np.allclose(first, other)


def test_training_lowers_the_loss_and_errors_flag_broken_structure(torch):
    rng = np.random.default_rng(0)
    t = rng.uniform(-2, 2, size=(400, 1))
    # A curve in 3-D: PCA cannot compress it to one dimension, an MLP can.
    X = np.hstack([t, t**2, np.sin(2 * t)]) + 0.02 * rng.normal(size=(400, 3))
    encoder = AutoencoderEncoder(
        latent_dim=1, hidden=(16,), epochs=40, batch_size=32, learning_rate=1e-2, random_state=0
    ).fit(X)
    assert encoder.loss_curve_[-1] < 0.5 * encoder.loss_curve_[0]
    off_curve = np.hstack([t[:50], -(t[:50] ** 2), np.sin(2 * t[:50])])
    assert (
        encoder.reconstruction_error(off_curve).mean() > 5 * encoder.reconstruction_error(X).mean()
    )
    assert encoder.transform(X).shape == (400, 1)


def test_bad_parameters_are_named(torch):
    from driftline.errors import InputError

    with pytest.raises(InputError, match="latent_dim must be a positive int"):
        AutoencoderEncoder(latent_dim=0).fit(np.ones((5, 2)))


def test_detector_on_the_code_sees_rows_leave_the_curve(torch):
    from driftline.represent import RepresentationDetector

    rng = np.random.default_rng(1)

    def curve(n, bend=1.0):
        t = rng.uniform(-2, 2, size=(n, 1))
        return np.hstack([t, bend * t**2, np.sin(2 * t)]) + 0.05 * rng.normal(size=(n, 3))

    detector = RepresentationDetector(
        encoder=AutoencoderEncoder(
            latent_dim=2, hidden=(16,), epochs=30, batch_size=32, learning_rate=1e-2
        ),
        method="mmd",
        n_permutations=199,
        random_state=0,
    ).fit(curve(400))
    assert not detector.test(curve(150)).drifted
    assert detector.test(curve(150, bend=-1.0)).drifted
