"""The forms one version can answer in: scikit-learn, ONNX, ONNX int8 or float16, compiled trees.

Each form is the same model made smaller or faster; how far each one still
agrees with the original is measured (``_measure``), never assumed.

- ``onnx``: the conversion made at registration (or the ONNX file registered).
- ``onnx-int8``: onnxruntime's dynamic quantization: the weights of matrix
  products stored as 8-bit integers. Trees and linear ops of ONNX-ML have no
  such weights, so for them it changes nothing; :attr:`Form.note` says so.
- ``onnx-float16``: the graph's float weights stored in half precision
  (half the bytes), read back as float32 where they are used.
- ``compiled``: a tree ensemble compiled to native code with Treelite
  (``pip install 'driftline[edge]'``), where int8 does nothing for trees.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from driftline.errors import InputError, MissingDependencyError, require
from driftline.registry import OnnxModel, Prediction

if TYPE_CHECKING:
    from driftline.registry import ModelVersion
    from driftline.store import Context

__all__ = [
    "QUANTIZE",
    "Form",
    "compiled_form",
    "onnx_bytes",
    "onnx_form",
    "quantized",
    "sklearn_form",
]

QUANTIZE = ("int8", "float16")
# Ops whose weights dynamic int8 quantization rewrites.
_INT8_OPS = frozenset({"MatMul", "Gemm", "Conv", "Attention", "LSTM", "GRU"})
# Weights smaller than this stay float32: a Cast costs more than the bytes saved.
_HALF_MIN_SIZE = 16
# Tree ensembles Treelite reads straight from scikit-learn.
_TREES = frozenset(
    {
        "RandomForestClassifier",
        "RandomForestRegressor",
        "ExtraTreesClassifier",
        "ExtraTreesRegressor",
        "GradientBoostingClassifier",
        "GradientBoostingRegressor",
    }
)


@dataclasses.dataclass
class Form:
    """One way to answer: a name, a size in bytes, and a call on a DataFrame of the inputs."""

    name: str
    size: int
    predict: Callable[[pd.DataFrame], Prediction]
    onnx: bytes | None = None  # the graph, for the ONNX forms
    note: str = ""  # why this form is the same as another, or how it was made
    build_seconds: float = 0.0
    folder: Path | None = None  # files the form needs while it lives (a compiled library)


def onnx_bytes(ctx: Context, mv: ModelVersion) -> bytes:
    """The version's ONNX graph, sha256-verified; an error saying why when it has none."""
    if mv.flavor == "onnx":
        key, digest = mv.artifact_key, mv.sha256
    else:
        info = mv.runtimes.get("onnx")
        if not info:
            raise InputError(
                f"{mv.ref} has no ONNX form: at registration no conversion agreed with the "
                "model (or it was registered without training data), so it cannot be exported; "
                "register it again with train= from data it was trained on"
            )
        key, digest = info["key"], info["sha256"]
    return ctx.artifacts.get_blob(
        key, digest, what=f"the ONNX form of {mv.ref}", remedy=f"register {mv.name} again"
    )


def _answer(outputs: list[Any], classifier: bool) -> Prediction:
    labels = np.asarray(outputs[0]).ravel()
    probs = None
    if classifier and len(outputs) > 1:
        raw = outputs[1]
        if isinstance(raw, list):  # ZipMap: one dict per row
            keys = sorted(raw[0]) if raw else []
            probs = np.array([[row[k] for k in keys] for row in raw], dtype=float)
        else:
            probs = np.asarray(raw, dtype=float)
    return Prediction(labels, probs)


def onnx_form(name: str, data: bytes, classifier: bool, note: str = "") -> Form:
    model = OnnxModel(data)
    return Form(name, len(data), lambda frame: _answer(model.run(frame), classifier), data, note)


def sklearn_form(model: Any, size: int, classifier: bool) -> Form:
    proba = classifier and hasattr(model, "predict_proba")

    def predict(frame: pd.DataFrame) -> Prediction:
        labels = np.asarray(model.predict(frame))
        return Prediction(labels, np.asarray(model.predict_proba(frame)) if proba else None)

    return Form("sklearn", size, predict)


