"""The input guard: score each incoming row for how unlike the reference it is."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from driftline.errors import InputError
from driftline.represent._base import (
    EncoderBase,
    check_fitted,
    clone,
    n_rows,
    seed_from,
    split_rows,
    take_rows,
)
from driftline.represent._tabular import TabularPreprocessor

__all__ = ["OutlierScorer"]

Method = Literal["auto", "reconstruction", "knn"]


class OutlierScorer(EncoderBase):
    """Per-row outlier scores with a threshold set for a chosen false-positive rate.

    ``fit`` splits the reference: the encoder (and, for "knn", the neighbour
    index) learns from one part, and the other part is scored to set the
    threshold. The held-out rows are exchangeable with fresh reference-like
    rows, so taking the ``ceil((n + 1)(1 - fpr))``-th smallest held-out score
    (the split-conformal quantile) keeps the expected false-positive rate at
    most ``fpr`` and within ``1 / (n + 1)`` of it. Scoring the fitting rows
    instead would set the threshold too low, since they reconstruct better
    and sit at distance zero from themselves.

    Parameters
    ----------
    encoder:
        Any encoder; cloned, never modified. None uses the standardized,
        one-hot encoded columns themselves (``TabularPreprocessor()``), where
        the "knn" score needs no assumption about the data's shape.
    method:
        "reconstruction" uses the encoder's ``reconstruction_error``; "knn"
        the mean distance to the ``n_neighbors`` nearest reference rows in
        the representation; "auto" picks reconstruction when the encoder has it.
    n_neighbors:
        Neighbours averaged by the "knn" method.
    fpr:
        Target share of reference-like rows flagged as outliers.
    holdout_fraction:
        Share of the reference kept apart to set the threshold; it needs at
        least ``1 / fpr - 1`` rows.
    random_state:
        Seed of the split.

    Example
    -------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(1000, 4))
    >>> guard = OutlierScorer(fpr=0.05, random_state=0).fit(X)
    >>> bool(guard.is_outlier(np.full((1, 4), 10.0))[0])
    True
    """

    def __init__(
        self,
        *,
        encoder: Any = None,
        method: Method = "auto",
        n_neighbors: int = 5,
        fpr: float = 0.01,
        holdout_fraction: float = 0.5,
        random_state: int | None = None,
    ) -> None:
        self.encoder = encoder
        self.method = method
        self.n_neighbors = n_neighbors
        self.fpr = fpr
        self.holdout_fraction = holdout_fraction
        self.random_state = random_state

    def _kind(self, encoder: Any) -> str:
        if self.method not in ("auto", "reconstruction", "knn"):
            raise InputError(
                f"method must be 'auto', 'reconstruction' or 'knn', got {self.method!r}"
            )
        has_error = callable(getattr(encoder, "reconstruction_error", None))
        if self.method == "reconstruction" and not has_error:
            raise InputError(
                f"{type(encoder).__name__} has no reconstruction_error(); "
                "use method='knn' or an encoder such as PCAEncoder or AutoencoderEncoder"
            )
        if self.method == "auto":
            return "reconstruction" if has_error else "knn"
        return self.method

    def fit(self, reference: Any) -> OutlierScorer:
        if isinstance(self.fpr, bool) or not 0.0 < self.fpr < 1.0:
            raise InputError(f"fpr must be strictly between 0 and 1, got {self.fpr!r}")
        if not isinstance(self.n_neighbors, int) or self.n_neighbors < 1:
            raise InputError(f"n_neighbors must be a positive int, got {self.n_neighbors!r}")
        if isinstance(self.holdout_fraction, bool) or not 0.0 < self.holdout_fraction < 1.0:
            raise InputError(
                f"holdout_fraction must be strictly between 0 and 1, got {self.holdout_fraction!r}"
            )
        encoder: Any = TabularPreprocessor() if self.encoder is None else clone(self.encoder)
        kind = self._kind(encoder)
        fit_rows, holdout_rows = split_rows(
            n_rows(reference), 1.0 - self.holdout_fraction, seed_from(self.random_state)
        )
        n_holdout = len(holdout_rows)
        rank = math.ceil((n_holdout + 1) * (1.0 - self.fpr))
        if rank > n_holdout:
            needed = math.ceil(1.0 / self.fpr) - 1
            raise InputError(
                f"fpr={self.fpr} needs at least {needed} held-out reference rows, "
                f"got {n_holdout}; pass more reference rows, a larger holdout_fraction "
                "or a larger fpr"
            )
        fit_part = take_rows(reference, fit_rows)
        encoder.fit(fit_part)
        self.encoder_ = encoder
        self.kind_ = kind
        if kind == "knn":
            from sklearn.neighbors import NearestNeighbors

            embedding = np.asarray(encoder.transform(fit_part), dtype=np.float64)
            k = min(self.n_neighbors, len(embedding))
            self.neighbors_ = NearestNeighbors(n_neighbors=k).fit(embedding)
            self.reference_ = embedding  # the rows compared with, kept for freezing
        holdout_scores = self.score(take_rows(reference, holdout_rows))
        self.threshold_ = float(np.sort(holdout_scores)[rank - 1])
        self.n_holdout_ = n_holdout
        return self

    def score(self, X: Any) -> np.ndarray:
        """The outlier score of each row: larger is stranger."""
        check_fitted(self, "encoder_")
        if self.kind_ == "reconstruction":
            return np.asarray(self.encoder_.reconstruction_error(X), dtype=np.float64)
        embedding = np.asarray(self.encoder_.transform(X), dtype=np.float64)
        distances, _ = self.neighbors_.kneighbors(embedding)
        return np.asarray(distances.mean(axis=1), dtype=np.float64)

    def is_outlier(self, X: Any) -> np.ndarray:
        """True for each row whose score exceeds the fitted threshold."""
        check_fitted(self, "threshold_")
        return self.score(X) > self.threshold_
