"""A real server speaks every protocol to real clients, and its answers are the model's own."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

import driftline


@pytest.fixture
def server(serve, ws):  # type: ignore[no-untyped-def]
    return serve(ws)


def _numeric_inputs(rows, *, binary: bool):  # type: ignore[no-untyped-def]
    import tritonclient.http as triton

    inputs = []
    for name in ("a", "b", "c"):
        tensor = triton.InferInput(name, [len(rows)], "FP64")
        tensor.set_data_from_numpy(rows[name].to_numpy(np.float64), binary_data=binary)
        inputs.append(tensor)
    return inputs


def test_triton_client_health_metadata_and_versions(server) -> None:  # type: ignore[no-untyped-def]
    import tritonclient.http as triton

    client = triton.InferenceServerClient(url=server.url.removeprefix("http://"))
    try:
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready("forest") and client.is_model_ready("forest", "1")
        assert not client.is_model_ready("forest", "2")  # registered, but not deployed
        meta = client.get_model_metadata("forest")
        assert meta["name"] == "forest" and meta["versions"] == ["1"]
        assert meta["platform"] == "driftline_onnx"
        assert [(i["name"], i["datatype"]) for i in meta["inputs"]] == [
            ("a", "FP64"),
            ("b", "FP64"),
            ("c", "FP64"),
        ]
        assert {o["name"] for o in meta["outputs"]} == {"predict", "predict_proba"}
        shop = client.get_model_metadata("shop", "1")
        assert shop["platform"] == "driftline_sklearn" and shop["versions"] == ["1"]
        assert [(i["name"], i["datatype"]) for i in shop["inputs"]] == [
            ("colour", "BYTES"),
            ("size", "INT64"),
        ]
        with pytest.raises(triton.InferenceServerException, match="not deployed"):
            client.get_model_metadata("nope")
    finally:
        client.close()


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_triton_infer_equals_model_in_process(server, trained, binary: bool) -> None:  # type: ignore[no-untyped-def]
    import tritonclient.http as triton

    rows = trained.numeric.iloc[:25]
    client = triton.InferenceServerClient(url=server.url.removeprefix("http://"))
    try:
        outputs = [
            triton.InferRequestedOutput("predict", binary_data=binary),
            triton.InferRequestedOutput("predict_proba", binary_data=binary),
        ]
        result = client.infer(
            "forest",
            _numeric_inputs(rows, binary=binary),
            outputs=outputs,
            request_id=f"req-{binary}",
        )
        response = result.get_response()
        assert response["id"] == f"req-{binary}"
        assert response["model_name"] == "forest" and response["model_version"] == "1"
        np.testing.assert_array_equal(result.as_numpy("predict"), trained.forest_v1.predict(rows))
        # ONNX at float precision: the registry accepted it within 1e-4 of scikit-learn.
        np.testing.assert_allclose(
            result.as_numpy("predict_proba"), trained.forest_v1.predict_proba(rows), atol=1e-4
        )

        # The sklearn-runtime pipeline, one tensor per column, through the versioned endpoint.
        shop_rows = trained.shop_rows.iloc[:20]
        colour = triton.InferInput("colour", [len(shop_rows), 1], "BYTES")
        colour.set_data_from_numpy(shop_rows[["colour"]].to_numpy(dtype=object), binary_data=binary)
        size = triton.InferInput("size", [len(shop_rows)], "INT64")
        size.set_data_from_numpy(shop_rows["size"].to_numpy(np.int64), binary_data=binary)
        result = client.infer(
            "shop",
            [colour, size],
            model_version="1",
            outputs=[
                triton.InferRequestedOutput("predict", binary_data=binary),
                triton.InferRequestedOutput("predict_proba", binary_data=binary),
            ],
        )
        labels = [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("predict")]
        assert labels == list(trained.shop.predict(shop_rows))
        np.testing.assert_allclose(
            result.as_numpy("predict_proba"), trained.shop.predict_proba(shop_rows), rtol=1e-12
        )
        with pytest.raises(triton.InferenceServerException, match="version"):
            client.infer("forest", _numeric_inputs(rows, binary=binary), model_version="7")
    finally:
        client.close()


def test_v1_predict_and_labels(server, trained) -> None:  # type: ignore[no-untyped-def]
    rows = trained.shop_rows.iloc[:10]
    records = [{"colour": r.colour, "size": int(r.size)} for r in rows.itertuples()]
    r = httpx.post(
        f"{server.url}/v1/models/shop/predict", json={"records": records, "id": "order-7"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "shop" and body["version"] == 1 and body["route"] == "champion"
    assert body["predictions"] == list(trained.shop.predict(rows))
    assert body["request_ids"] == [f"order-7:{i}" for i in range(10)]
    expected = trained.shop.predict_proba(rows)
    got = np.array([[p["no"], p["yes"]] for p in body["probabilities"]])
    np.testing.assert_allclose(got, expected, rtol=1e-12)

    labels = [{"request_id": rid, "label": "yes"} for rid in body["request_ids"][:3]]
    r = httpx.post(f"{server.url}/v1/models/shop/labels", json={"labels": labels})
    assert r.status_code == 200 and r.json() == {"model": "shop", "accepted": 3}
    listed = httpx.get(f"{server.url}/v1/models").json()
    assert [m["model"] for m in listed] == ["forest", "shop"]
    assert listed[0]["routes"]["champion"] == {"version": 1, "engine": "onnx"}

    # Predictions and labels are in the inference log, joined by request id.
    table = server.state.log.read("shop")
    joined = dict(
        zip(table.column("request_id").to_pylist(), table.column("label").to_pylist(), strict=True)
    )
    assert {rid: joined[rid] for rid in body["request_ids"][:4]} == {
        "order-7:0": "yes",
        "order-7:1": "yes",
        "order-7:2": "yes",
        "order-7:3": None,
    }


def test_mlflow_invocations_every_format(server, trained) -> None:  # type: ignore[no-untyped-def]
    rows = trained.numeric.iloc[:6]
    expected = trained.forest_v1.predict(rows).tolist()
    expected_proba = trained.forest_v1.predict_proba(rows)
    values = rows.to_numpy().tolist()
    bodies = {
        "dataframe_split": {"dataframe_split": {"columns": ["a", "b", "c"], "data": values}},
        "dataframe_records": {"dataframe_records": rows.to_dict(orient="records")},
        "instances": {"instances": rows.to_dict(orient="records")},
        "inputs": {"inputs": {name: rows[name].tolist() for name in ("a", "b", "c")}},
    }
    for name, body in bodies.items():
        r = httpx.post(f"{server.url}/invocations?model=forest", json=body)
        assert r.status_code == 200, (name, r.text)
        assert r.json()["predictions"] == expected, name
        np.testing.assert_allclose(r.json()["probabilities"], expected_proba, atol=1e-4)
    csv = io.StringIO()
    rows.to_csv(csv, index=False)
    r = httpx.post(
        f"{server.url}/invocations?model=forest",
        content=csv.getvalue(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["predictions"] == expected
    # Two models are deployed, so the model must be named.
    r = httpx.post(f"{server.url}/invocations", json=bodies["dataframe_split"])
    assert r.status_code == 400 and "?model=NAME" in r.json()["error"]


def test_ops_endpoints_and_metrics(server, trained) -> None:  # type: ignore[no-untyped-def]
    for path in ("/ping", "/health"):
        r = httpx.get(server.url + path)
        assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/version").text == driftline.__version__
    assert httpx.get(f"{server.url}/v2").json()["name"] == "driftline"

    row = trained.numeric.iloc[:1].to_dict(orient="records")
    for _ in range(5):
        assert httpx.post(
            f"{server.url}/v1/models/forest/predict", json={"records": row}
        ).is_success
    body = {
        "inputs": [
            {"name": n, "shape": [1], "datatype": "FP64", "data": [row[0][n]]} for n in "abc"
        ]
    }
    for _ in range(3):
        assert httpx.post(f"{server.url}/v2/models/forest/infer", json=body).is_success
    r = httpx.get(f"{server.url}/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    base = {"model": "forest", "route": "champion"}
    assert value("driftline_requests_total", protocol="v1", status="200", **base) == 5
    assert value("driftline_requests_total", protocol="v2", status="200", **base) == 3
    assert value("driftline_request_seconds_count", **base) == 8
    assert value("driftline_request_seconds_bucket", le="+Inf", **base) == 8
    # Warm-up calls are not traffic: every counted row came from a request.
    assert value("driftline_batch_rows_sum", **base) == 8
    assert value("driftline_queue_seconds_count", **base) == 8


def test_v1_fast_path_answers_as_the_route_does(server, trained) -> None:  # type: ignore[no-untyped-def]
    # Plain numeric records take the fast path; an extra field (ignored by the route's
    # body model) sends the same request through FastAPI's route instead.
    rows = trained.numeric.iloc[:5]
    records = rows.to_dict(orient="records")
    url = f"{server.url}/v1/models/forest/predict"
    fast = httpx.post(url, json={"records": records, "id": "same"})
    routed = httpx.post(url, json={"records": records, "id": "same", "note": "via the route"})
    assert fast.status_code == routed.status_code == 200, (fast.text, routed.text)
    assert fast.headers["content-type"] == routed.headers["content-type"]
    assert fast.json() == routed.json()
    body = fast.json()
    assert body["predictions"] == trained.forest_v1.predict(rows).tolist()
    got = np.array([[p["0"], p["1"]] for p in body["probabilities"]])
    np.testing.assert_allclose(got, trained.forest_v1.predict_proba(rows), atol=1e-4)

    # Errors from the fast path carry the route's status and words.
    bad = [{**records[0], "b": None}]
    fast = httpx.post(url, json={"records": bad})
    routed = httpx.post(url, json={"records": bad, "note": "via the route"})
    assert fast.status_code == routed.status_code == 400
    assert fast.json() == routed.json() and "'b'" in fast.json()["error"]
    missing = httpx.post(f"{server.url}/v1/models/nope/predict", json={"records": records})
    assert missing.status_code == 404 and "nope" in missing.json()["error"]
    answered = {
        (s.labels["protocol"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(httpx.get(f"{server.url}/metrics").text)
        for s in family.samples
        if s.name == "driftline_requests_total" and s.labels["model"] == "forest"
    }
    assert answered == {("v1", "200"): 2.0, ("v1", "400"): 2.0}


def test_v2_answers_are_logged_row_by_row_with_ids_nobody_could_mistake_for_personal(  # type: ignore[no-untyped-def]
    server, trained
) -> None:
    rows = trained.numeric.iloc[:3]
    body = {
        "inputs": [
            {
                "name": "input-0",
                "shape": [3, rows.shape[1]],
                "datatype": "FP64",
                "data": rows.to_numpy().tolist(),  # nested rows, as numpy clients send them
            }
        ]
    }
    r = httpx.post(f"{server.url}/v2/models/forest/infer", json=body)
    assert r.status_code == 200, r.text
    records = [rec for rec in server.state.log.records() if rec["model"] == "forest"]
    assert len(records) == 3
    base = records[0]["request_id"].split(":")[0]
    # A generated id has no digit before its row number: the log's detector passes it at once.
    assert not any(ch.isdigit() for ch in base)
    assert [rec["request_id"] for rec in records] == [f"{base}:{i}" for i in range(3)]
    assert [list(rec["inputs"].values()) for rec in records] == rows.to_numpy().tolist()
    assert [rec["prediction"] for rec in records] == trained.forest_v1.predict(rows).tolist()
    assert len({rec["timestamp"] for rec in records}) == 1
