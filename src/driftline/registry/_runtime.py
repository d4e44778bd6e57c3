"""A loaded model version ready to answer: the fastest runtime that agrees, behind one call."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from driftline.errors import InputError
from driftline.registry._registry import get, load_model, load_onnx

if TYPE_CHECKING:
    from driftline.registry._version import ModelVersion
    from driftline.store import Context

__all__ = ["ModelRuntime", "Prediction"]


@dataclasses.dataclass(slots=True)
class Prediction:
    """Labels (or values) per row, and class probabilities for classifiers.

    Slotted, not frozen: the server makes one per request, and a frozen
    dataclass's ``__init__`` costs five times as much. Nothing changes one.
    """

    labels: np.ndarray
    probabilities: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def slice(self, start: int, stop: int) -> Prediction:
        probs = self.probabilities[start:stop] if self.probabilities is not None else None
        return Prediction(self.labels[start:stop], probs)


class ModelRuntime:
    """One version of one model, loaded once and called many times."""

    def __init__(self, version: ModelVersion, model: Any, onnx: Any = None) -> None:
        if version.signature is None:
            raise InputError(
                f"{version.ref} has no signature (it was registered without training data), "
                "so requests cannot be checked; register it with train= to serve it"
            )
        self.version = version
        self.signature = version.signature
        self.names = self.signature.names  # column order; the signature rebuilds it per call
        self.model = model
        self.onnx = onnx
        self.engine = "onnx" if onnx is not None else "sklearn"
        output = self.signature.output
        self.classes = list(output.classes) if output and output.classes else None
        self.is_classifier = bool(output and output.task == "classification")
        self._proba = self.is_classifier and (onnx is not None or hasattr(model, "predict_proba"))
        self.call_seconds = 0.0  # moving average of one model call, for the batcher
        # All-numeric inputs travel as one float64 matrix (columns in signature order):
        # batching them is one np.concatenate, and ONNX takes them as they are.
        self.numeric = all(
            c.kind in ("integer", "number", "boolean") for c in self.signature.columns
        )
        # The request fast path (a matrix straight from the wire) covers integers and
        # numbers; booleans keep the DataFrame path and its stricter type checks.
        self.matrix_inputs = all(c.kind in ("integer", "number") for c in self.signature.columns)

    @classmethod
    def load(cls, ctx: Context, ref: str | ModelVersion) -> ModelRuntime:
        mv = ref if not isinstance(ref, str) else get(ctx, ref)
        model = load_model(ctx, mv)
        onnx = load_onnx(ctx, mv)
        runtime = cls(mv, model, onnx)
        runtime.warm_up()
        return runtime

    @property
    def name(self) -> str:
        return self.version.name

    def warm_up(self) -> None:
        """One call before traffic arrives, so the first request pays no lazy set-up."""
        row: dict[str, Any] = {}
        for c in self.signature.columns:
            if c.kind in ("integer", "number"):
                row[c.name] = c.min if c.min is not None else 0.0
            elif c.kind == "boolean":
                row[c.name] = False
            elif c.categories:
                row[c.name] = c.categories[0]
            else:
                row[c.name] = ""
        frame = pd.DataFrame([row], columns=self.names)
        for c in self.signature.columns:
            if c.kind == "integer":
                frame[c.name] = frame[c.name].astype("int64")
        self.predict(self.prepare(frame))

    def prepare(self, frame: pd.DataFrame) -> np.ndarray | pd.DataFrame:
        """A validated request in the form batches are made of."""
        if self.numeric:
            return frame[self.names].to_numpy(dtype=np.float64)
        return frame

    def frame(self, payload: np.ndarray | pd.DataFrame) -> pd.DataFrame:
        if isinstance(payload, pd.DataFrame):
            return payload
        frame = pd.DataFrame(payload, columns=self.names)
        for c in self.signature.columns:
            if c.kind == "integer":
                frame[c.name] = frame[c.name].astype("int64")
            elif c.kind == "boolean":
                frame[c.name] = frame[c.name].astype(bool)
        return frame

    def predict(self, payload: np.ndarray | pd.DataFrame) -> Prediction:
        """Answer a validated batch (a DataFrame, or the matrix :meth:`prepare` made)."""
        started = time.perf_counter()
        if self.onnx is not None and isinstance(payload, np.ndarray):
            return self._answer(self.onnx.run_matrix(payload), started)
        if self.onnx is not None:
            return self._answer(self.onnx.run(payload), started)
        frame = self.frame(payload)
        labels = np.asarray(self.model.predict(frame))
        probs = np.asarray(self.model.predict_proba(frame), dtype=float) if self._proba else None
        return self._done(labels, probs, started)

    def predict_columns(self, columns: Mapping[str, np.ndarray]) -> Prediction | None:
        """Answer validated rows given as one 1-D array per input column (text as ``str``).

        The same answer :meth:`predict` gives for the frame of these columns,
        without making the frame: for batch jobs, whose rows arrive as Arrow
        columns. None when the model runs without ONNX (it needs the frame).
        """
        if self.onnx is None:
            return None
        started = time.perf_counter()
        if self.numeric:  # as prepare() makes it: one float64 matrix in signature order
            matrix = np.column_stack([columns[n].astype(np.float64) for n in self.names])
            return self._answer(self.onnx.run_matrix(matrix), started)
        return self._answer(self.onnx.run_columns(columns), started)

    def _answer(self, outputs: list[Any], started: float) -> Prediction:
        labels = np.asarray(outputs[0]).ravel()
        probs = np.asarray(outputs[1], dtype=float) if self._proba and len(outputs) > 1 else None
        return self._done(labels, probs, started)

    def _done(self, labels: np.ndarray, probs: np.ndarray | None, started: float) -> Prediction:
        if labels.dtype.kind == "O" and self.classes is not None:
            labels = labels.astype(str) if all(isinstance(c, str) for c in self.classes) else labels
        elapsed = time.perf_counter() - started
        self.call_seconds = (
            elapsed if not self.call_seconds else 0.9 * self.call_seconds + 0.1 * elapsed
        )
        return Prediction(labels, probs)
