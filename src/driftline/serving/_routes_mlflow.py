"""MLflow's scoring protocol: ``POST /invocations`` as ``mlflow models serve`` answers it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from driftline.errors import InputError
from driftline.serving import _mlflow
from driftline.serving._edge import requires
from driftline.serving._openapi import errors

router = APIRouter(tags=["mlflow"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "dataframe_split": {"type": "object"},
                        "dataframe_records": {"type": "array", "items": {"type": "object"}},
                        "instances": {"type": "array"},
                        "inputs": {},
                        "params": {"type": "object"},
                    },
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/invocations",
    openapi_extra=_BODY,
    responses={
        200: {"content": {"application/json": {"schema": {"type": "object"}}}},
        **errors(400, 401, 403, 404, 503),
    },
)
async def invocations(
    request: Request, model: str | None = None, _: str = Depends(requires("predictor"))
) -> Response:
    """Score with ``?model=NAME``, or the only deployed model when there is one."""
    state = request.app.state.driftline
    if model is None:
        if len(state.deployments) != 1:
            raise InputError(
                "several models are deployed here; say which with ?model=NAME "
                f"({', '.join(sorted(state.deployments)) or 'none deployed'})"
            )
        model = next(iter(state.deployments))
    route = state.deployment(model).champion
    frame = _mlflow.parse_invocations(
        await request.body(), request.headers.get("content-type", ""), route.runtime.signature
    )
    answer = await state.predict(model, frame, protocol="mlflow")
    body = _mlflow.format_predictions(
        answer.prediction.labels, answer.prediction.probabilities, answer.unlike_training
    )
    return Response(body, media_type="application/json")
