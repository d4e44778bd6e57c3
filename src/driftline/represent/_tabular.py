"""Turn a table of mixed columns into a numeric matrix, the same way at fit and transform.

Everything learned comes from the reference: medians for imputing, means and
standard deviations for scaling, the category list for one-hot columns. Rows
seen later are mapped with those, so a shifted batch stays visibly shifted
instead of being re-normalized away.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import InputError
from driftline.represent._base import EncoderBase, check_fitted

__all__ = ["TabularPreprocessor"]

MISSING = "__missing__"


def _to_frame(X: Any) -> tuple[pd.DataFrame, str]:
    if isinstance(X, pd.DataFrame):
        return X, "frame"
    if isinstance(X, pd.Series):
        return X.to_frame(), "frame"
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise InputError(
            f"expected a DataFrame or a 2-D array (rows x columns), got a {arr.ndim}-D array; "
            "reshape a single feature with X.reshape(-1, 1)"
        )
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])]), "array"


def _is_number_array(X: Any) -> bool:
    return isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "biuf"


def _is_numeric(series: pd.Series) -> bool:
    return bool(
        pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)
    )


def _numeric_values(series: pd.Series, column: str) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        seconds = series.astype("int64").to_numpy(dtype=np.float64) / 1e9
        return np.where(series.isna().to_numpy(), np.nan, seconds)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values) & series.notna().to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise InputError(
            f"column {column!r} must be a number, got {series.iloc[row]!r} in row {row}; "
            "fix the value or declare the column as a category in the reference"
        )
    if np.isinf(values).any():
        row = int(np.argmax(np.isinf(values)))
        raise InputError(
            f"column {column!r} must be finite, got {values[row]} in row {row}; "
            "replace infinities with a number or a missing value"
        )
    return values


def _category_values(series: pd.Series) -> np.ndarray:
    return series.astype(object).where(series.notna(), MISSING).astype(str).to_numpy()


class TabularPreprocessor(EncoderBase):
    """Standardize numeric columns, one-hot encode categories, impute and flag missing values.

    Parameters
    ----------
    scale:
        Standardize numeric columns with the reference mean and standard
        deviation. One-hot and missing-indicator columns stay 0/1.
    max_categories:
        Keep at most this many of the most frequent reference categories per
        column; rarer and unseen categories map to all-zero.
    """

    def __init__(self, *, scale: bool = True, max_categories: int = 50) -> None:
        self.scale = scale
        self.max_categories = max_categories

    def fit(self, X: Any) -> TabularPreprocessor:
        if self.max_categories < 1:
            raise InputError(f"max_categories must be at least 1, got {self.max_categories}")
        frame: pd.DataFrame | None = None
        if _is_number_array(X):
            self.input_kind_ = "array"
            self.columns_ = [f"x{i}" for i in range(X.shape[1])]
            self.numeric_columns_ = list(self.columns_)
            self.categorical_columns_: list[str] = []
        else:
            frame, self.input_kind_ = _to_frame(X)
            self.columns_ = [str(c) for c in frame.columns]
            self.numeric_columns_ = [str(c) for c in frame.columns if _is_numeric(frame[c])]
            self.numeric_columns_ += [
                str(c)
                for c in frame.columns
                if pd.api.types.is_datetime64_any_dtype(frame[c].dtype)
            ]
            numeric = set(self.numeric_columns_)
            self.categorical_columns_ = [str(c) for c in frame.columns if str(c) not in numeric]
            frame = frame.set_axis(self.columns_, axis=1)
        self.n_features_in_ = len(self.columns_)
        if len(X) == 0:
            raise InputError("the reference has no rows; pass at least one row to fit")

        values = self._numeric_matrix(frame, X)
        missing = np.isnan(values)
        # A column missing in every reference row has no median; zero keeps it inert.
        self.medians_ = np.zeros(values.shape[1])
        seen = ~missing.all(axis=0)
        if seen.any():
            self.medians_[seen] = np.nanmedian(values[:, seen], axis=0)
        # Indicators only where the reference had gaps: a flag that is zero on every
        # reference row would only swell dimension-dependent corrections, and
        # new missingness is already watched column by column by driftline.drift.
        self.indicator_columns_ = [
            c for c, has in zip(self.numeric_columns_, missing.any(axis=0), strict=True) if has
        ]
        filled = np.where(missing, self.medians_, values)
        # A constant column is centred on its value and left unscaled: dividing
        # by a standard deviation of rounding noise (or one that underflows to
        # zero) would blow it up.
        constant = np.ptp(filled, axis=0) == 0
        if self.scale:
            stds = filled.std(axis=0)
            self.means_ = np.where(constant, filled[0], filled.mean(axis=0))
            self.scales_ = np.where(constant | ~(stds > 0), 1.0, stds)
        else:
            self.means_ = np.zeros(filled.shape[1])
            self.scales_ = np.ones(filled.shape[1])

        self.categories_: dict[str, list[str]] = {}
        if frame is not None:
            for c in self.categorical_columns_:
                counts = pd.Series(_category_values(frame[c])).value_counts()
                ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                self.categories_[c] = [str(k) for k, _ in ranked[: self.max_categories]]
        self.feature_names_out_ = (
            list(self.numeric_columns_)
            + [f"{c}__missing" for c in self.indicator_columns_]
            + [f"{c}={v}" for c in self.categorical_columns_ for v in self.categories_[c]]
        )
        return self

    def _numeric_matrix(self, frame: pd.DataFrame | None, X: Any) -> np.ndarray:
        if frame is None:
            # Plain numeric arrays skip the per-column pandas work, which
            # dominates the cost of encoding small batches.
            values = np.asarray(X, dtype=np.float64)
            if np.isinf(values).any():
                row, col = np.argwhere(np.isinf(values))[0]
                raise InputError(
                    f"column 'x{col}' must be finite, got {values[row, col]} in row {row}; "
                    "replace infinities with a number or a missing value"
                )
            return values
        if not self.numeric_columns_:
            return np.zeros((len(frame), 0))
        return np.column_stack([_numeric_values(frame[c], c) for c in self.numeric_columns_])

    def _align(self, X: Any) -> pd.DataFrame | None:
        frame: pd.DataFrame | None = None
        if _is_number_array(X) and not self.categorical_columns_:
            kind, width = "array", X.shape[1]
        else:
            frame, kind = _to_frame(X)
            width = frame.shape[1]
        if kind == "array" and self.input_kind_ == "frame":
            raise InputError(
                f"the reference was a DataFrame with columns {self.columns_}, got an array; "
                "pass a DataFrame so columns are matched by name"
            )
        if self.input_kind_ == "array":
            if width != self.n_features_in_:
                raise InputError(
                    f"expected {self.n_features_in_} columns as in the reference, "
                    f"got {width}; pass rows with the reference's columns"
                )
            return None if frame is None else frame.set_axis(self.columns_, axis=1)
        if frame is None:  # narrowed for mypy: a frame-fitted reference got a DataFrame
            raise InputError(f"expected a DataFrame with columns {self.columns_}")
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
        absent = [c for c in self.columns_ if c not in frame.columns]
        if absent:
            raise InputError(
                f"columns {absent} of the reference are missing, got columns "
                f"{list(frame.columns)}; pass rows with every reference column"
            )
        return frame[self.columns_]

    def transform(self, X: Any) -> np.ndarray:
        """The numeric matrix of ``X``: one row per input row, ``feature_names_out_`` columns."""
        check_fitted(self, "feature_names_out_")
        frame = self._align(X)
        values = self._numeric_matrix(frame, X)
        missing = np.isnan(values)
        filled = np.where(missing, self.medians_, values)
        blocks = [(filled - self.means_) / self.scales_]
        if self.indicator_columns_:
            where = [self.numeric_columns_.index(c) for c in self.indicator_columns_]
            blocks.append(missing[:, where].astype(np.float64))
        # frame is None only for plain numeric arrays, which have no categories.
        if frame is not None:
            for c in self.categorical_columns_:
                cats = self.categories_[c]
                codes = pd.Index(cats).get_indexer(pd.Index(_category_values(frame[c])))
                onehot = np.zeros((len(frame), len(cats)))
                seen = codes >= 0
                onehot[np.flatnonzero(seen), codes[seen]] = 1.0
                blocks.append(onehot)
        return np.hstack(blocks)
