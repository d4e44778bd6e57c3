"""Convert scikit-learn models to ONNX at registration, and keep the result only if it agrees.

A single-row call of a forest costs milliseconds in scikit-learn and
microseconds in ONNX Runtime, so serving prefers ONNX, but never at the price
of different answers: the converted model must match the original's labels
on at least 99.9% of a training sample, and its probabilities within 1e-4 on
as many. The measured agreement is recorded with the version.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from driftline.registry._flavors import OnnxModel
from driftline.schema import Signature

__all__ = ["convert"]

SAMPLE_ROWS = 2000
MIN_AGREEMENT = 0.999
PROBA_TOLERANCE = 1e-4


def _initial_types(
    signature: Signature, model: Any, precision: str
) -> list[tuple[str, Any]] | None:
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        StringTensorType,
    )

    number = DoubleTensorType if precision == "double" else FloatTensorType
    numeric = all(c.kind in ("integer", "number", "boolean") for c in signature.columns)
    uses_names = _has_column_transformer(model)
    if numeric and not uses_names:
        return [("X", number([None, len(signature.columns)]))]
    types: list[tuple[str, Any]] = []
    for c in signature.columns:
        if c.kind in ("number", "boolean", "integer"):
            # One float type for every number: mixed int64/double inputs break Concat nodes.
            types.append((c.name, number([None, 1])))
        elif c.kind in ("category", "string"):
            types.append((c.name, StringTensorType([None, 1])))
        else:
            return None  # datetimes: no faithful ONNX input
    return types


def _has_column_transformer(model: Any) -> bool:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if isinstance(model, ColumnTransformer):
        return True
    if isinstance(model, Pipeline):
        return any(_has_column_transformer(step) for _, step in model.steps)
    return False


def _agreement(model: Any, onnx: OnnxModel, sample: pd.DataFrame) -> dict[str, Any]:
    expected = np.asarray(model.predict(sample))
    got = onnx.predict(sample)
    labels = float(np.mean(expected.astype(str) == got.astype(str)))
    result: dict[str, Any] = {"label_agreement": labels, "rows_checked": len(sample)}
    if hasattr(model, "predict_proba"):
        diff = np.abs(np.asarray(model.predict_proba(sample)) - onnx.predict_proba(sample))
        result["max_abs_diff"] = float(diff.max()) if diff.size else 0.0
        result["proba_agreement"] = float(np.mean(diff.max(axis=1) <= PROBA_TOLERANCE))
    else:
        tol = PROBA_TOLERANCE * max(1.0, float(np.abs(expected).max(initial=0.0)))
        close = np.abs(expected.astype(float) - got.astype(float)) <= tol
        result["label_agreement"] = float(np.mean(close))
        result["max_abs_diff"] = float(
            np.abs(expected.astype(float) - got.astype(float)).max(initial=0.0)
        )
    return result


def convert(
    model: Any, signature: Signature, train: pd.DataFrame
) -> tuple[bytes, dict[str, Any]] | None:
    """ONNX bytes and the agreement measured, or None when no faithful conversion exists."""
    try:
        from skl2onnx import convert_sklearn
    except ImportError:  # pragma: no cover - skl2onnx is a core dependency
        return None
    sample = train[signature.names]
    if len(sample) > SAMPLE_ROWS:
        sample = sample.sample(SAMPLE_ROWS, random_state=0)
    best: tuple[bytes, dict[str, Any]] | None = None
    for precision in ("float", "double"):
        types = _initial_types(signature, model, precision)
        if types is None:
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                options = (
                    {id(model): {"zipmap": False}} if hasattr(model, "predict_proba") else None
                )
                proto = convert_sklearn(model, initial_types=types, options=options)
            data = proto.SerializeToString()
            checked = _agreement(model, OnnxModel(data), sample)
        except Exception:  # any converter or runtime failure means "no ONNX"
            continue
        checked["precision"] = precision
        score = min(checked["label_agreement"], checked.get("proba_agreement", 1.0))
        if best is None or score > min(
            best[1]["label_agreement"], best[1].get("proba_agreement", 1.0)
        ):
            best = (data, checked)
    if best is None:
        return None
    agreement = min(best[1]["label_agreement"], best[1].get("proba_agreement", 1.0))
    return best if agreement >= MIN_AGREEMENT else None