def quantized(data: bytes, how: str) -> tuple[bytes, str]:
    """The graph quantized ``how`` (int8 or float16), and a note when that changed nothing."""
    import onnx

    if how not in QUANTIZE:
        raise InputError(f"--quantize must be one of {', '.join(QUANTIZE)}, got {how!r}")
    model = onnx.load_model_from_string(data)
    ops = {node.op_type for node in model.graph.node}
    trees = any(op.startswith("TreeEnsemble") for op in ops)
    hint = "; for trees, driftline bench measures the compiled form Treelite makes" if trees else ""
    if how == "int8":
        if not ops & _INT8_OPS:
            # Nothing to quantize (and onnxruntime refuses graphs of ONNX-ML ops alone).
            return data, (
                "int8 changes nothing here: the graph has no matrix products, only "
                f"{', '.join(sorted(ops))} (trees and linear ops keep their full precision){hint}"
            )
        from onnxruntime.quantization import QuantType, quantize_dynamic

        with tempfile.TemporaryDirectory() as tmp:
            src, dst = Path(tmp) / "in.onnx", Path(tmp) / "out.onnx"
            src.write_bytes(data)
            logging.disable(logging.WARNING)  # its advice to pre-process goes to the root logger
            try:
                quantize_dynamic(src, dst, weight_type=QuantType.QInt8)
            finally:
                logging.disable(logging.NOTSET)
            return dst.read_bytes(), ""
    half, count = _half_weights(model)
    note = (
        ""
        if count
        else "float16 changes nothing here: the graph keeps no weights as tensors, only "
        f"{', '.join(sorted(ops))} with their numbers in attributes{hint}"
    )
    return half.SerializeToString(), note


def _half_weights(model: Any) -> tuple[Any, int]:
    """Store float weights in half precision, cast back to float32 where they are read.

    On a CPU, onnxruntime computes in float32 either way (its half-precision
    kernels are few and no faster there), so this halves the file and rounds
    the weights as a half-precision model would, and the arithmetic stays sound.
    """
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    casts = []
    for init in list(graph.initializer):
        if init.data_type != TensorProto.FLOAT or np.prod(init.dims) < _HALF_MIN_SIZE:
            continue
        values = numpy_helper.to_array(init).astype(np.float16)
        half = numpy_helper.from_array(values, f"{init.name}_float16")
        graph.initializer.remove(init)
        graph.initializer.append(half)
        casts.append(
            helper.make_node(
                "Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=f"{init.name}_cast"
            )
        )
    for i, cast in enumerate(casts):  # first, so the graph stays in order
        graph.node.insert(i, cast)
    return model, len(casts)


def compiled_form(model: Any, mv: ModelVersion, classifier: bool) -> Form | str:
    """The model compiled to native code with Treelite, or a sentence saying why not."""
    kind = type(model).__name__
    if kind not in _TREES:
        return f"no compiled form: Treelite compiles tree ensembles, and {mv.ref} is a {kind}"
    signature = mv.signature
    if signature is None or any(c.kind in ("category", "string") for c in signature.columns):
        return "no compiled form: Treelite takes numbers only, and this model reads text columns"
    try:
        treelite = require("treelite", "edge")
        tl2cgen = require("tl2cgen", "edge")
    except MissingDependencyError as exc:
        return f"no compiled form: {exc}"
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="driftline-compiled-"))
    library = folder / "model.so"
    try:
        imported = treelite.sklearn.import_model(model)  # type: ignore[attr-defined]
        cores = os.cpu_count() or 1  # a forest compiles as one source file per core, in parallel
        tl2cgen.export_lib(  # type: ignore[attr-defined]
            imported,
            toolchain="gcc",
            libpath=str(library),
            params={"parallel_comp": cores} if cores > 1 else {},
            nthread=cores,
        )
        predictor = tl2cgen.Predictor(str(library), nthread=1)  # type: ignore[attr-defined]
    except Exception as exc:  # a missing compiler or an unsupported tree: no compiled form
        shutil.rmtree(folder, ignore_errors=True)
        return f"no compiled form: Treelite could not compile {mv.ref} ({exc})"
    classes = np.asarray(getattr(model, "classes_", []))
    names = signature.names

    def predict(frame: pd.DataFrame) -> Prediction:
        matrix = frame[names].to_numpy(dtype=np.float32)
        raw = np.asarray(predictor.predict(tl2cgen.DMatrix(matrix)))  # type: ignore[attr-defined]
        raw = raw.reshape(len(frame), -1)
        if not classifier:
            return Prediction(raw[:, 0])
        probs = np.column_stack([1 - raw[:, 0], raw[:, 0]]) if raw.shape[1] == 1 else raw
        return Prediction(classes[np.argmax(probs, axis=1)], probs)

    took = time.perf_counter() - started
    note = f"Treelite, compiled with gcc in {took:.1f} s"
    return Form("compiled", library.stat().st_size, predict, None, note, took, folder)
