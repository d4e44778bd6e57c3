"""One caller's bad input never fails another's request; one bad deployment never stops another.

Real servers and real concurrent HTTP clients: bad requests (Infinity, numbers
past any float, rows a model raises on) are sent alongside valid ones, so that
they share batches, and only the bad ones may fail.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from driftline import InputError
from driftline.serving import deploy, list_deployments

BAD_THREADS = 4
GOOD_THREADS = 16
PER_THREAD = 25
GOOD_SHOP = {"colour": "red", "size": 3}
GOOD_ROW = {"a": 0.1, "b": -0.2, "c": 0.3}
HUGE = 10**300  # a JSON integer of 301 digits


def _hammer(url: str, path: str, good: dict[str, Any], bad: list[dict[str, Any]]) -> tuple:  # type: ignore[type-arg]
    """Good and bad single-row requests from concurrent clients; the answers of each kind."""

    def client(t: int) -> list[tuple[bool, httpx.Response]]:
        out = []
        with httpx.Client(base_url=url, timeout=30) as http:
            for k in range(PER_THREAD):
                is_bad = t < BAD_THREADS
                record = bad[k % len(bad)] if is_bad else good
                # json.dumps writes float("inf") as Infinity, which Python's JSON reads.
                body = json.dumps({"records": [record]})
                headers = {"Content-Type": "application/json"}
                out.append((is_bad, http.post(path, content=body, headers=headers)))
        return out

    with ThreadPoolExecutor(BAD_THREADS + GOOD_THREADS) as pool:
        answers = [a for part in pool.map(client, range(BAD_THREADS + GOOD_THREADS)) for a in part]
    good_answers = [r for is_bad, r in answers if not is_bad]
    bad_answers = [r for is_bad, r in answers if is_bad]
    return good_answers, bad_answers


def _failed(answers: list[httpx.Response]) -> list[str]:
    return [f"{r.status_code} {r.text}" for r in answers if r.status_code != 200]


def _metric(url: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics").text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return None


@pytest.fixture
def strict(ws, trained):  # type: ignore[no-untyped-def]
    """``strict``: a model (scikit-learn runtime) that raises on values beyond its training range."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer

    y = trained.forest_v1.predict(trained.numeric)
    model = make_pipeline(SplineTransformer(extrapolation="error"), LogisticRegression())
    model.fit(trained.numeric, y)
    ws.register("strict", model, train=trained.numeric.assign(y=y), target="y")
    ws.set_alias("strict", 1, "champion")
    deploy(ws.context, "strict")
    return model


# -- non-finite and oversized numbers ---------------------------------------------------


@pytest.mark.slow
def test_infinity_next_to_valid_rows_fails_only_its_own_requests(serve, ws) -> None:  # type: ignore[no-untyped-def]
    server = serve(ws)
    bad = [
        {"colour": "red", "size": float("inf")},
        {"colour": "red", "size": float("-inf")},
    ]
    good, refused = _hammer(server.url, "/v1/models/shop/predict", GOOD_SHOP, bad)
    assert not _failed(good), _failed(good)[:3]
    assert {r.status_code for r in refused} == {400}
    assert {r.json()["error"] for r in refused} == {
        "column 'size' must be a finite number, got inf in row 0; send a real value",
        "column 'size' must be a finite number, got -inf in row 0; send a real value",
    }


