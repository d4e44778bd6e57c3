"""The rows to judge a model on: read them, find the label, pick the model's inputs.

Files and Arrow or polars tables are read by :mod:`driftline.io`, as every
table is, so a CSV keeps a zip code as text when the signature says it is
text. A pandas frame is used as given: its dtypes are what the model was
fitted on.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from driftline.errors import InputError
from driftline.io import read_frame

if TYPE_CHECKING:
    from driftline.schema import Signature

__all__ = ["Batch", "read_labelled", "split_batch"]


def read_labelled(
    data: Any, *, signature: Signature | None = None, target: str | None = None
) -> pd.DataFrame:
    """``data`` as a pandas DataFrame: a frame, an Arrow or polars table, or a CSV/Parquet path.

    From a CSV, columns the signature knows as text stay text, and so does the
    label column ``target`` (default: the signature's) when the model's
    classes are text.
    """
    if isinstance(data, pd.Series | np.ndarray | list | dict):
        raise InputError(
            f"data must be a table with named columns (a pandas or polars DataFrame, an Arrow "
            f"table, or a CSV or Parquet file), got {type(data).__name__}; the label is found "
            f"by its column name"
        )
    text = signature.text_columns(target) if signature is not None else []
    return read_frame(data, text=text, what="the evaluation data")


@dataclass(frozen=True)
class Batch:
    """The model's inputs, the labels, and the other columns (for slices), row-aligned."""

    features: pd.DataFrame
    labels: np.ndarray
    frame: pd.DataFrame  # every column but the label: slices may use any of them
    dropped: int  # rows without a label, left out


def split_batch(
    frame: pd.DataFrame,
    target: str,
    *,
    signature: Signature | None = None,
    model: Any = None,
) -> Batch:
    """Split ``frame`` into model inputs and labels; rows without a label are left out."""
    if not isinstance(target, str) or not target:
        raise InputError(f"target must be the name of the label column, got {target!r}")
    columns = [str(c) for c in frame.columns]
    if target not in frame.columns:
        hint = difflib.get_close_matches(target, columns, n=1)
        raise InputError(
            f"target column {target!r} is not in the data"
            + (f"; did you mean {hint[0]!r}?" if hint else "")
            + f" (columns available: {', '.join(columns) if columns else 'none'})"
        )
    if len(frame) == 0:
        raise InputError("the evaluation data has no rows; pass labelled rows to judge the model")
    labelled = frame[target].notna().to_numpy()
    dropped = int((~labelled).sum())
    if not labelled.any():
        raise InputError(
            f"every value of the target column {target!r} is missing; pass rows with labels"
        )
    if dropped:
        frame = frame.loc[labelled].reset_index(drop=True)
    rest = frame.drop(columns=[target])
    names = _input_names(rest, target, signature, model)
    features = rest[names]
    if signature is not None:
        signature.validate(features)
    return Batch(features=features, labels=frame[target].to_numpy(), frame=rest, dropped=dropped)


def _input_names(
    rest: pd.DataFrame, target: str, signature: Signature | None, model: Any
) -> list[str]:
    """The columns the model takes: the signature's, else the ones it was fitted on, else all."""
    wanted: list[str] | None = None
    source = ""
    if signature is not None:
        wanted, source = signature.names, "the model's signature"
    elif getattr(model, "feature_names_in_", None) is not None:
        wanted, source = [str(c) for c in model.feature_names_in_], "the model was fitted on"
    if wanted is None:
        return [str(c) for c in rest.columns]
    if target in wanted:
        raise InputError(
            f"the target column {target!r} is one of the model's inputs ({source}); "
            f"pass the label column the model predicts"
        )
    missing = [c for c in wanted if c not in rest.columns]
    if missing:
        raise InputError(
            f"the data lacks the model's input column(s) {', '.join(map(repr, missing))} "
            f"({source}); it has: {', '.join(map(str, rest.columns))}"
        )
    return wanted
