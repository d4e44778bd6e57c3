"""The OpenAPI document: every answer a route gives, and each deployed model's own requests.

FastAPI describes the routes as written: one ``/v1/models/{name}/predict``
whose body is "records", whatever the model. That is not what the server
accepts: a record must hold the model's columns, with their types. So the
prediction operations are described per deployed model instead, their bodies
built from the served version's signature (``/v1/models/forest/predict``,
``/v2/models/forest/infer``, ``/v2/models/forest/versions/1/infer``), and the
document follows the deployments as aliases move.

Where a body cannot be described exactly, the document describes the part
that can and says the rest in words, so that every request it allows is
accepted: one row per V2 request (JSON Schema cannot tie a tensor's shape to
the length of its data), one model's body for ``/invocations`` (its body
depends on ``?model=``, which OpenAPI cannot express, so with several models
deployed it is left out of the operations).

Errors are documented on every route with the status codes the server gives
(400 instead of FastAPI's 422) and the ``{"error": ...}`` body.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import numpy as np
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from driftline.schema import ColumnSpec
from driftline.serving._router import Route

__all__ = ["ERROR", "errors", "install"]

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string", "description": "What is wrong, and what to do."}},
}
_MEANING = {
    400: "The request is malformed or does not fit the model's signature.",
    401: "No valid token (when the server runs with authentication).",
    403: "The token's role does not allow this.",
    404: "No such model or version is served here.",
    500: "Internal error; the server log has it under the request id the message gives.",
    503: "Not ready yet, or too busy to answer before the deadline; retry.",
}
_PREDICTIONS = {
    ("/v1/models/{name}/predict", "post"),
    ("/v2/models/{model}/infer", "post"),
    ("/v2/models/{model}/versions/{version}/infer", "post"),
    ("/invocations", "post"),
}
# The first float64 past float32's range: JSON numbers below it (even integers written
# out, which the server reads as the nearest float64) fit a float32 model.
_PAST_FLOAT32 = float(np.nextafter(np.float32(np.finfo(np.float32).max), np.float64(np.inf)))
_INT64 = {"minimum": -(2**63), "maximum": 2**63 - 1}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route, for FastAPI's ``responses=``."""
    return {
        code: {
            "description": _MEANING[code],
            "content": {"application/json": {"schema": ERROR}},
        }
        for code in codes
    }


def install(app: FastAPI, state: Any) -> None:
    """Serve a document that follows the deployments (rebuilt when they change)."""
    cache: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        key = repr([(m, sorted(d.versions.items())) for m, d in sorted(state.deployments.items())])
        if cache.get("key") != key:
            if "base" not in cache:
                cache["base"] = _base(app, auth=state.config.auth)
            cache["doc"] = _with_models(cache["base"], state.deployments)
            cache["key"] = key
        return dict(cache["doc"])

    app.openapi = openapi  # type: ignore[method-assign]


def _base(app: FastAPI, *, auth: bool) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            # Invalid requests are answered 400 with {"error": ...}, not FastAPI's 422.
            responses.pop("422", None)
            responses.update({str(k): v for k, v in errors(500).items()})
    schemas = doc.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    if auth:
        doc.setdefault("components", {})["securitySchemes"] = {
            "token": {"type": "http", "scheme": "bearer"}
        }
        doc["security"] = [{"token": []}]
    return doc


