"""PCAEncoder and ModelOutputEncoder: the conformance kit plus what each promises."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from driftline.errors import InputError
from driftline.represent import Encoder, ModelOutputEncoder, PCAEncoder, clone
from driftline.represent.checks import check_encoder


def _blobs(seed: int = 0, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 1.0], [0.0, 3.0, -1.0]])
    return centres[y] + rng.normal(size=(n, 3)), y


@pytest.mark.parametrize("n_components", [2, 0.9])
def test_pca_encoder_conforms_on_a_mixed_frame(mixed_frame, n_components):
    check_encoder(PCAEncoder(n_components=n_components), mixed_frame)


def test_pca_encoder_conforms_on_an_array():
    check_encoder(PCAEncoder(n_components=2), np.random.default_rng(1).normal(size=(60, 4)))


def test_encoders_satisfy_the_protocol():
    assert isinstance(PCAEncoder(), Encoder)
    assert isinstance(ModelOutputEncoder(LinearRegression()), Encoder)


def test_pca_keeps_components_for_the_variance_share():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(500, 2))
    X = latent @ rng.normal(size=(2, 6)) + 0.01 * rng.normal(size=(500, 6))
    encoder = PCAEncoder(n_components=0.99).fit(X)
    assert encoder.n_components_ == 2
    assert encoder.transform(X).shape == (500, 2)
    assert encoder.explained_variance_ratio_.sum() > 0.99


def test_reconstruction_error_grows_off_the_reference_subspace():
    rng = np.random.default_rng(0)
    t = rng.normal(size=(400, 1))
    X = np.hstack([t, t + 0.05 * rng.normal(size=(400, 1))])
    encoder = PCAEncoder(n_components=1).fit(X)
    # Each value stays in range, but the two columns no longer agree.
    broken = np.column_stack([t[:50, 0], -t[:50, 0]])
    assert encoder.reconstruction_error(X).shape == (400,)
    assert encoder.reconstruction_error(broken).mean() > 50 * encoder.reconstruction_error(X).mean()


def test_pca_parameter_errors():
    X = np.ones((10, 2)) + np.arange(10)[:, None]
    with pytest.raises(InputError, match="n_components=5 must be between 1 and 2"):
        PCAEncoder(n_components=5).fit(X)
    with pytest.raises(InputError, match="a float n_components must be in \\(0, 1\\)"):
        PCAEncoder(n_components=1.5).fit(X)
    with pytest.raises(InputError, match="not fitted yet"):
        PCAEncoder().transform(X)


def test_model_outputs_binary_probabilities_keep_the_positive_class():
    X, y = _blobs()
    model = LogisticRegression().fit(X, y == 1)
    check_encoder(ModelOutputEncoder(model), X)
    Z = ModelOutputEncoder(model).fit(X).transform(X)
    np.testing.assert_allclose(Z[:, 0], model.predict_proba(X)[:, 1])


def test_model_outputs_multiclass_probabilities():
    X, y = _blobs()
    model = LogisticRegression().fit(X, y)
    check_encoder(ModelOutputEncoder(model), X)
    assert ModelOutputEncoder(model).fit(X).transform(X).shape == (300, 3)


def test_model_outputs_fall_back_to_predict_for_regressors():
    X, _ = _blobs()
    model = LinearRegression().fit(X, X[:, 0])
    check_encoder(ModelOutputEncoder(model), X)
    encoder = ModelOutputEncoder(model).fit(X)
    assert encoder.method_ == "predict"
    np.testing.assert_allclose(encoder.transform(X)[:, 0], model.predict(X))


def test_predicted_labels_become_one_hot_over_reference_classes():
    X, y = _blobs()
    model = LogisticRegression().fit(X, np.array(["a", "b", "c"])[y])
    check_encoder(ModelOutputEncoder(model, method="predict"), X)
    Z = ModelOutputEncoder(model, method="predict").fit(X).transform(X)
    assert Z.shape == (300, 3)
    assert np.all(Z.sum(axis=1) == 1.0)


def test_model_is_shared_not_refitted_by_clone():
    X, y = _blobs()
    model = LogisticRegression().fit(X, y)
    encoder = ModelOutputEncoder(model)
    assert clone(encoder).model is model


def test_model_output_errors():
    X, _ = _blobs()
    with pytest.raises(InputError, match="has no predict_proba\\(\\) method"):
        ModelOutputEncoder(LinearRegression().fit(X, X[:, 0]), method="predict_proba").fit(X)
    with pytest.raises(InputError, match="method must be"):
        ModelOutputEncoder(object(), method="proba").fit(X)  # type: ignore[arg-type]


def test_model_output_passes_frames_through_to_the_model():
    X, y = _blobs()
    frame = pd.DataFrame(X, columns=["u", "v", "w"])
    model = LogisticRegression().fit(frame, y)
    Z = ModelOutputEncoder(model).fit(frame).transform(frame)
    np.testing.assert_allclose(Z, model.predict_proba(frame))