def test_non_finite_numbers_are_400_naming_column_and_row_on_every_protocol(serve, ws) -> None:  # type: ignore[no-untyped-def]
    server = serve(ws)
    # httpx writes float("inf") as Infinity, which Python's JSON reads; 1e400 reads as inf too.
    cases = [
        (
            "/v1/models/forest/predict",
            b'{"records": [{"a": 0.1, "b": 0.2, "c": 0.3}, {"a": 0.1, "b": Infinity, "c": 0.3}]}',
            "b",
            1,
        ),
        ("/v1/models/forest/predict", b'{"records": [{"a": 1e400, "b": 0.2, "c": 0.3}]}', "a", 0),
        (
            "/v2/models/forest/infer",
            b'{"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP64", "data": [0, 0, 0, 0, 0, -Infinity]}]}',
            "c",
            1,
        ),
        (
            "/invocations?model=forest",
            b'{"dataframe_records": [{"a": Infinity, "b": 0.2, "c": 0.3}]}',
            "a",
            0,
        ),
    ]
    for path, body, column, row in cases:
        r = httpx.post(
            server.url + path, content=body, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400, (path, r.text)
        assert re.search(
            rf"column '{column}' must be a finite number, got -?inf in row {row}\b",
            r.json()["error"],
        ), (path, r.text)


def test_a_300_digit_integer_is_400_naming_the_column(serve, ws) -> None:  # type: ignore[no-untyped-def]
    server = serve(ws)
    size = {"colour": "red", "size": HUGE}
    tensors = [
        {"name": "colour", "shape": [1], "datatype": "BYTES", "data": ["red"]},
        {"name": "size", "shape": [1], "datatype": "INT64", "data": [HUGE]},
    ]
    cases = [
        ("/v1/models/shop/predict", {"records": [size]}, "size"),
        ("/invocations?model=shop", {"dataframe_records": [size]}, "size"),
        ("/v2/models/shop/infer", {"inputs": tensors}, "size"),
        # Past any float: 10**400 next to numbers of the numeric fast path.
        ("/v1/models/forest/predict", {"records": [GOOD_ROW, {**GOOD_ROW, "c": 10**400}]}, "c"),
        ("/invocations?model=forest", {"dataframe_records": [{**GOOD_ROW, "a": 10**400}]}, "a"),
    ]
    for path, body, column in cases:
        r = httpx.post(server.url + path, json=body)
        assert r.status_code == 400, (path, r.text)
        error = r.json()["error"]
        assert f"'{column}'" in error and len(error) < 300, (path, error)


# -- a model call that fails ------------------------------------------------------------


@pytest.mark.slow
def test_a_failing_model_call_fails_only_the_requests_that_fail_alone(serve, ws, strict) -> None:  # type: ignore[no-untyped-def]
    server = serve(ws)
    # Within the signature (finite numbers), beyond the range the model takes: it raises.
    bad = [{"a": 100.0, "b": 0.0, "c": 0.0}, {"a": 0.0, "b": -100.0, "c": 0.0}]
    good, failed = _hammer(server.url, "/v1/models/strict/predict", GOOD_ROW, bad)
    assert not _failed(good), f"{len(_failed(good))} valid requests failed: {_failed(good)[:3]}"
    assert {r.status_code for r in failed} == {500}
    # The valid requests did share model calls: batches of more than one row were answered.
    assert (_metric(server.url, "driftline_batch_rows_count", model="strict") or 0) < len(good)


def test_internal_errors_are_logged_once_with_the_request_id_they_answer(
    serve, ws, strict, caplog
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.ERROR, logger="driftline.serving")
    server = serve(ws)
    row = {"a": 100.0, "b": 0.0, "c": 0.0}
    calls = [  # the fast path (v1 numeric records, v2), and the FastAPI routes (MLflow, v1 /labels)
        ("/v1/models/strict/predict", {"records": [row]}),
        (
            "/v2/models/strict/infer",
            {"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP64", "data": [100.0, 0, 0]}]},
        ),
        ("/invocations?model=strict", {"dataframe_records": [row]}),
        ("/v1/models/strict/predict", {"records": [row], "extra": 1}),  # not for the fast path
    ]
    for path, body in calls:
        r = httpx.post(server.url + path, json=body)
        assert r.status_code == 500, (path, r.text)
        found = re.search(
            r"internal error \(ValueError\) in request ([0-9a-f]{16})", r.json()["error"]
        )
        assert found, r.text
        logged = [rec for rec in caplog.records if found.group(1) in rec.getMessage()]
        assert len(logged) == 1, (path, [rec.getMessage() for rec in caplog.records])
        assert logged[0].exc_info is not None and "beyond the limits" in str(logged[0].exc_info[1])
        assert path.split("?")[0] in logged[0].getMessage()


# -- deployments that cannot be served --------------------------------------------------


def test_deploy_refuses_a_version_the_server_could_not_serve(ws, trained) -> None:  # type: ignore[no-untyped-def]
    ws.register("bare", trained.forest_v1)  # no training data: no signature
    ws.set_alias("bare", 1, "champion")
    with pytest.raises(InputError, match=r"bare:1 has no signature"):
        deploy(ws.context, "bare")
    assert "bare" not in {d.model for d in list_deployments(ws.context)}
    # Nor as a canary of a deployment that serves.
    ws.register("forest", trained.forest_v1)  # version 3, no signature
    ws.set_alias("forest", 3, "challenger")
    with pytest.raises(InputError, match=r"forest:3 has no signature"):
        deploy(ws.context, "forest", canary="challenger", percent=10)
    assert next(d for d in list_deployments(ws.context) if d.model == "forest").canary_alias is None


