"""The native /v1 API: records in, predictions out; labels joined later by request id."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from driftline.errors import InputError
from driftline.serving._edge import requires
from driftline.serving._openapi import errors

router = APIRouter(prefix="/v1", tags=["v1"])
_ID_MAX_LENGTH = 200
_REQUEST_FIELDS = frozenset({"records", "key", "id"})
_EXACT = 2**53  # integers a float64 holds exactly


class PredictRequest(BaseModel):
    records: list[dict[str, Any]] = Field(..., min_length=1, description="One object per row.")
    key: str | None = Field(
        None, description="Sticky routing key (e.g. a customer id) for canaries."
    )
    id: str | None = Field(
        None, max_length=_ID_MAX_LENGTH, description="Request id, echoed and logged."
    )


class PredictResponse(BaseModel):
    model: str
    version: int
    route: str
    request_ids: list[str]
    predictions: list[Any]
    probabilities: list[dict[str, float]] | None = None
    unlike_training: list[bool] | None = Field(
        None, description="Per row, whether the input guard found it unlike the training data."
    )


class Label(BaseModel):
    request_id: str
    label: Any


class LabelsRequest(BaseModel):
    labels: list[Label] = Field(..., min_length=1)


class LabelsResponse(BaseModel):
    model: str
    accepted: int


def records_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    keys = list(records[0])
    for i, record in enumerate(records):
        if list(record) != keys and set(record) != set(keys):
            missing = sorted(set(keys) - set(record)) or sorted(set(record) - set(keys))
            raise InputError(f"record {i} has different fields from record 0: {', '.join(missing)}")
    frame = pd.DataFrame.from_records(records, columns=keys)
    for key in keys:
        # pandas makes 2**63 - 1 next to 1.5 a float (2**63); the signature checks exactly.
        if frame[key].dtype.kind == "f" and any(
            type(v) is int and not -_EXACT <= v <= _EXACT for v in (r[key] for r in records)
        ):
            frame[key] = pd.Series([r[key] for r in records], dtype=object)
    return frame


def _numeric_records(records: list[dict[str, Any]], names: list[str]) -> np.ndarray | None:
    """Records as a float64 matrix when every value is a plain number; None otherwise.

    JSON null becomes NaN (validation decides whether it may be missing); text,
    booleans, a missing field or an integer no float holds exactly send the
    request down the general path, which words the error or checks it exactly.
    """
    wanted = set(names)
    out = []
    for record in records:
        if len(record) != len(names) or record.keys() != wanted:
            return None
        row = []
        for n in names:
            value = record[n]
            if value is None:
                row.append(float("nan"))
            elif type(value) is float or (type(value) is int and -_EXACT <= value <= _EXACT):
                row.append(value)
            else:
                return None
        out.append(row)
    return np.array(out, dtype=np.float64)


@router.get("/models", responses=errors(401, 403))
async def models(request: Request, _: str = Depends(requires("viewer"))) -> list[dict[str, Any]]:
    state = request.app.state.driftline
    return [
        {
            "model": name,
            "deployment": dep.spec.to_dict(),
            "routes": {
                route: {"version": r.runtime.version.version, "engine": r.runtime.engine}
                for route, r in dep.routes.items()
            },
        }
        for name, dep in sorted(state.deployments.items())
    ]


@router.post(
    "/models/{name}/predict",
    response_model=PredictResponse,
    responses=errors(400, 401, 403, 404, 503),
)
async def predict(
    name: str, body: PredictRequest, request: Request, _: str = Depends(requires("predictor"))
) -> PredictResponse:
    state = request.app.state.driftline
    champion = state.deployment(name).champion.runtime
    rows: Any = _numeric_records(body.records, champion.names) if champion.matrix_inputs else None
    answer = await state.predict(
        name,
        rows if rows is not None else records_frame(body.records),
        protocol="v1",
        key=body.key,
        request_id=body.id,
    )
    return PredictResponse(**_response(name, answer))


async def predict_fast(state: Any, name: str, raw: bytes) -> bytes | None:
    """The JSON answer to a plainly numeric predict body; None hands it to the route.

    For the fast path in ``_fast.py``: it takes only bodies the route would
    accept as they are (records of plain numbers for an all-numeric model,
    string key and id), so everything else, errors included, is worded by the route.
    """
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if type(doc) is not dict or not doc.keys() <= _REQUEST_FIELDS:
        return None
    records, key, request_id = doc.get("records"), doc.get("key"), doc.get("id")
    if type(records) is not list or not records or any(type(r) is not dict for r in records):
        return None
    if key is not None and type(key) is not str:
        return None
    if request_id is not None and (type(request_id) is not str or len(request_id) > _ID_MAX_LENGTH):
        return None
    deployment = state.deployments.get(name)
    if deployment is None or not deployment.champion.runtime.matrix_inputs:
        return None
    looked_up = None
    if deployment.features is not None:  # inputs from feature views, without a frame
        records, looked_up = await deployment.features.complete_records(records)
    rows = _numeric_records(records, deployment.champion.runtime.names)
    if rows is None:
        return None
    answer = await state.predict(
        name, rows, protocol="v1", key=key, request_id=request_id, looked_up=looked_up
    )
    # As FastAPI's JSONResponse encodes the route's answer.
    return json.dumps(
        _response(name, answer), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")


def _response(name: str, answer: Any) -> dict[str, Any]:
    """A PredictResponse's fields, for the route and the fast path alike."""
    runtime = answer.route.runtime
    probs = None
    if answer.prediction.probabilities is not None and runtime.classes is not None:
        names = [str(c) for c in runtime.classes]
        probs = [
            dict(zip(names, row, strict=True)) for row in answer.prediction.probabilities.tolist()
        ]
    return {
        "model": name,
        "version": runtime.version.version,
        "route": answer.route.name,
        "request_ids": answer.request_ids,
        "predictions": answer.prediction.labels.tolist(),
        "probabilities": probs,
        "unlike_training": answer.unlike_training,
    }


@router.post(
    "/models/{name}/labels",
    response_model=LabelsResponse,
    responses=errors(400, 401, 403, 404, 503),
)
async def labels(
    name: str, body: LabelsRequest, request: Request, _: str = Depends(requires("predictor"))
) -> LabelsResponse:
    state = request.app.state.driftline
    accepted = await state.label(name, [(item.request_id, item.label) for item in body.labels])
    return LabelsResponse(model=name, accepted=accepted)
