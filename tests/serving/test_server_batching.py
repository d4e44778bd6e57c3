"""Adaptive batching under real concurrency, and deadlines that shed instead of hanging."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

THREADS = 32
PER_THREAD = 8


def _histogram(url: str, name: str, **labels: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics").text):
        for s in family.samples:
            if s.name.startswith(name) and all(s.labels.get(k) == v for k, v in labels.items()):
                key = s.name.removeprefix(name) + (
                    f"{{le={s.labels['le']}}}" if "le" in s.labels else ""
                )
                out[key] = s.value
    return out


@pytest.mark.slow
def test_concurrent_single_rows_share_model_calls_and_get_their_own_answers(  # type: ignore[no-untyped-def]
    serve, ws, trained
) -> None:
    server = serve(ws, max_batch_size=64, max_latency_ms=2.0)
    rows = trained.shop_rows.iloc[: THREADS * PER_THREAD].reset_index(drop=True)
    expected = trained.shop.predict(rows)
    expected_proba = trained.shop.predict_proba(rows)

    def client(t: int) -> list[tuple[int, Any]]:
        out = []
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for k in range(PER_THREAD):
                i = t * PER_THREAD + k
                record = {"colour": rows.colour[i], "size": int(rows["size"][i])}
                r = http.post("/v1/models/shop/predict", json={"records": [record]})
                out.append((i, r))
        return out

    with ThreadPoolExecutor(THREADS) as pool:
        results = [item for part in pool.map(client, range(THREADS)) for item in part]

    assert len(results) == THREADS * PER_THREAD
    for i, r in results:
        assert r.status_code == 200, r.text
        body = r.json()
        # Each caller gets its own row's answer back, not a neighbour's from the same batch.
        assert body["predictions"] == [expected[i]], i
        got = [body["probabilities"][0]["no"], body["probabilities"][0]["yes"]]
        np.testing.assert_allclose(got, expected_proba[i], rtol=1e-12)

    hist = _histogram(server.url, "driftline_batch_rows", model="shop", route="champion")
    total = THREADS * PER_THREAD
    assert hist["_sum"] == total  # every row went through a model call exactly once
    assert hist["_count"] < total, "no model call ever answered more than one request"
    assert hist["_count"] > hist["_bucket{le=1.0}"]  # some batches held more than one row


def test_requests_queued_past_their_deadline_are_shed_with_503(serve, ws, trained) -> None:  # type: ignore[no-untyped-def]
    server = serve(ws, timeout_s=0.25)
    runtime = server.state.deployments["shop"].champion.runtime
    # A model call that holds until released: the queue behind it can only drain by shedding.
    entered, release = threading.Event(), threading.Event()
    original = runtime.predict

    def stuck(frame: Any) -> Any:
        entered.set()
        release.wait(timeout=8)
        return original(frame)

    runtime.predict = stuck
    runtime.call_seconds = 1.0  # measured as slow: the batcher runs it off the event loop
    record = {"records": [{"colour": "red", "size": 2}]}
    url = f"{server.url}/v1/models/shop/predict"
    try:
        with ThreadPoolExecutor(5) as pool:
            first = pool.submit(httpx.post, url, json=record, timeout=30)
            assert entered.wait(timeout=10), "the first request never reached the model"
            started = time.monotonic()
            queued = [pool.submit(httpx.post, url, json=record, timeout=30) for _ in range(4)]
            shed = [f.result(timeout=30) for f in queued]
            waited = time.monotonic() - started
            assert not release.is_set() and not first.done()
            release.set()
            answered = first.result(timeout=30)
    finally:
        release.set()
        runtime.predict = original

    for r in shed:
        assert r.status_code == 503, r.text
        assert "deadline" in r.json()["error"]
    # Shed at their deadline while the model was still busy, not when it came free.
    assert waited < 5
    assert answered.status_code == 200 and answered.json()["predictions"] == ["yes"]
    after = httpx.post(url, json=record, timeout=30)
    assert after.status_code == 200  # the batcher survived and serves again
    text = httpx.get(f"{server.url}/metrics").text
    assert 'driftline_errors_total{kind="UnavailableError",model="shop"} 4.0' in text
