"""What happened after an answer: outcomes the application posts, and answers that failed.

``POST /v1/models/NAME/outcomes`` takes what followed a prediction, by its
request id (a click, a purchase and its value, a complaint), and logs it as
labels are logged; it joins to the version that answered when the log is
read. A request that a version failed to answer (its model raised or timed
out) is logged too, with its route and version, so error rates compare
between a canary and its champion. Bad input is the caller's fault, not the
version's: it is not counted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from driftline.errors import InputError
from driftline.serving._edge import requires
from driftline.serving._openapi import errors

__all__ = ["failure_record", "router"]

router = APIRouter(prefix="/v1", tags=["v1"])
_NAME = r"^[A-Za-z][A-Za-z0-9_.-]*$"


class Outcome(BaseModel):
    request_id: str = Field(..., min_length=1, max_length=200)
    name: str = Field(
        ...,
        min_length=1,
        max_length=100,
        pattern=_NAME,
        description="What happened: click, purchase, revenue, complaint...",
    )
    value: float = Field(
        1.0,
        allow_inf_nan=False,
        strict=True,
        description="How much (1 for an event that happened, a sum for revenue).",
    )


class OutcomesRequest(BaseModel):
    outcomes: list[Outcome] = Field(..., min_length=1, max_length=10_000)


class OutcomesResponse(BaseModel):
    model: str
    accepted: int


@router.post(
    "/models/{name}/outcomes",
    response_model=OutcomesResponse,
    responses=errors(400, 401, 403, 404, 503),
)
async def outcomes(
    name: str, body: OutcomesRequest, request: Request, _: str = Depends(requires("predictor"))
) -> OutcomesResponse:
    state = request.app.state.driftline
    state.deployment(name)  # 404 for a model not served here
    now = dt.datetime.now(dt.UTC).isoformat()
    await state.log.commit(
        [
            {
                "kind": "outcome",
                "model": name,
                "request_id": item.request_id,
                "name": item.name,
                "value": item.value,
                "timestamp": now,
            }
            for item in body.outcomes
        ]
    )
    return OutcomesResponse(model=name, accepted=len(body.outcomes))


def failure_record(
    route: Any, request_id: str, rows: int, exc: BaseException, latency_s: float
) -> dict[str, Any] | None:
    """The log record of a request ``route`` failed to answer; None when the input was at fault."""
    if isinstance(exc, InputError):
        return None
    return {
        "kind": "failure",
        "model": route.runtime.name,
        "request_id": request_id,
        "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        "version": route.runtime.version.version,
        "route": route.name,
        "rows": rows,
        "error": type(exc).__name__,
        "latency_ms": round(latency_s * 1000, 3),
    }
