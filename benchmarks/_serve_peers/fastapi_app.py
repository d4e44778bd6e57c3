"""The floor of plain Python serving: one FastAPI endpoint that calls the model.

    python fastapi_app.py --model model.joblib --port 8000

Takes the same Open Inference Protocol V2 body as the other servers (one FP64
[1, 20] tensor), calls ``predict_proba`` and answers with a V2-shaped body. No
validation beyond pydantic's, no logging, no batching: what a first "put the
model behind an endpoint" looks like. A plain ``def`` endpoint, so FastAPI runs
the model in its thread pool, as its documentation recommends for blocking calls.
uvicorn, one worker, access log off.
"""

from __future__ import annotations

import argparse
from typing import Any

import joblib
import numpy as np
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel


class Tensor(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list[float]


class InferRequest(BaseModel):
    id: str | None = None
    inputs: list[Tensor]
    outputs: list[dict[str, Any]] | None = None


def create_app(model_path: str) -> FastAPI:
    model = joblib.load(model_path)
    app = FastAPI()

    @app.get("/v2/health/ready")
    def ready() -> dict[str, bool]:
        return {"ready": True}

    @app.post("/v2/models/{name}/infer")
    def infer(name: str, body: InferRequest) -> dict[str, Any]:
        tensor = body.inputs[0]
        x = np.asarray(tensor.data, dtype=np.float64).reshape(tensor.shape)
        proba = model.predict_proba(x)
        return {
            "model_name": name,
            "id": body.id,
            "outputs": [
                {
                    "name": "predict_proba",
                    "shape": list(proba.shape),
                    "datatype": "FP64",
                    "data": proba.ravel().tolist(),
                }
            ],
        }

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.model),
        host=args.host,
        port=args.port,
        workers=1,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
