"""The model registry: versions, aliases, lineage, model cards, safe artifacts.

:class:`ModelRuntime` is a version loaded to answer: the fastest runtime that agrees with
the original (ONNX or the model itself) behind one call, for every way of scoring.
"""

from driftline.registry._audited import DATA_AUDIT, audit_required, recorded_audit
from driftline.registry._card import render_markdown
from driftline.registry._flavors import OnnxModel
from driftline.registry._registry import (
    get,
    list_models,
    list_versions,
    load_guard,
    load_model,
    load_onnx,
    load_profile,
    register,
    remove_alias,
    set_alias,
    stamp,
)
from driftline.registry._runtime import ModelRuntime, Prediction
from driftline.registry._version import ModelSummary, ModelVersion, parse_ref

__all__ = [
    "DATA_AUDIT",
    "ModelRuntime",
    "ModelSummary",
    "ModelVersion",
    "OnnxModel",
    "Prediction",
    "audit_required",
    "get",
    "list_models",
    "list_versions",
    "load_guard",
    "load_model",
    "load_onnx",
    "load_profile",
    "parse_ref",
    "recorded_audit",
    "register",
    "remove_alias",
    "render_markdown",
    "set_alias",
    "stamp",
]
