"""What every comparison of forms needs: rows to check on, agreement, and timed calls.

Agreement is the share of rows on which a form answers as the original does:
the same label for a classifier; for a regressor, a value within 1% of the
spread (standard deviation) of the original's answers on those rows, so the
tolerance follows the scale of what the model predicts.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from driftline.errors import InputError
from driftline.io import read_frame
from driftline.registry import Prediction, load_profile

if TYPE_CHECKING:
    from driftline.registry import ModelVersion
    from driftline.schema import Signature
    from driftline.store import Context

__all__ = ["Agreement", "Timing", "agreement", "check_rows", "tile", "time_calls"]

REGRESSION_TOLERANCE = 0.01  # of the standard deviation of the original's answers


@dataclasses.dataclass(frozen=True)
class Agreement:
    """How far one form's answers match the original's on the same rows."""

    share: float  # rows answered alike
    rows: int
    max_abs_diff: float | None = None  # largest gap of a probability (or value)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Timing:
    """Calls of one batch size: latency percentiles and rows answered per second."""

    batch: int
    calls: int
    p50_ms: float
    p99_ms: float
    rows_per_second: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def check_rows(
    ctx: Context, mv: ModelVersion, data: Any, *, limit: int = 5000, seed: int = 0
) -> tuple[pd.DataFrame, str]:
    """Rows to compare forms on, and where they came from, in words.

    ``data`` (a frame or a file) is best: rows the model did not train on. Without
    it, the rows sampled from the training data at registration serve.
    """
    signature = _signature(mv)
    if data is not None:
        frame = read_frame(data, text=signature.text_columns(), what="the rows to check on")
        missing = [n for n in signature.names if n not in frame.columns]
        if missing:
            raise InputError(
                f"the rows to check on lack column(s) {', '.join(map(repr, missing))} that "
                f"{mv.ref} takes; give rows with columns {', '.join(signature.names)}"
            )
        frame = frame[signature.names]
        signature.validate(frame)
        if len(frame) > limit:
            frame = frame.sample(limit, random_state=seed)
        where = (
            f"{len(frame):,} rows of {data if isinstance(data, str | Path) else 'the data given'}"
        )
    else:
        frame = _training_sample(ctx, mv, signature)
        where = f"{len(frame):,} rows sampled from the training data at registration"
    if not len(frame):
        raise InputError(f"no rows to check {mv.ref} on; give some with --data")
    return frame.reset_index(drop=True), where


def _signature(mv: ModelVersion) -> Signature:
    if mv.signature is None:
        raise InputError(
            f"{mv.ref} has no signature (it was registered without training data); "
            "register it with train= first"
        )
    return mv.signature


def _training_sample(ctx: Context, mv: ModelVersion, signature: Signature) -> pd.DataFrame:
    values = load_profile(ctx, mv).reservoir.values
    columns: dict[str, Any] = {}
    for c in signature.columns:
        raw = np.asarray(values.get(c.name, np.empty(0)))
        if c.kind == "integer" and raw.size and not np.isnan(raw.astype(float)).any():
            columns[c.name] = raw.astype(np.int64)
        elif c.kind == "boolean" and raw.size and not np.isnan(raw.astype(float)).any():
            columns[c.name] = raw.astype(bool)
        else:
            columns[c.name] = raw
    return pd.DataFrame(columns, columns=signature.names)


def agreement(expected: Prediction, got: Prediction, classifier: bool) -> Agreement:
    """How often ``got`` answers as ``expected`` does, row by row."""
    n = len(expected)
    if not n:
        return Agreement(1.0, 0)
    if classifier:
        same = expected.labels.astype(str) == got.labels.astype(str)
        diff = None
        if expected.probabilities is not None and got.probabilities is not None:
            gap = np.abs(expected.probabilities - got.probabilities)
            diff = float(gap.max()) if gap.size else 0.0
        return Agreement(float(same.mean()), n, diff)
    e = expected.labels.astype(float)
    g = got.labels.astype(float)
    gap = np.abs(e - g)
    tolerance = REGRESSION_TOLERANCE * max(float(np.std(e)), 1e-12)
    return Agreement(float((gap <= tolerance).mean()), n, float(gap.max()))


def tile(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    """``rows`` rows, repeating ``frame`` as needed."""
    if len(frame) >= rows:
        return frame.iloc[:rows].reset_index(drop=True)
    times = -(-rows // len(frame))
    return pd.concat([frame] * times, ignore_index=True).iloc[:rows]


def time_calls(
    call: Callable[[], Any], batch: int, *, seconds: float = 0.5, max_calls: int = 2000
) -> Timing:
    """Call repeatedly for about ``seconds`` (at least 5 calls) after one warm-up."""
    call()
    took: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(took) < max_calls and (len(took) < 5 or time.perf_counter() < deadline):
        started = time.perf_counter()
        call()
        took.append(time.perf_counter() - started)
    spent = np.asarray(took)
    return Timing(
        batch=batch,
        calls=len(took),
        p50_ms=float(np.percentile(spent, 50) * 1e3),
        p99_ms=float(np.percentile(spent, 99) * 1e3),
        rows_per_second=float(batch * len(took) / spent.sum()) if spent.sum() else 0.0,
    )
