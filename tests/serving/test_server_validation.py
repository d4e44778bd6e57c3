"""Bad requests get a 4xx naming what is wrong, never a 500, on every protocol."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest


@pytest.fixture
def server(serve, ws):  # type: ignore[no-untyped-def]
    return serve(ws)


GOOD = {"colour": "red", "size": 3}


def _v2(**overrides: Any) -> dict[str, Any]:
    tensors = {
        "colour": {"name": "colour", "shape": [1], "datatype": "BYTES", "data": ["red"]},
        "size": {"name": "size", "shape": [1], "datatype": "INT64", "data": [3]},
    }
    for name, value in overrides.items():
        if value is None:
            tensors.pop(name)
        else:
            tensors[name] = {"name": name, **value}
    return {"inputs": list(tensors.values())}


V1_CASES = {
    "missing column": ([{"colour": "red"}], "size"),
    "extra column": ([{**GOOD, "weight": 2.0}], "weight"),
    "wrong type": ([{"colour": "red", "size": "large"}], "size"),
    "null in non-nullable": ([{"colour": None, "size": 3}], "colour"),
    "records disagree": ([GOOD, {"colour": "blue"}], "size"),
}

V2_CASES = {
    "missing input": (_v2(size=None), "size"),
    "extra input": (_v2(weight={"shape": [1], "datatype": "FP64", "data": [2.0]}), "weight"),
    "wrong type": (_v2(size={"shape": [1], "datatype": "BYTES", "data": ["large"]}), "size"),
    "wrong shape": (_v2(size={"shape": [1, 2], "datatype": "INT64", "data": [3, 4]}), "size"),
    "data does not fit shape": (_v2(size={"shape": [2], "datatype": "INT64", "data": [3]}), "size"),
    "rows disagree": (_v2(size={"shape": [2], "datatype": "INT64", "data": [3, 4]}), "size"),
}

MLFLOW_CASES = {
    "missing column": ({"dataframe_split": {"columns": ["colour"], "data": [["red"]]}}, "size"),
    "extra column": ({"dataframe_records": [{**GOOD, "weight": 1.0}]}, "weight"),
    "wrong type": ({"dataframe_records": [{"colour": "red", "size": "large"}]}, "size"),
    "null in non-nullable": ({"dataframe_records": [{"colour": "red", "size": None}]}, "size"),
}


def _assert_client_error(r: httpx.Response, field: str, case: str) -> None:
    assert 400 <= r.status_code < 500, (case, r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"}, (case, body)
    assert re.search(rf"\b{field}\b", body["error"]), (case, body)


def test_bad_inputs_get_4xx_naming_the_field_on_every_protocol(server) -> None:  # type: ignore[no-untyped-def]
    # One server for every case: starting one per case would cost more than the checks.
    for case, (records, field) in V1_CASES.items():
        r = httpx.post(f"{server.url}/v1/models/shop/predict", json={"records": records})
        _assert_client_error(r, field, f"v1 {case}")
    for case, (body, field) in V2_CASES.items():
        r = httpx.post(f"{server.url}/v2/models/shop/infer", json=body)
        _assert_client_error(r, field, f"v2 {case}")
    for case, (body, field) in MLFLOW_CASES.items():
        r = httpx.post(f"{server.url}/invocations?model=shop", json=body)
        _assert_client_error(r, field, f"mlflow {case}")
    # The good request, for contrast: the cases above fail for their one defect.
    assert httpx.post(f"{server.url}/v1/models/shop/predict", json={"records": [GOOD]}).is_success
    assert httpx.post(f"{server.url}/v2/models/shop/infer", json=_v2()).is_success


def test_zero_rows_are_400_on_every_runtime_and_protocol(server) -> None:  # type: ignore[no-untyped-def]
    # scikit-learn raises on zero rows while ONNX answers them: neither may reach a client.
    empty = [
        (
            "/v2/models/shop/infer",
            _v2(
                colour={"shape": [0], "datatype": "BYTES", "data": []},
                size={"shape": [0], "datatype": "INT64", "data": []},
            ),
        ),
        (
            "/v2/models/forest/infer",
            {"inputs": [{"name": "x", "shape": [0, 3], "datatype": "FP64", "data": []}]},
        ),
        (
            "/invocations?model=shop",
            {"dataframe_split": {"columns": ["colour", "size"], "data": []}},
        ),
        ("/invocations?model=shop", {"inputs": {"colour": [], "size": []}}),
        ("/invocations?model=forest", {"dataframe_records": []}),
    ]
    for path, body in empty:
        r = httpx.post(server.url + path, json=body)
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert "no rows" in r.json()["error"], (path, r.text)
    r = httpx.post(
        f"{server.url}/invocations?model=shop",
        content=b"colour,size\n",
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 400 and "no rows" in r.json()["error"], r.text


def test_unknown_models_and_versions_are_404(server) -> None:  # type: ignore[no-untyped-def]
    calls = [
        ("POST", "/v1/models/nope/predict", {"records": [GOOD]}),
        ("POST", "/v1/models/nope/labels", {"labels": [{"request_id": "x", "label": 1}]}),
        ("POST", "/v2/models/nope/infer", _v2()),
        ("POST", "/v2/models/shop/versions/9/infer", _v2()),
        ("GET", "/v2/models/nope", None),
        ("GET", "/v2/models/nope/ready", None),
        ("GET", "/v2/models/shop/versions/9", None),
        ("POST", "/invocations?model=nope", {"dataframe_records": [GOOD]}),
    ]
    for method, path, body in calls:
        r = httpx.request(method, server.url + path, json=body)
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert "nope" in r.json()["error"] or "9" in r.json()["error"], path


def test_malformed_bodies_are_400(server) -> None:  # type: ignore[no-untyped-def]
    for path in ("/v1/models/shop/predict", "/v2/models/shop/infer", "/invocations?model=shop"):
        for content in (b"{", b"[]", b"\xff\xfe", b""):
            r = httpx.post(
                server.url + path, content=content, headers={"Content-Type": "application/json"}
            )
            assert 400 <= r.status_code < 500, (path, content, r.status_code, r.text)
            assert "error" in r.json()
    r = httpx.post(
        f"{server.url}/v2/models/shop/infer",
        content=b'{"inputs": []}',
        headers={"Inference-Header-Content-Length": "99"},
    )
    assert r.status_code == 400 and "Inference-Header-Content-Length" in r.json()["error"]
