"""The native /v1 API: records in, predictions out; labels joined later by request id."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from driftline.errors import InputError
from driftline.serving._edge import requires

router = APIRouter(prefix="/v1", tags=["v1"])


class PredictRequest(BaseModel):
    records: list[dict[str, Any]] = Field(..., min_length=1, description="One object per row.")
    key: str | None = Field(
        None, description="Sticky routing key (e.g. a customer id) for canaries."
    )
    id: str | None = Field(None, max_length=200, description="Request id, echoed and logged.")


class PredictResponse(BaseModel):
    model: str
    version: int
    route: str
    request_ids: list[str]
    predictions: list[Any]
    probabilities: list[dict[str, float]] | None = None


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
    return pd.DataFrame.from_records(records, columns=keys)


def _numeric_records(records: list[dict[str, Any]], names: list[str]) -> np.ndarray | None:
    """Records as a float64 matrix when every value is a plain number; None otherwise.

    JSON null becomes NaN (validation decides whether it may be missing); text,
    booleans or a missing field send the request down the general path, which
    words the error.
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
            elif type(value) is float or type(value) is int:
                row.append(value)
            else:
                return None
        out.append(row)
    return np.array(out, dtype=np.float64)


@router.get("/models")
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


@router.post("/models/{name}/predict", response_model=PredictResponse)
async def predict(
    name: str, body: PredictRequest, request: Request, _: str = Depends(requires("predictor"))
) -> PredictResponse:
    state = request.app.state.driftline
    champion = state.deployment(name).champion.runtime
    rows: Any = (
        _numeric_records(body.records, champion.signature.names) if champion.matrix_inputs else None
    )
    answer = await state.predict(
        name,
        rows if rows is not None else records_frame(body.records),
        protocol="v1",
        key=body.key,
        request_id=body.id,
    )
    runtime = answer.route.runtime
    probs = None
    if answer.prediction.probabilities is not None and runtime.classes is not None:
        names = [str(c) for c in runtime.classes]
        probs = [
            dict(zip(names, map(float, row), strict=True))
            for row in answer.prediction.probabilities
        ]
    return PredictResponse(
        model=name,
        version=runtime.version.version,
        route=answer.route.name,
        request_ids=answer.request_ids,
        predictions=answer.prediction.labels.tolist(),
        probabilities=probs,
    )


@router.post("/models/{name}/labels", response_model=LabelsResponse)
async def labels(
    name: str, body: LabelsRequest, request: Request, _: str = Depends(requires("predictor"))
) -> LabelsResponse:
    state = request.app.state.driftline
    accepted = await state.label(name, [(item.request_id, item.label) for item in body.labels])
    return LabelsResponse(model=name, accepted=accepted)
