"""The caller's key is logged with every row it sent, shadow copies included: forget finds it."""

from __future__ import annotations

from typing import Any

import httpx

from driftline.serving import deploy
from driftline.store import InferenceLog


def _record(trained: Any, i: int) -> dict[str, float]:
    return {k: float(v) for k, v in trained.numeric.iloc[i].items()}


def test_the_request_key_is_logged_and_forget_removes_that_callers_records(  # type: ignore[no-untyped-def]
    serve, ws, trained, until
) -> None:
    deploy(ws.context, "forest", shadow="challenger")
    server = serve(ws)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for i, key in enumerate(["cust-7", "cust-8", "cust-7", None]):
            body: dict[str, Any] = {"records": [_record(trained, i), _record(trained, i + 10)]}
            if key is not None:
                body["key"] = key
            r = http.post("/v1/models/forest/predict", json={**body, "id": f"q{i}"})
            assert r.status_code == 200, r.text
        labelled = http.post(
            "/v1/models/forest/labels", json={"labels": [{"request_id": "q0:1", "label": 1}]}
        )
        assert labelled.status_code == 200, labelled.text
    log = InferenceLog(ws.home / "log")

    def logged() -> list[dict[str, Any]]:
        found = [r for r in log.records() if r.get("kind", "prediction") == "prediction"]
        return found if len(found) == 16 else []  # 8 rows answered, 8 shadow copies

    records = until(logged, timeout=10, what="every row and its shadow copy in the log")
    keys = {r["request_id"]: r.get("request_key") for r in records}
    assert keys["q0:0"] == keys["q0:1~shadow"] == keys["q2:1"] == "cust-7"
    assert keys["q1:0"] == "cust-8" and keys["q3:0"] is None
    server.state.log.rotate()  # as the server's upkeep seals its segment
    until(
        lambda: not [p for p in (ws.home / "log" / "segments").glob("*.open")],
        timeout=10,
        what="the segment to be sealed",
    )
    report = ws.forget("cust-7")
    assert report.complete and report.done.removed == {"predictions": 8, "labels": 1}
    left = {r["request_id"] for r in InferenceLog(ws.home / "log").records()}
    assert left == {f"q{i}:{k}{s}" for i in (1, 3) for k in (0, 1) for s in ("", "~shadow")}
