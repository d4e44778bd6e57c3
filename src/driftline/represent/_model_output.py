"""The model's own outputs as a representation (black-box shift detection).

Lipton, Wang & Smola (2018) and Rabanser, Günnemann & Lipton (2019, "Failing
Loudly") show that testing the distribution of a trained classifier's
softmax outputs is a strong, cheap detector of shifts that matter to that
model, in any input space, without touching its internals.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from driftline.errors import InputError
from driftline.represent._base import EncoderBase, check_fitted

__all__ = ["ModelOutputEncoder"]

Method = Literal["auto", "predict_proba", "predict"]


class ModelOutputEncoder(EncoderBase):
    """Predicted probabilities of a trained model (or its predictions when it has none).

    The model is used as given and never refitted: ``fit`` only records the
    shape of its answers on the reference. Probabilities of a two-class model
    are reduced to the positive class, since the second column is one minus
    the first and would only double dimension-dependent corrections. Class
    labels from ``predict`` become one-hot columns over the classes seen on
    the reference; numbers from a regressor are used as they are.

    Fit and test it on rows the model was not trained on (a validation set
    as the reference): a model is more confident on its own training rows,
    so they would make fresh, unshifted data look drifted.

    Parameters
    ----------
    model:
        Any fitted object with ``predict_proba`` or ``predict``.
    method:
        "auto" uses ``predict_proba`` when present, else ``predict``.

    Example
    -------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> clf = LogisticRegression().fit(X, X[:, 0] > 0)
    >>> ModelOutputEncoder(clf).fit(X).transform(X).shape
    (100, 1)
    """

    learns_from_data = False

    def __init__(self, model: Any, *, method: Method = "auto") -> None:
        self.model = model
        self.method = method

    def _resolve_method(self) -> str:
        if self.method not in ("auto", "predict_proba", "predict"):
            raise InputError(
                f"method must be 'auto', 'predict_proba' or 'predict', got {self.method!r}"
            )
        method = self.method
        if method == "auto":
            method = "predict_proba" if hasattr(self.model, "predict_proba") else "predict"
        if not callable(getattr(self.model, method, None)):
            raise InputError(
                f"the model ({type(self.model).__name__}) has no {method}() method; "
                "pass a fitted model with predict_proba or predict"
            )
        return method

    def _raw(self, X: Any) -> np.ndarray:
        out = np.asarray(getattr(self.model, self.method_)(X))
        if out.ndim == 0 or out.ndim > 2:
            raise InputError(
                f"the model's {self.method_}() must return one value or one row per input row, "
                f"got an array of shape {out.shape}"
            )
        return out.reshape(len(out), -1) if out.ndim == 1 else out

    def fit(self, X: Any) -> ModelOutputEncoder:
        self.method_ = self._resolve_method()
        out = self._raw(X)
        labels = self.method_ == "predict" and (
            hasattr(self.model, "classes_") or not np.issubdtype(out.dtype, np.number)
        )
        if labels:
            if out.shape[1] != 1:
                raise InputError(
                    f"class labels from predict() must be one per row, got shape {out.shape}"
                )
            self.classes_: list[Any] | None = sorted(pd.unique(out[:, 0]).tolist(), key=str)
            self.n_outputs_ = len(self.classes_)
        else:
            self.classes_ = None
            self.n_outputs_ = out.shape[1]
        self.positive_only_ = self.method_ == "predict_proba" and self.n_outputs_ == 2
        return self

    def transform(self, X: Any) -> np.ndarray:
        """The model's outputs for each row as a 2-D float array."""
        check_fitted(self, "method_")
        out = self._raw(X)
        if self.classes_ is not None:
            codes = pd.Index(self.classes_).get_indexer(pd.Index(out[:, 0]))
            onehot = np.zeros((len(out), len(self.classes_)))
            seen = codes >= 0
            onehot[np.flatnonzero(seen), codes[seen]] = 1.0
            return onehot
        if out.shape[1] != self.n_outputs_:
            raise InputError(
                f"the model returned {out.shape[1]} outputs per row, but {self.n_outputs_} "
                "on the reference; refit the encoder after changing the model"
            )
        try:
            values = out.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"the model's {self.method_}() returned non-numeric values ({exc})"
            ) from exc
        return values[:, 1:] if self.positive_only_ else values
