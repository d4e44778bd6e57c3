"""The model registry: versions, aliases, lineage, model cards, safe artifacts."""

from driftline.registry._flavors import OnnxModel
from driftline.registry._registry import (
    get,
    list_models,
    list_versions,
    load_model,
    load_onnx,
    load_profile,
    register,
    remove_alias,
    set_alias,
)
from driftline.registry._version import ModelSummary, ModelVersion, parse_ref

__all__ = [
    "ModelSummary",
    "ModelVersion",
    "OnnxModel",
    "get",
    "list_models",
    "list_versions",
    "load_model",
    "load_onnx",
    "load_profile",
    "parse_ref",
    "register",
    "remove_alias",
    "set_alias",
]