def _version(url: str, model: str, record: dict[str, Any]) -> int:
    r = httpx.post(f"{url}/v1/models/{model}/predict", json={"records": [record]})
    assert r.status_code == 200, r.text
    return int(r.json()["version"])


@pytest.mark.slow
def test_an_unservable_deployment_keeps_serving_and_stops_no_other(
    serve, ws, trained, until, caplog
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, logger="driftline.serving")
    server = serve(ws, reload_interval_s=0.05)
    # forest's champion moves to a version without a signature (deploy checked the old one).
    ws.register("forest", trained.forest_v1)  # version 3
    ws.set_alias("forest", 3, "champion")
    # Then a healthy model's alias moves: the server must follow it.
    ws.register(
        "shop",
        trained.shop,
        train=trained.shop_rows.assign(label=trained.shop.predict(trained.shop_rows)),
        target="label",
    )
    ws.set_alias("shop", 2, "champion")
    until(
        lambda: _version(server.url, "shop", GOOD_SHOP) == 2,
        timeout=30,
        what="shop to serve version 2",
    )
    assert _version(server.url, "forest", GOOD_ROW) == 1  # the old forest still answers

    health = httpx.get(f"{server.url}/v2/health").json()
    assert health["status"] == "degraded"
    forest = health["deployments"]["forest"]
    assert (forest["status"], forest["serving"], forest["wanted"]) == (
        "failing",
        {"champion": 1},
        {"champion": 3},
    )
    assert "forest:3 has no signature" in forest["error"]
    assert health["deployments"]["shop"]["status"] == "ok"
    assert _metric(server.url, "driftline_deployment_failing", model="forest") == 1
    assert _metric(server.url, "driftline_deployment_load_failures_total", model="forest") == 1

    # Many reload rounds later (shop moves again and is followed), still logged once.
    ws.set_alias("shop", 1, "champion")
    until(lambda: _version(server.url, "shop", GOOD_SHOP) == 1, timeout=30, what="shop back on 1")
    said = [r for r in caplog.records if "deployment forest cannot load" in r.getMessage()]
    assert len(said) == 1, [r.getMessage() for r in said]

    ws.set_alias("forest", 1, "champion")  # put right: healthy again
    until(
        lambda: httpx.get(f"{server.url}/v2/health").json()["status"] == "ok",
        timeout=30,
        what="health to be ok again",
    )
    assert _metric(server.url, "driftline_deployment_failing", model="forest") == 0


@pytest.mark.slow
def test_a_damaged_deployment_row_does_not_stop_the_watcher(
    serve, ws, trained, until, caplog
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, logger="driftline.serving")
    server = serve(ws, reload_interval_s=0.05)
    # Changed behind driftline's back, in one transaction: forest's champion moves to
    # version 2, whose stored signature has lost its columns, so reading it raises an
    # error driftline did not foresee (a KeyError).
    with contextlib.closing(sqlite3.connect(ws.home / "driftline.db")) as db, db:
        forest = "(SELECT id FROM models WHERE name = 'forest')"
        changed = db.execute(
            "UPDATE model_versions SET signature = '{\"format\": 1}' "
            f"WHERE version = 2 AND model_id = {forest}"
        ).rowcount
        changed += db.execute(
            "UPDATE aliases SET version_id = (SELECT id FROM model_versions "
            f"WHERE version = 2 AND model_id = {forest}) "
            f"WHERE alias = 'champion' AND model_id = {forest}"
        ).rowcount
    assert changed == 2
    ws.register(
        "shop",
        trained.shop,
        train=trained.shop_rows.assign(label=trained.shop.predict(trained.shop_rows)),
        target="label",
    )
    ws.set_alias("shop", 2, "champion")
    until(
        lambda: _version(server.url, "shop", GOOD_SHOP) == 2,
        timeout=30,
        what="shop to serve version 2",
    )
    assert _version(server.url, "forest", GOOD_ROW) == 1
    forest = httpx.get(f"{server.url}/v2/health").json()["deployments"]["forest"]
    assert forest["status"] == "failing" and forest["error"].startswith("KeyError"), forest
    said = [r for r in caplog.records if "deployment forest cannot load" in r.getMessage()]
    assert len(said) == 1 and said[0].exc_info is not None  # with its traceback, once
