"""Open Inference Protocol V2 over REST (KServe, Triton, MLServer clients work unchanged)."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from driftline._version import __version__
from driftline.errors import NotFoundError
from driftline.serving import _oip
from driftline.serving._edge import requires
from driftline.serving._openapi import errors
from driftline.serving._router import Route

router = APIRouter(prefix="/v2", tags=["v2"])

_INFER_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["inputs"],
                    "properties": {
                        "id": {"type": "string"},
                        "parameters": {"type": "object"},
                        "inputs": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name", "shape", "datatype"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "shape": {"type": "array", "items": {"type": "integer"}},
                                    "datatype": {"type": "string"},
                                    "parameters": {"type": "object"},
                                    "data": {"type": "array"},
                                },
                            },
                        },
                        "outputs": {"type": "array", "items": {"type": "object"}},
                    },
                }
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}

_INFER_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The outputs; raw tensors after a JSON header when binary data was asked for.",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    **errors(400, 401, 403, 404, 503),
}


@router.get("")
async def server_metadata() -> dict[str, Any]:
    return {
        "name": "driftline",
        "version": __version__,
        "extensions": ["binary_tensor_data"],
    }


@router.get("/health/live")
async def live() -> dict[str, bool]:
    return {"live": True}


@router.get(
    "/health/ready",
    responses={503: {"description": "Still starting.", "content": {"application/json": {}}}},
)
async def ready(request: Request) -> Response:
    is_ready = bool(request.app.state.driftline.ready)
    return JSONResponse({"ready": is_ready}, status_code=200 if is_ready else 503)


@router.get("/health", responses=errors(401, 403))
async def health(request: Request, _: str = Depends(requires("viewer"))) -> dict[str, Any]:
    """What each deployment serves, and why one cannot load its latest change (not in OIP V2)."""
    loader = request.app.state.driftline.loader
    deployments: dict[str, Any] = {}
    for model in sorted(set(loader.deployments) | set(loader.failures)):
        served = loader.deployments.get(model)
        failure = loader.failures.get(model)
        deployments[model] = {
            "status": "ok" if failure is None else "failing",
            "serving": dict(served.versions) if served is not None else None,
            "wanted": dict(failure.versions) if failure is not None else None,
            "error": failure.error if failure is not None else None,
            "failing_since": failure.since.isoformat() if failure is not None else None,
        }
    healthy = not loader.failures and loader.reload_error is None
    return {
        "live": True,
        "ready": bool(request.app.state.driftline.ready),
        "status": "ok" if healthy else "degraded",
        "reload_error": loader.reload_error,
        "deployments": deployments,
    }


def _route(request: Request, model: str, version: str | None) -> Route:
    return _route_of(request.app.state.driftline, model, version)


def _route_of(state: Any, model: str, version: str | None) -> Route:
    deployment = state.deployment(model)
    if version is None:
        return deployment.champion
    for route in deployment.routes.values():
        if str(route.runtime.version.version) == version and route.name != "shadow":
            return route
    raise NotFoundError(f"version {version!r} of model {model!r} is not served")


def _metadata(route: Route, model: str, versions: list[str]) -> dict[str, Any]:
    platform = f"driftline_{route.runtime.engine}"
    return _oip.model_metadata(model, versions, platform, route.runtime.signature)


@router.get("/models/{model}", responses=errors(401, 403, 404))
async def model_metadata(
    model: str, request: Request, _: str = Depends(requires("viewer"))
) -> dict[str, Any]:
    deployment = request.app.state.driftline.deployment(model)
    versions = sorted(
        {str(r.runtime.version.version) for n, r in deployment.routes.items() if n != "shadow"}
    )
    return _metadata(deployment.champion, model, versions)


@router.get("/models/{model}/versions/{version}", responses=errors(401, 403, 404))
async def version_metadata(
    model: str, version: str, request: Request, _: str = Depends(requires("viewer"))
) -> dict[str, Any]:
    return _metadata(_route(request, model, version), model, [version])


@router.get("/models/{model}/ready", responses=errors(401, 403, 404))
async def model_ready(
    model: str, request: Request, _: str = Depends(requires("viewer"))
) -> dict[str, Any]:
    _route(request, model, None)
    return {"name": model, "ready": True}


@router.get("/models/{model}/versions/{version}/ready", responses=errors(401, 403, 404))
async def version_ready(
    model: str, version: str, request: Request, _: str = Depends(requires("viewer"))
) -> dict[str, Any]:
    _route(request, model, version)
    return {"name": model, "version": version, "ready": True}


async def _infer(request: Request, model: str, version: str | None) -> Response:
    header_length = _oip.parse_header_length(request.headers.get(_oip.HEADER_LENGTH))
    body, headers = await infer_body(
        request.app.state.driftline, model, version, await request.body(), header_length
    )
    return Response(body, headers=headers)


async def infer_body(
    state: Any, model: str, version: str | None, raw: bytes, header_length: int | None
) -> tuple[bytes, dict[str, str]]:
    """Answer one V2 infer request: the response body and its headers.

    Shared by the FastAPI route and the fast path in ``_fast.py``.
    """
    decoded = _oip.decode_infer_request(raw, header_length)
    route = _route_of(state, model, version)
    frame: Any = None
    if route.runtime.matrix_inputs:
        frame = _numeric_matrix(decoded.inputs, route.runtime.names)
    if frame is None:
        frame = _oip.tensors_to_frame(decoded.inputs, route.runtime.signature)
    key = decoded.parameters.get("routing_key")
    answer = await state.predict(
        model,
        frame,
        protocol="v2",
        key=str(key) if key is not None else None,
        request_id=decoded.id,
        version=int(version) if version is not None else None,
    )
    produced = {"predict": _oip.OutputTensor.from_array("predict", answer.prediction.labels)}
    if answer.prediction.probabilities is not None:
        produced["predict_proba"] = _oip.OutputTensor.from_array(
            "predict_proba", answer.prediction.probabilities
        )
    names, binary = _oip.resolve_outputs(decoded, list(produced))
    return _oip.encode_infer_response(
        model_name=model,
        model_version=str(answer.route.runtime.version.version),
        request_id=decoded.id,
        outputs=[produced[n] for n in names],
        binary=binary,
        parameters=(
            {"unlike_training": answer.unlike_training}
            if answer.unlike_training is not None
            else None
        ),
    )


_NUMERIC = {
    "FP16",
    "FP32",
    "FP64",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "UINT8",
    "UINT16",
    "UINT32",
    "UINT64",
}


def _numeric_matrix(inputs: list[_oip.Tensor], names: list[str]) -> np.ndarray | None:
    """The request as a float64 matrix when it is plainly numeric; None for the general path.

    One [N, F] tensor with a column per input, or one tensor per input named like
    it. Anything else (text, booleans, odd shapes) goes through
    ``tensors_to_frame``, which also words the errors.
    """
    if not inputs or any(t.datatype not in _NUMERIC for t in inputs):
        return None
    if len(inputs) == 1 and inputs[0].data.ndim == 2 and inputs[0].data.shape[1] == len(names):
        if len(names) == 1 and inputs[0].name != names[0]:
            return None
        return inputs[0].data.astype(np.float64, copy=False)
    by_name = {t.name: t.data for t in inputs}
    if len(by_name) != len(inputs) or set(by_name) != set(names):
        return None
    columns = [by_name[n].reshape(-1) for n in names]
    if len({c.size for c in columns}) != 1 or any(by_name[n].ndim > 2 for n in names):
        return None
    return np.column_stack(columns).astype(np.float64, copy=False)


@router.post("/models/{model}/infer", openapi_extra=_INFER_BODY, responses=_INFER_RESPONSES)
async def infer(model: str, request: Request, _: str = Depends(requires("predictor"))) -> Response:
    return await _infer(request, model, None)


@router.post(
    "/models/{model}/versions/{version}/infer",
    openapi_extra=_INFER_BODY,
    responses=_INFER_RESPONSES,
)
async def infer_version(
    model: str, version: str, request: Request, _: str = Depends(requires("predictor"))
) -> Response:
    return await _infer(request, model, version)
