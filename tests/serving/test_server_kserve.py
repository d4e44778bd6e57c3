"""KServe's own Python REST client (``kserve.InferenceRESTClient``, protocol v2) against a real server.

kserve is installed without its dependencies (tests/serving/requirements-kserve.txt
says why), so these tests also prove that the client works with this environment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import numpy as np
import pytest


def _run(make: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``make(client)`` with a fresh v2 REST client, closed afterwards."""
    import kserve

    async def main() -> Any:
        client = kserve.InferenceRESTClient(kserve.RESTConfig(protocol="v2", retries=0, timeout=30))
        try:
            return await make(client)
        finally:
            await client.close()

    return asyncio.run(main())


def test_kserve_client_health_and_readiness(serve, ws) -> None:  # type: ignore[no-untyped-def]
    server = serve(ws)

    async def check(client: Any) -> tuple[bool, bool, bool]:
        return (
            await client.is_server_live(server.url),
            await client.is_server_ready(server.url),
            await client.is_model_ready(server.url, "forest"),
        )

    assert _run(check) == (True, True, True)
    # V2 says a model that is not ready answers 4xx; the client reads that as False.
    assert _run(lambda client: client.is_model_ready(server.url, "nope")) is False


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_kserve_client_infer_equals_model_in_process(serve, ws, trained, binary: bool) -> None:  # type: ignore[no-untyped-def]
    import kserve
    from kserve.protocol.infer_type import RequestedOutput

    server = serve(ws)
    rows = trained.numeric.iloc[:25]
    # One [N, 3] tensor, and one tensor per column: the two layouts V2 clients send.
    matrix = kserve.InferInput("input-0", [len(rows), 3], "FP64")
    matrix.set_data_from_numpy(rows.to_numpy(np.float64), binary_data=binary)
    columns = []
    for name in ("a", "b", "c"):
        tensor = kserve.InferInput(name, [len(rows)], "FP64")
        tensor.set_data_from_numpy(rows[name].to_numpy(np.float64), binary_data=binary)
        columns.append(tensor)
    wanted = [RequestedOutput("predict_proba", parameters={"binary_data": binary})]

    for inputs in ([matrix], columns):
        request = kserve.InferRequest(
            model_name="forest", infer_inputs=inputs, request_id="k-1", request_outputs=wanted
        )
        headers: dict[str, str] = {}
        response = _run(
            lambda client, r=request, h=headers: client.infer(
                server.url, r, model_name="forest", response_headers=h
            )
        )
        # The binary tensor extension both ways when asked for, plain JSON otherwise.
        assert ("inference-header-content-length" in headers) == binary
        assert response.id == "k-1" and response.model_name == "forest"
        assert [o.name for o in response.outputs] == ["predict_proba"]
        # ONNX at float precision: the registry accepted it within 1e-4 of scikit-learn.
        np.testing.assert_allclose(
            response.outputs[0].as_numpy(), trained.forest_v1.predict_proba(rows), atol=1e-4
        )


def test_kserve_client_sees_our_errors(serve, ws) -> None:  # type: ignore[no-untyped-def]
    import kserve

    server = serve(ws)
    wrong = kserve.InferInput("input-0", [2, 2], "FP64")  # the forest takes 3 columns
    wrong.set_data_from_numpy(np.zeros((2, 2)))
    request = kserve.InferRequest(model_name="forest", infer_inputs=[wrong])
    with pytest.raises(httpx.HTTPStatusError) as failed:
        _run(lambda client: client.infer(server.url, request, model_name="forest"))
    assert failed.value.response.status_code == 400
    assert "a, b, c" in failed.value.response.json()["error"]