def _with_models(base: dict[str, Any], deployments: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    paths: dict[str, Any] = doc["paths"]
    generic = {
        path: paths[path].pop(method)
        for path, method in _PREDICTIONS
        if method in paths.get(path, {})
    }
    for path in [p for p, item in paths.items() if not item]:
        del paths[path]
    for model, deployment in sorted(deployments.items()):
        champion = deployment.champion
        if "/v1/models/{name}/predict" in generic:
            op = _operation(generic["/v1/models/{name}/predict"], model, "predict")
            op["requestBody"] = _json_body(_v1_body(champion), required=True)
            paths[f"/v1/models/{model}/predict"] = {"post": op}
        if "/v2/models/{model}/infer" in generic:
            op = _operation(generic["/v2/models/{model}/infer"], model, "infer")
            op["requestBody"] = _json_body(_v2_body(champion), required=True)
            paths[f"/v2/models/{model}/infer"] = {"post": op}
        if "/v2/models/{model}/versions/{version}/infer" in generic:
            for name, route in deployment.routes.items():
                if name == "shadow":
                    continue
                number = route.runtime.version.version
                op = _operation(
                    generic["/v2/models/{model}/versions/{version}/infer"],
                    model,
                    f"infer_version_{number}",
                )
                op["requestBody"] = _json_body(_v2_body(route), required=True)
                paths[f"/v2/models/{model}/versions/{number}/infer"] = {"post": op}
    if "/invocations" in generic and len(deployments) == 1:
        ((model, deployment),) = deployments.items()
        op = copy.deepcopy(generic["/invocations"])
        for param in op.get("parameters", []):
            if param["name"] == "model":
                param["schema"] = {"type": "string", "enum": [model]}
        op["requestBody"] = _json_body(_mlflow_body(deployment.champion), required=True)
        paths["/invocations"] = {"post": op}
    return doc


def _operation(generic: dict[str, Any], model: str, what: str) -> dict[str, Any]:
    op = copy.deepcopy(generic)
    op["parameters"] = [p for p in op.get("parameters", []) if p.get("in") != "path"]
    op["operationId"] = f"{what}_{re.sub(r'[^A-Za-z0-9_]', '_', model)}"
    op["summary"] = f"{op.get('summary', what)} ({model})"
    return op


def _json_body(schema: dict[str, Any], *, required: bool) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


# -- request bodies from a signature ---------------------------------------------


def _limit(route: Route) -> float | None:
    """Past what magnitude numbers are refused: ONNX models in float32 take less than JSON.

    None for float64 models: a JSON number past float64's range is an integer of
    over 300 digits, refused by the signature and left out of the document, since a
    bound that large does not survive JSON Schema validators reading it as a float.
    """
    onnx = route.runtime.onnx
    if onnx is not None and any(
        "float" in i.type and "double" not in i.type for i in getattr(onnx, "inputs", [])
    ):
        return _PAST_FLOAT32
    return None


def _value(spec: ColumnSpec, limit: float | None, *, nullable: bool) -> dict[str, Any]:
    """One value of a column as JSON carries it."""
    schema: dict[str, Any]
    if spec.kind == "number":
        schema = {"type": "number"}
        if limit is not None:
            schema.update(exclusiveMinimum=-limit, exclusiveMaximum=limit)
    elif spec.kind == "integer":
        schema = {"type": "integer", **_INT64}
    elif spec.kind == "boolean":
        schema = {"type": "boolean"}
    elif spec.kind == "datetime":
        schema = {"type": "string", "format": "date-time"}
    else:
        schema = {"type": "string"}
        if spec.categories:
            schema["examples"] = list(spec.categories[:5])
    return _nullable(schema) if nullable and spec.nullable else schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema``, or JSON null (which the server reads as not given, or missing)."""
    return {"anyOf": [schema, {"type": "null"}]}


def _record(route: Route) -> dict[str, Any]:
    columns = route.runtime.signature.columns
    limit = _limit(route)
    return {
        "type": "object",
        "required": [c.name for c in columns],
        "additionalProperties": False,
        "properties": {c.name: _value(c, limit, nullable=True) for c in columns},
    }


def _v1_body(route: Route) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["records"],
        "properties": {
            "records": {
                "type": "array",
                "minItems": 1,
                "items": _record(route),
                "description": "One object per row, with the model's columns.",
            },
            "key": _nullable({"type": "string"}),
            "id": _nullable({"type": "string", "maxLength": 200}),
        },
    }


_V2_DATATYPE = {
    "number": "FP64",
    "integer": "INT64",
    "boolean": "BOOL",
    "category": "BYTES",
    "string": "BYTES",
    "datetime": "BYTES",
}


def _tensor(spec: ColumnSpec, limit: float | None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["name", "shape", "datatype", "data"],
        "properties": {
            "name": {"const": spec.name},
            "datatype": {"const": _V2_DATATYPE[spec.kind]},
            # One row: [1] or [1, 1]. The server takes N rows ([N] or [N, 1]) as well.
            "shape": {"enum": [[1], [1, 1]]},
            "data": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1,
                "items": _value(spec, limit, nullable=False),
            },
            # Binary data and shared memory are not described here.
            "parameters": _nullable(
                {
                    "type": "object",
                    "properties": {"binary_data_size": {"type": "null"}},
                    "not": {"required": ["shared_memory_region"]},
                }
            ),
        },
    }


def _outputs(route: Route) -> dict[str, Any]:
    names = ["predict", "predict_proba"] if route.runtime.is_classifier else ["predict"]
    item = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"enum": names},
            "parameters": _nullable(
                {"type": "object", "properties": {"binary_data": _nullable({"type": "boolean"})}}
            ),
        },
    }
    # Each output at most once: one of them, or both.
    both = {
        "minItems": 2,
        "allOf": [{"contains": {"properties": {"name": {"const": n}}}} for n in names],
    }
    return _nullable(
        {
            "type": "array",
            "maxItems": len(names),
            "items": item,
            "anyOf": [{"maxItems": 1}, both] if len(names) > 1 else [{"maxItems": 1}],
        }
    )


def _v2_body(route: Route) -> dict[str, Any]:
    columns = route.runtime.signature.columns
    limit = _limit(route)
    tensors = [_tensor(c, limit) for c in columns]
    return {
        "type": "object",
        "required": ["inputs"],
        "description": (
            "One tensor per column, in any order. Also accepted, though not described here: "
            "N rows per tensor (shape [N] or [N, 1]), one [N, F] numeric tensor, the "
            "datatypes of the same kind (FP32, INT32, ...), and the binary tensor extension "
            "(Inference-Header-Content-Length)."
        ),
        "properties": {
            "id": _nullable({"type": "string"}),
            "parameters": _nullable(
                {"type": "object", "properties": {"binary_data_output": {"type": "boolean"}}}
            ),
            "inputs": {
                "type": "array",
                "minItems": len(tensors),
                "maxItems": len(tensors),
                "items": {"anyOf": tensors} if len(tensors) > 1 else tensors[0],
                "allOf": [
                    {"contains": {"properties": {"name": {"const": c.name}}}} for c in columns
                ],
            },
            "outputs": _outputs(route),
        },
    }


def _mlflow_body(route: Route) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["dataframe_records"],
        "additionalProperties": False,
        "description": (
            "MLflow's scoring protocol. Also accepted, though not described here: "
            "dataframe_split, instances, inputs, and text/csv bodies with a header row."
        ),
        "properties": {
            "dataframe_records": {"type": "array", "minItems": 1, "items": _record(route)},
            "params": _nullable({"type": "object"}),
        },
    }
