"""PCA as a linear autoencoder: a low-dimensional code and a per-row reconstruction error."""

from __future__ import annotations

from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.represent._base import EncoderBase, check_fitted
from driftline.represent._tabular import TabularPreprocessor

__all__ = ["PCAEncoder"]


class PCAEncoder(EncoderBase):
    """Principal components of the standardized, one-hot encoded reference.

    PCA is the optimal linear autoencoder: ``transform`` gives the code, and
    ``reconstruction_error`` how badly a row is rebuilt from it, which grows
    when a row breaks the reference's correlations even if every column stays
    in range.

    Parameters
    ----------
    n_components:
        An int keeps that many components; a float in (0, 1) keeps the fewest
        components explaining that share of the variance.
    scale:
        Standardize numeric columns with reference statistics first.
    max_categories:
        Most frequent categories kept per categorical column.

    Example
    -------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 5))
    >>> PCAEncoder(n_components=2).fit(X).transform(X).shape
    (200, 2)
    """

    def __init__(
        self, *, n_components: int | float = 0.95, scale: bool = True, max_categories: int = 50
    ) -> None:
        self.n_components = n_components
        self.scale = scale
        self.max_categories = max_categories

    def _n_keep(self, explained: np.ndarray, limit: int) -> int:
        k = self.n_components
        if isinstance(k, bool) or not isinstance(k, int | float | np.integer | np.floating):
            raise InputError(f"n_components must be an int or a float in (0, 1), got {k!r}")
        if isinstance(k, int | np.integer):
            if not 1 <= k <= limit:
                raise InputError(
                    f"n_components={k} must be between 1 and {limit} "
                    "(the number of reference rows and encoded columns)"
                )
            return int(k)
        if not 0.0 < k < 1.0:
            raise InputError(f"a float n_components must be in (0, 1), got {k}")
        total = explained.sum()
        if total <= 0:
            return 1
        share = np.cumsum(explained) / total
        return min(int(np.searchsorted(share, k - 1e-12)) + 1, limit)

    def fit(self, X: Any) -> PCAEncoder:
        preprocessor = TabularPreprocessor(scale=self.scale, max_categories=self.max_categories)
        Z = preprocessor.fit(X).transform(X)
        if Z.shape[1] == 0:
            raise InputError("the reference has no usable columns; pass at least one column")
        self.preprocessor_ = preprocessor
        self.mean_ = Z.mean(axis=0)
        _, s, vt = np.linalg.svd(Z - self.mean_, full_matrices=False)
        # SVD signs are arbitrary; fixing them makes the code reproducible across
        # LAPACK builds: the largest loading of each component is positive.
        signs = np.sign(vt[np.arange(vt.shape[0]), np.argmax(np.abs(vt), axis=1)])
        vt *= np.where(signs == 0, 1.0, signs)[:, None]
        variance = s**2 / max(Z.shape[0] - 1, 1)
        k = self._n_keep(variance, vt.shape[0])
        self.components_ = vt[:k]
        self.explained_variance_ = variance[:k]
        self.explained_variance_ratio_ = variance[:k] / max(variance.sum(), np.finfo(float).tiny)
        self.n_components_ = k
        return self

    def transform(self, X: Any) -> np.ndarray:
        """The principal-component code of each row, shape (rows, ``n_components_``)."""
        check_fitted(self, "components_")
        Z = self.preprocessor_.transform(X)
        return np.asarray((Z - self.mean_) @ self.components_.T, dtype=np.float64)

    def reconstruction_error(self, X: Any) -> np.ndarray:
        """Mean squared reconstruction error of each row in the encoded space."""
        check_fitted(self, "components_")
        Z = self.preprocessor_.transform(X) - self.mean_
        rebuilt = (Z @ self.components_.T) @ self.components_
        return np.asarray(np.mean((Z - rebuilt) ** 2, axis=1), dtype=np.float64)
