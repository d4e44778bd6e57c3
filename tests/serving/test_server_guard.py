"""The guard in a real server: unusual inputs flagged or refused, answers hardened, rates held."""

from __future__ import annotations

import re
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import select

from driftline import auth
from driftline.guard import GuardPolicy
from driftline.serving import deploy
from driftline.store import AlertRow, InferenceLog

PREDICT = "/v1/models/forest/predict"
ORDINARY = {"a": 0.1, "b": -0.2, "c": 0.3}
STRANGE = {"a": 40.0, "b": -35.0, "c": 50.0}  # tens of standard deviations from training


def _v2(rows: list[dict[str, float]]) -> dict[str, Any]:
    data = [[r["a"], r["b"], r["c"]] for r in rows]
    return {"inputs": [{"name": "x", "shape": [len(rows), 3], "datatype": "FP64", "data": data}]}


def test_flag_marks_inputs_unlike_training_in_every_protocol_and_the_log(  # type: ignore[no-untyped-def]
    serve, ws, until
) -> None:
    deploy(ws.context, "forest", guard=GuardPolicy(mode="flag"))
    server = serve(ws)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post(PREDICT, json={"records": [ORDINARY, STRANGE], "id": "g1"})
        assert r.status_code == 200, r.text
        assert r.json()["unlike_training"] == [False, True]
        r = http.post("/v2/models/forest/infer", json=_v2([STRANGE, ORDINARY]))
        assert r.status_code == 200, r.text
        assert r.json()["parameters"]["unlike_training"] == [True, False]
        r = http.post("/invocations?model=forest", json={"dataframe_records": [ORDINARY, STRANGE]})
        assert r.status_code == 200, r.text
        assert r.json()["unlike_training"] == [False, True]
        assert len(r.json()["predictions"]) == 2
        metrics = http.get("/metrics").text
    flagged = re.search(
        r'driftline_guard_total\{event="unlike_training",model="forest"\} (\S+)', metrics
    )
    assert flagged is not None and float(flagged.group(1)) == 3.0

    log = InferenceLog(ws.home / "log")

    def logged() -> dict[str, dict[str, Any]]:
        found = {r["request_id"]: r for r in log.records() if r.get("request_id", "")[:2] == "g1"}
        return found if len(found) == 2 else {}

    records = until(logged, timeout=10, what="both rows of g1 in the log")
    assert records["g1:0"]["unlike_training"] is False
    assert records["g1:1"]["unlike_training"] is True
    assert records["g1:1"]["guard_score"] > 10 * records["g1:0"]["guard_score"]


