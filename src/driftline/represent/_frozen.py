"""An outlier scorer reduced to plain arrays, to store with a model and score requests fast.

``OutlierScorer`` is fitted once, at registration, on the training data. A
server then scores every request with it, where scikit-learn's neighbour
search costs far more per call than the request itself (input validation,
thread pools). Frozen, the same fitted state (the preprocessor's medians,
means, scales and categories, the reference rows in the representation, the
threshold) scores a batch with a matrix product: distances as
``|r|^2 - 2 r.x + |x|^2``, the ``k`` smallest by ``np.partition``. The state
is plain numbers in a versioned dict, so nothing stored names a Python class.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import InputError
from driftline.represent._base import check_fitted
from driftline.represent._outlier import OutlierScorer
from driftline.represent._tabular import TabularPreprocessor

__all__ = ["FrozenOutlierScorer"]

_FORMAT = 1
_PREPROCESSOR_STATE = (
    "input_kind_",
    "columns_",
    "numeric_columns_",
    "categorical_columns_",
    "indicator_columns_",
    "categories_",
    "feature_names_out_",
)


class FrozenOutlierScorer:
    """The fitted state of a k-nearest-neighbour ``OutlierScorer``, scored with numpy alone.

    Example
    -------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(1000, 3))
    >>> frozen = FrozenOutlierScorer.freeze(OutlierScorer(fpr=0.05, random_state=0).fit(X))
    >>> bool(frozen.is_outlier(np.full((1, 3), 8.0))[0])
    True
    """

    def __init__(
        self,
        preprocessor: TabularPreprocessor,
        reference: np.ndarray,
        *,
        n_neighbors: int,
        threshold: float,
        fpr: float,
    ) -> None:
        self.preprocessor = preprocessor
        self.reference = np.ascontiguousarray(reference, dtype=np.float64)
        self.norms = np.einsum("ij,ij->i", self.reference, self.reference)
        self.n_neighbors = min(n_neighbors, len(self.reference))
        self.threshold = float(threshold)
        self.fpr = float(fpr)
        self.columns: list[str] = list(preprocessor.columns_)
        self._numeric_only = not preprocessor.categorical_columns_
        self._order: dict[tuple[str, ...], np.ndarray | None] = {}

    @classmethod
    def freeze(cls, scorer: OutlierScorer) -> FrozenOutlierScorer:
        """The state of a fitted ``OutlierScorer`` using the "knn" method on its own columns."""
        check_fitted(scorer, "threshold_")
        if scorer.kind_ != "knn" or not isinstance(scorer.encoder_, TabularPreprocessor):
            raise InputError(
                "only an OutlierScorer with method 'knn' and no encoder (the table's own "
                f"columns) can be frozen, got method {scorer.kind_!r} with "
                f"{type(scorer.encoder_).__name__}"
            )
        reference = np.asarray(scorer.reference_, dtype=np.float64)
        return cls(
            scorer.encoder_,
            reference,
            n_neighbors=scorer.n_neighbors,
            threshold=scorer.threshold_,
            fpr=scorer.fpr,
        )

    # -- scoring -------------------------------------------------------------------

    def embed(self, X: Any, names: list[str] | None = None) -> np.ndarray:
        """Rows in the representation; a numeric matrix with ``names`` skips pandas."""
        p = self.preprocessor
        if isinstance(X, np.ndarray) and names is not None and self._numeric_only:
            values = np.asarray(X, dtype=np.float64)
            order = self._columns_of(names)
            if order is not None:
                values = values[:, order]
            missing = np.isnan(values)
            filled = np.where(missing, p.medians_, values) if missing.any() else values
            out = (filled - p.means_) / p.scales_
            if p.indicator_columns_:
                where = [p.numeric_columns_.index(c) for c in p.indicator_columns_]
                out = np.hstack([out, missing[:, where].astype(np.float64)])
            return out
        if isinstance(X, np.ndarray) and names is not None:
            X = pd.DataFrame(X, columns=names)
        if isinstance(X, pd.DataFrame):
            X = X[self.columns]
        return p.transform(X)

    def _columns_of(self, names: list[str]) -> np.ndarray | None:
        """Where each fitted column is among ``names``; None when they are already in order."""
        key = tuple(names)
        if key not in self._order:
            missing = [c for c in self.columns if c not in names]
            if missing:
                raise InputError(
                    f"the input guard needs columns {missing}, which the request does not have"
                )
            order = np.array([names.index(c) for c in self.columns])
            same = len(names) == len(order) and bool((order == np.arange(len(order))).all())
            self._order[key] = None if same else order
        return self._order[key]

    def score(self, X: Any, names: list[str] | None = None) -> np.ndarray:
        """Mean distance of each row to its nearest reference rows: larger is stranger."""
        return self.score_embedded(self.embed(X, names))

    def score_embedded(self, z: np.ndarray) -> np.ndarray:
        """``score`` of rows already in the representation (``embed``)."""
        squared = self.norms[None, :] - 2.0 * (z @ self.reference.T)
        squared += np.einsum("ij,ij->i", z, z)[:, None]
        k = self.n_neighbors
        nearest = np.partition(squared, k - 1, axis=1)[:, :k] if k < squared.shape[1] else squared
        return np.sqrt(np.maximum(nearest, 0.0)).mean(axis=1)

    def is_outlier(self, X: Any, names: list[str] | None = None) -> np.ndarray:
        return self.score(X, names) > self.threshold

    # -- storage -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        p = self.preprocessor
        return {
            "format": _FORMAT,
            "kind": "knn",
            "n_neighbors": self.n_neighbors,
            "threshold": self.threshold,
            "fpr": self.fpr,
            "scale": p.scale,
            "max_categories": p.max_categories,
            **{name.rstrip("_"): getattr(p, name) for name in _PREPROCESSOR_STATE},
            "medians": p.medians_.tolist(),
            "means": p.means_.tolist(),
            "scales": p.scales_.tolist(),
            "reference": self.reference.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrozenOutlierScorer:
        if data.get("format") != _FORMAT or data.get("kind") != "knn":
            raise InputError(
                f"this input guard was stored in format {data.get('format')!r} "
                f"({data.get('kind')!r}); this driftline reads format {_FORMAT} (knn): "
                "register the model again to refit it"
            )
        p = TabularPreprocessor(scale=data["scale"], max_categories=data["max_categories"])
        for name in _PREPROCESSOR_STATE:
            setattr(p, name, data[name.rstrip("_")])
        p.n_features_in_ = len(p.columns_)
        p.medians_ = np.asarray(data["medians"], dtype=np.float64)
        p.means_ = np.asarray(data["means"], dtype=np.float64)
        p.scales_ = np.asarray(data["scales"], dtype=np.float64)
        width = len(p.feature_names_out_)
        reference = np.asarray(data["reference"], dtype=np.float64).reshape(-1, width)
        return cls(
            p,
            reference,
            n_neighbors=int(data["n_neighbors"]),
            threshold=float(data["threshold"]),
            fpr=float(data["fpr"]),
        )
