"""What every encoder shares: the contract, parameter access, cloning, seeding."""

from __future__ import annotations

import inspect
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from driftline.errors import InputError

__all__ = [
    "Encoder",
    "EncoderBase",
    "as_matrix",
    "check_fitted",
    "clone",
    "n_rows",
    "seed_from",
    "split_rows",
    "take_rows",
]

T = TypeVar("T")


@runtime_checkable
class Encoder(Protocol):
    """A learned representation: ``fit(reference)`` then ``transform(rows)`` to a 2-D array."""

    def fit(self, X: Any) -> Encoder: ...

    def transform(self, X: Any) -> np.ndarray: ...


class EncoderBase:
    """Parameter access shared by the encoders, in the manner of scikit-learn.

    ``learns_from_data`` tells detectors whether fitting looks at the rows: an
    encoder that does (PCA, autoencoder) must be fitted on rows kept apart from
    the ones it is later tested on; one that does not (a trained model's
    outputs, a pretrained text model) can see the whole reference.
    """

    learns_from_data: bool = True

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters, as given."""
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def clone(estimator: T) -> T:
    """A new, unfitted estimator with the same parameters.

    Nested driftline estimators are cloned too; anything else (a trained model
    handed to ``ModelOutputEncoder``) is shared, never copied or refitted.
    """
    get_params = getattr(estimator, "get_params", None)
    if get_params is None:
        raise InputError(
            f"cannot clone {type(estimator).__name__}: it has no get_params(); "
            "pass a driftline encoder or an object following the estimator contract"
        )
    params = {k: clone(v) if isinstance(v, EncoderBase) else v for k, v in get_params().items()}
    return type(estimator)(**params)


def check_fitted(estimator: object, attribute: str) -> None:
    """Raise an actionable error when ``estimator`` has not been fitted."""
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise InputError(f"{name} is not fitted yet; call {name}.fit(reference) first")


def seed_from(random_state: int | None) -> int:
    """An integer seed: ``random_state`` itself, or a fresh one when it is None."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise InputError(
            f"random_state must be an int or None, got {random_state!r}; "
            "pass an integer to make results reproducible"
        )
    return int(random_state)


def as_matrix(X: Any, *, name: str = "X") -> np.ndarray:
    """A 2-D float array of finite values, or an error saying what is wrong."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{name} must be numeric, got values of type {type(X).__name__} ({exc}); "
            "encode it first (e.g. with PCAEncoder) or pass numbers"
        ) from exc
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise InputError(f"{name} must be 2-D (rows x features), got {arr.ndim}-D")
    if arr.shape[0] == 0:
        raise InputError(f"{name} has no rows; pass at least one row")
    if not np.all(np.isfinite(arr)):
        row = int(np.argwhere(~np.isfinite(arr))[0, 0])
        raise InputError(
            f"{name} must hold finite numbers, got NaN or inf in row {row}; "
            "impute or drop missing values before testing"
        )
    return arr


def n_rows(X: Any) -> int:
    """Number of rows of a DataFrame, Series, array or sequence."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    return len(X)


def take_rows(X: Any, index: np.ndarray) -> Any:
    """Rows ``index`` of a DataFrame, Series, array or list, keeping its type."""
    if hasattr(X, "iloc"):
        return X.iloc[index]
    if isinstance(X, np.ndarray):
        return X[index]
    return [X[i] for i in index]


def split_rows(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle ``range(n)`` and cut it: ``fraction`` of it first, the rest second."""
    if not 0.0 < fraction < 1.0:
        raise InputError(f"the split fraction must be strictly between 0 and 1, got {fraction}")
    order = np.random.default_rng(seed).permutation(n)
    cut = round(n * fraction)
    if cut < 2 or n - cut < 2:
        raise InputError(
            f"cannot split {n} reference rows into two parts of at least 2 rows "
            f"with fraction {fraction}; pass more reference rows"
        )
    return np.sort(order[:cut]), np.sort(order[cut:])