def test_categories_take_the_table_path_and_log_mode_tells_nothing(serve, ws) -> None:  # type: ignore[no-untyped-def]
    shop = "/v1/models/shop/predict"
    rows = [{"colour": "red", "size": 3}, {"colour": "purple", "size": 900}]
    deploy(ws.context, "shop", guard=GuardPolicy(mode="flag"))
    server = serve(ws)
    r = httpx.post(server.url + shop, json={"records": rows}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["unlike_training"] == [False, True]
    r = httpx.post(server.url + PREDICT, json={"records": [STRANGE]}, timeout=30)
    assert r.status_code == 200 and r.json()["unlike_training"] is None  # forest: no guard
    deploy(ws.context, "shop", guard=GuardPolicy(mode="log"))
    server = serve(ws)
    r = httpx.post(server.url + shop, json={"records": rows}, timeout=30)
    assert r.status_code == 200 and r.json()["unlike_training"] is None  # logged, not told


def test_reject_refuses_with_422_naming_the_rows_and_how_far(serve, ws) -> None:  # type: ignore[no-untyped-def]
    deploy(ws.context, "forest", guard=GuardPolicy(mode="reject", threshold=2.0))
    server = serve(ws)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.post(PREDICT, json={"records": [ORDINARY]}).status_code == 200
        for path, body in (
            (PREDICT, {"records": [ORDINARY, ORDINARY, STRANGE]}),
            ("/v2/models/forest/infer", _v2([ORDINARY, ORDINARY, STRANGE])),
        ):
            r = http.post(path, json=body)
            assert r.status_code == 422, r.text
            error = r.json()["error"]
            assert "1 input of 3 sent to forest is unlike anything in its training data" in error
            far = re.search(r"row 2 at ([\d,.]+) times as far", error)
            assert far is not None and float(far.group(1).replace(",", "")) > 2.0


def test_hardened_answers_reveal_less_in_v2_v1_and_mlflow(serve, ws, trained) -> None:  # type: ignore[no-untyped-def]
    rows = [trained.numeric.iloc[i][["a", "b", "c"]].to_dict() for i in range(5)]
    deploy(ws.context, "forest", guard=GuardPolicy(labels_only=True))
    server = serve(ws)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        full = trained.forest_v1.predict(trained.numeric.iloc[:5])
        r = http.post(PREDICT, json={"records": rows})
        assert r.json()["probabilities"] is None and r.json()["predictions"] == full.tolist()
        r = http.post("/v2/models/forest/infer", json=_v2(rows))
        assert [o["name"] for o in r.json()["outputs"]] == ["predict"]
        assert (
            "probabilities"
            not in http.post("/invocations?model=forest", json={"dataframe_records": rows}).json()
        )

    deploy(ws.context, "forest", guard=GuardPolicy(round=1, top_k=1))
    server = serve(ws)
    proba = trained.forest_v1.predict_proba(trained.numeric.iloc[:5])
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post("/v2/models/forest/infer", json=_v2(rows))
        out = {o["name"]: o for o in r.json()["outputs"]}
        got = np.array(out["predict_proba"]["data"]).reshape(5, 2)
        top = proba.max(axis=1)
        assert np.allclose(got.max(axis=1), np.round(top, 1), atol=1e-6)
        assert (np.sort(got, axis=1)[:, 0] == 0).all()  # the other class is not told
        r = http.post(PREDICT, json={"records": rows})
        for probs in r.json()["probabilities"]:
            assert sorted(probs.values())[0] == 0 and all(round(v, 1) == v for v in probs.values())


def test_rate_limits_answer_429_with_retry_after_per_token_and_address(serve, ws) -> None:  # type: ignore[no-untyped-def]
    deploy(ws.context, "forest", guard=GuardPolicy(token_rate=0.5, burst=3))
    server = serve(ws, auth=True)
    _, first = auth.create(ws.context, role="predictor", name="checkout")
    _, second = auth.create(ws.context, role="predictor", name="billing")
    with httpx.Client(base_url=server.url, timeout=30) as http:

        def call(secret: str) -> httpx.Response:
            headers = {"Authorization": f"Bearer {secret}"}
            return http.post(PREDICT, json={"records": [ORDINARY]}, headers=headers)

        assert [call(first).status_code for _ in range(3)] == [200, 200, 200]
        r = call(first)
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert "too many inputs from token 'checkout'" in r.json()["error"]
        assert first not in r.text
        assert call(second).status_code == 200  # each token has its own budget
        metrics = http.get("/metrics").text
    assert 'driftline_guard_total{event="rate_limited",model="forest"} 1.0' in metrics
    assert re.search(r'driftline_requests_total\{[^}]*status="429"[^}]*\} 1\.0', metrics)

    deploy(ws.context, "forest", guard=GuardPolicy(address_rate=0.5, burst=2))
    server = serve(ws)  # no auth: the fast path, held to the address's rate
    with httpx.Client(base_url=server.url, timeout=30) as http:
        codes = [http.post(PREDICT, json={"records": [ORDINARY]}).status_code for _ in range(3)]
        v2 = http.post("/v2/models/forest/infer", json=_v2([ORDINARY]))
    assert codes == [200, 200, 429]
    assert v2.status_code == 429 and "address 127.0.0.1" in v2.json()["error"]
    assert int(v2.headers["retry-after"]) >= 1


def test_a_token_sweeping_a_grid_raises_the_query_sweep_alert_by_name(  # type: ignore[no-untyped-def]
    serve, ws, until
) -> None:
    deploy(ws.context, "forest", guard=GuardPolicy(sweep_rows=40))
    server = serve(ws, auth=True)
    _, sweeper = auth.create(ws.context, role="predictor", name="scraper")
    _, customer = auth.create(ws.context, role="predictor", name="checkout")
    rng = np.random.default_rng(3)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for _ in range(60):  # ordinary traffic: every column differs from the request before
            row = dict(zip("abc", rng.normal(size=3).tolist(), strict=True))
            headers = {"Authorization": f"Bearer {customer}"}
            assert http.post(PREDICT, json={"records": [row]}, headers=headers).status_code == 200
        grid = [{"a": a, "b": 0.0, "c": 0.0} for a in np.linspace(-2, 2, 5)]
        grid += [{"a": 0.0, "b": b, "c": 0.0} for b in np.linspace(-2, 2, 5)]
        for _ in range(6):  # 60 rows, ten per request, one column moving at a time
            headers = {"Authorization": f"Bearer {sweeper}"}
            assert http.post(PREDICT, json={"records": grid}, headers=headers).status_code == 200

    def alerts() -> list[AlertRow]:
        with ws.context.db.read() as s:
            return list(s.scalars(select(AlertRow).where(AlertRow.model == "forest")))

    found = until(alerts, timeout=10, what="the query-sweep alert")
    assert len(found) == 1  # the customer's ordinary traffic raised none
    alert = found[0]
    assert alert.rule == "query-sweep:token 'scraper'" and alert.status == "open"
    assert alert.message.startswith("token 'scraper' sent 40 inputs to forest")
    assert "differ from the one before in a single column" in alert.message
    assert sweeper not in alert.message
    assert alert.value >= 0.5
    # Monitoring reads the newest window_start of a model's alerts as the last window it
    # judged: a sweep, which judges no window, leaves that mark where it was.
    assert alert.window_start.year == 1970


def test_deploy_refuses_a_bad_guard_policy_in_one_sentence() -> None:
    with pytest.raises(ValueError, match="guard must be one of off, log, flag, reject"):
        GuardPolicy(mode="block")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="token_rate must be a positive number"):
        GuardPolicy(token_rate=0)
