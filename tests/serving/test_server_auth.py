"""With auth on, a token's role decides what it may do, and a revoked token stops working."""

from __future__ import annotations

import httpx

from driftline import auth

ROW = {"a": 0.1, "b": -0.2, "c": 0.3}
PREDICT = "/v1/models/forest/predict"


def test_tokens_and_roles_at_the_edge(serve, ws, until) -> None:  # type: ignore[no-untyped-def]
    server = serve(ws, auth=True)
    _, viewer = auth.create(ws.context, role="viewer", name="dashboard")
    predictor_token, predictor = auth.create(ws.context, role="predictor", name="checkout")

    def call(secret: str | None, method: str = "POST", path: str = PREDICT) -> httpx.Response:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        body = {"records": [ROW]} if method == "POST" else None
        return httpx.request(method, server.url + path, json=body, headers=headers, timeout=10)

    # Load balancers and Prometheus need no token.
    assert httpx.get(f"{server.url}/v2/health/ready").status_code == 200
    assert httpx.get(f"{server.url}/metrics").status_code == 200

    r = call(None)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "token" in r.json()["error"]
    assert call("dl_not_a_real_token").status_code == 401
    r = httpx.post(
        f"{server.url}/v2/models/forest/infer",
        json={"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": [0.1]}]},
    )
    assert r.status_code == 401  # every protocol, not only /v1
    assert httpx.post(f"{server.url}/invocations", json={}).status_code == 401

    r = call(viewer)
    assert r.status_code == 403 and "predictor" in r.json()["error"]
    assert call(viewer, "GET", "/v2/models/forest").status_code == 200  # viewers may look
    assert call(viewer, "GET", "/v1/models").status_code == 200

    assert call(predictor).status_code == 200
    auth.revoke(ws.context, predictor_token.id)
    # Tokens are cached briefly; the revocation must bite within seconds.
    until(lambda: call(predictor).status_code == 401, timeout=10, what="the revoked token to fail")
    assert "revoked" in call(predictor).json()["error"]
