"""Turn a model into stored bytes and back, safely.

- scikit-learn objects are stored with skops and loaded only when every type
  in the file is trusted: skops' own defaults, types from scikit-learn, NumPy
  and SciPy, and those the workspace's settings add.
- ONNX files are loaded with onnxruntime; they carry no code.
- Pickle (and joblib) files can run any code when loaded: refused unless the
  caller says ``trust=True``, a decision the audit chain records.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from driftline.errors import ArtifactError, InputError, UntrustedArtifactError

__all__ = ["Flavor", "OnnxModel", "dump", "load", "model_classes"]

Flavor = Literal["sklearn", "onnx", "pickle"]

# Top-level packages whose types we trust inside a skops file: their classes
# restore state without running user code.
TRUSTED_PACKAGES = ("sklearn", "numpy", "scipy")
# driftline's own wrapper types that may sit in a skops file: our code, whose
# state is plain NumPy arrays, numbers and scikit-learn objects (no callables).
TRUSTED_TYPES = (
    "driftline.calibration.CalibratedModel",
    "driftline.calibration.IdentityCalibrator",
    "driftline.calibration.IsotonicCalibrator",
    "driftline.calibration.PlattCalibrator",
    "driftline.calibration.TemperatureCalibrator",
)
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pck")


def dump(model: Any, *, trust: bool = False) -> tuple[Flavor, bytes]:
    """Serialize an estimator, or read a model file given as a path."""
    if isinstance(model, str | Path):
        return _from_file(Path(model), trust=trust)
    if isinstance(model, bytes | bytearray):
        raise ArtifactError("pass a model object or a file path, not raw bytes")
    if not hasattr(model, "predict") and not hasattr(model, "transform"):
        raise ArtifactError(
            f"{type(model).__name__} is not a model: expected a scikit-learn estimator or "
            "pipeline (with predict), or the path of a .skops, .onnx or pickle file"
        )
    import skops.io as sio

    try:
        data: bytes = sio.dumps(model)
    except (TypeError, AttributeError, NotImplementedError) as exc:
        raise ArtifactError(f"skops cannot store {type(model).__name__}: {exc}") from exc
    return "sklearn", data


def _from_file(path: Path, *, trust: bool) -> tuple[Flavor, bytes]:
    if not path.is_file():
        raise ArtifactError(f"model file {str(path)!r} does not exist")
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        _check_onnx(data, path)
        return "onnx", data
    if suffix == ".skops":
        return "sklearn", data
    if suffix in _PICKLE_SUFFIXES or data[:1] == b"\x80":
        if not trust:
            raise UntrustedArtifactError(
                f"{path.name} is a pickle file, and loading a pickle can run any code it "
                "contains; register it only if you trust its source, with trust=True "
                "(CLI: --trust-pickle), or save the model with skops instead"
            )
        return "pickle", data
    raise ArtifactError(
        f"cannot tell what kind of model {path.name} is: expected a .skops, .onnx, "
        ".pkl or .joblib file"
    )


def _check_onnx(data: bytes, path: Path) -> None:
    import onnx

    try:
        onnx.checker.check_model(onnx.load_model_from_string(data))
    except Exception as exc:  # onnx raises several unrelated types for bad files
        raise ArtifactError(f"{path.name} is not a valid ONNX model: {exc}") from exc


def untrusted_types(data: bytes, extra_trusted: Sequence[str] = ()) -> list[str]:
    """Types in a skops file that are neither skops defaults nor from trusted packages."""
    import skops.io as sio

    try:
        found = sio.get_untrusted_types(data=data)
    except Exception as exc:  # skops raises zipfile/json errors on corrupt files
        raise ArtifactError(f"the artifact is not a readable skops file: {exc}") from exc
    allowed = {*extra_trusted, *TRUSTED_TYPES}
    return sorted(
        t for t in found if t not in allowed and t.split(".", 1)[0] not in TRUSTED_PACKAGES
    )


def load(
    flavor: str, data: bytes, *, extra_trusted: Sequence[str] = (), pickle_trusted: bool = False
) -> Any:
    """Rebuild a model from verified bytes."""
    if flavor == "sklearn":
        bad = untrusted_types(data, extra_trusted)
        if bad:
            raise UntrustedArtifactError(
                f"the skops artifact contains untrusted type(s) {', '.join(bad)}; loading "
                "them could run code. If you trust them, add them to trusted_types in "
                "driftline.toml (or DRIFTLINE_TRUSTED_TYPES)",
                untrusted=bad,
            )
        import skops.io as sio

        found = sio.get_untrusted_types(data=data)
        return sio.loads(data, trusted=found)
    if flavor == "onnx":
        return OnnxModel(data)
    if flavor == "pickle":
        if not pickle_trusted:
            raise UntrustedArtifactError("this pickle artifact was never trusted; refusing it")
        return pickle.load(io.BytesIO(data))
    raise ArtifactError(f"unknown artifact flavor {flavor!r}")


def model_classes(model: Any) -> list[Any] | None:
    classes = getattr(model, "classes_", None)
    if classes is None:
        return None
    return [c.item() if isinstance(c, np.generic) else c for c in np.asarray(classes).tolist()]


class OnnxModel:
    """An ONNX model behind the familiar ``predict`` / ``predict_proba`` calls."""

    def __init__(self, data: bytes, *, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        # Serving calls are small and concurrent: one thread per call, no spinning,
        # or onnxruntime's pool fights the server's event loop for the cores.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(
                data, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ArtifactError(f"onnxruntime cannot load the model: {exc}") from exc
        self.inputs = self.session.get_inputs()
        self.outputs = [o.name for o in self.session.get_outputs()]

    def _feed(self, X: Any) -> dict[str, Any]:
        import pandas as pd

        if len(self.inputs) == 1:
            arr = X.to_numpy() if isinstance(X, pd.DataFrame) else np.asarray(X)
            return {self.inputs[0].name: _as_onnx(arr, self.inputs[0].type)}
        if not isinstance(X, pd.DataFrame):
            raise ArtifactError(
                f"this ONNX model takes {len(self.inputs)} named inputs; pass a DataFrame "
                f"with columns {', '.join(i.name for i in self.inputs)}"
            )
        return {i.name: _as_onnx(X[[i.name]].to_numpy(), i.type) for i in self.inputs}

    def run(self, X: Any) -> list[Any]:
        return list(self.session.run(None, self._feed(X)))

    def run_columns(self, columns: Mapping[str, np.ndarray]) -> list[Any]:
        """Run a model of named inputs on one 1-D array per input, by name.

        Text arrives as an object array of ``str``; handed over as it is, where
        the DataFrame path copies every value twice (to fixed-width text and back).
        """
        feed = {}
        for i in self.inputs:
            column = columns[i.name].reshape(-1, 1)
            text = "string" in i.type and column.dtype == object
            if text and _all_str(column.ravel()):
                feed[i.name] = column
            else:
                feed[i.name] = _as_onnx(column, i.type)
        return list(self.session.run(None, feed))

    def run_matrix(self, matrix: np.ndarray) -> list[Any]:
        """Run on a 2-D numeric array whose columns are the inputs in order."""
        if len(self.inputs) == 1:
            feed = {self.inputs[0].name: _as_onnx(matrix, self.inputs[0].type)}
        else:
            feed = {
                i.name: _as_onnx(matrix[:, k : k + 1], i.type) for k, i in enumerate(self.inputs)
            }
        return list(self.session.run(None, feed))

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.run(X)[0]).ravel()

    def predict_proba(self, X: Any) -> np.ndarray:
        out = self.run(X)
        if len(out) < 2:
            raise ArtifactError("this ONNX model has no probability output")
        probs = out[1]
        if isinstance(probs, list):  # ZipMap output: one dict per row
            keys = sorted(probs[0]) if probs else []
            return np.array([[row[k] for k in keys] for row in probs], dtype=float)
        return np.asarray(probs, dtype=float)


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _all_str(values: np.ndarray) -> bool:
    """Every value a ``str``, asked of pandas' C type scan rather than value by value."""
    import pandas as pd

    return bool(pd.api.types.infer_dtype(values, skipna=False) == "string")


def _as_onnx(arr: np.ndarray, onnx_type: str) -> np.ndarray:
    if "float" in onnx_type and "double" not in onnx_type:
        if arr.dtype.kind == "f" and arr.size:
            # A finite float64 beyond float32's range would silently become inf.
            big = np.abs(arr) > _FLOAT32_MAX  # NaN compares False
            if big.any():
                big &= np.isfinite(arr)
            if big.any():
                value = arr[np.nonzero(big)][0]
                raise InputError(
                    f"value {float(value):g} is beyond the range this model accepts "
                    f"(at most {_FLOAT32_MAX:.3g} in magnitude)"
                )
        return arr.astype(np.float32)
    if "double" in onnx_type:
        return arr.astype(np.float64)
    if "int64" in onnx_type:
        return arr.astype(np.int64)
    if "string" in onnx_type:
        return arr.astype(str).astype(object)
    return arr
