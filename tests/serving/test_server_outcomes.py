"""Outcomes posted by request id, and failed answers, logged to compare versions on what followed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from driftline.serving import deploy
from driftline.store import InferenceLog


def _record(trained: Any, i: int) -> dict[str, float]:
    return {k: float(v) for k, v in trained.numeric.iloc[i].items()}


def test_outcomes_join_the_version_that_answered(serve, ws, trained, until) -> None:  # type: ignore[no-untyped-def]
    from driftline.loop._traffic import read_step

    deploy(ws.context, "forest", canary="challenger", percent=50)
    server = serve(ws)
    since = dt.datetime.now(dt.UTC)
    answered: dict[str, int] = {}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for i in range(60):
            body = http.post(
                "/v1/models/forest/predict", json={"records": [_record(trained, i)], "key": f"k{i}"}
            ).json()
            answered[body["request_ids"][0]] = body["version"]
        outcomes = [
            {"request_id": rid, "name": "purchase", "value": float(version)}
            for rid, version in answered.items()
        ]
        # A click on half of them; the value of an event that happened defaults to 1.
        outcomes += [{"request_id": rid, "name": "click"} for rid in list(answered)[::2]]
        r = http.post("/v1/models/forest/outcomes", json={"outcomes": outcomes})
    assert r.status_code == 200, r.text
    assert r.json() == {"model": "forest", "accepted": 90}
    assert set(answered.values()) == {1, 2}

    def sides() -> Any:
        found = read_step(
            ws.context,
            "forest",
            champion=1,
            canary=2,
            since=since,
            until=dt.datetime.now(dt.UTC),
            outcomes=["purchase", "click"],
        )
        return found if sum(len(s.answered) for s in found) == 60 else None

    champion, canary = until(sides, timeout=10, what="60 logged answers")
    # Each outcome joined the answer it followed: purchase was set to the answering version.
    assert set(champion.answered["outcome:purchase"]) == {1.0}
    assert set(canary.answered["outcome:purchase"]) == {2.0}
    clicks = [*champion.answered["outcome:click"], *canary.answered["outcome:click"]]
    assert sum(c == 1.0 for c in clicks) == 30 and sum(c != c for c in clicks) == 30  # NaN: none
    assert (champion.failed, canary.failed) == (0, 0)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"outcomes": []}, "outcomes: List should have at least 1 item"),
        ({"outcomes": [{"request_id": "a", "name": "buy", "value": "3"}]}, "valid number"),
        ({"outcomes": [{"request_id": "a", "name": "buy", "value": True}]}, "valid number"),
        ({"outcomes": [{"request_id": "a", "name": "two words"}]}, "should match pattern"),
        ({"outcomes": [{"name": "buy"}]}, "request_id: Field required"),
    ],
)
def test_bad_outcomes_are_refused_with_a_sentence(serve, ws, body, error) -> None:  # type: ignore[no-untyped-def]
    server = serve(ws)
    r = httpx.post(f"{server.url}/v1/models/forest/outcomes", json=body)
    assert r.status_code == 400 and error in r.json()["error"], r.text


def test_outcomes_for_a_model_not_served_are_404(serve, ws) -> None:  # type: ignore[no-untyped-def]
    server = serve(ws)
    r = httpx.post(
        f"{server.url}/v1/models/nope/outcomes",
        json={"outcomes": [{"request_id": "a", "name": "buy"}]},
    )
    assert r.status_code == 404 and "model 'nope' is not deployed here" in r.json()["error"]


def test_a_failed_answer_is_logged_with_its_route_and_version_bad_input_is_not(  # type: ignore[no-untyped-def]
    serve, ws, trained, until
) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer

    y = trained.forest_v1.predict(trained.numeric)
    model = make_pipeline(SplineTransformer(extrapolation="error"), LogisticRegression())
    ws.register(
        "strict", model.fit(trained.numeric, y), train=trained.numeric.assign(y=y), target="y"
    )
    ws.set_alias("strict", 1, "champion")
    deploy(ws.context, "strict")
    server = serve(ws)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        # Beyond the range the model takes: it raises (500), a failure of version 1.
        raised = http.post(
            "/v1/models/strict/predict",
            json={"records": [{"a": 100.0, "b": 0.0, "c": 0.0}] * 3, "id": "boom"},
        )
        # Not what the signature takes: the caller's fault (400), no failure of the version.
        refused = http.post("/v1/models/strict/predict", json={"records": [{"a": 1.0}]})
    assert (raised.status_code, refused.status_code) == (500, 400)
    reader = lambda: InferenceLog(ws.home / "log").reader("strict")  # noqa: E731
    table = until(
        lambda: reader().posted("failure", first="2000-01-01"), timeout=10, what="the failure"
    )
    (failure,) = table.to_pylist()
    assert {k: failure[k] for k in ("request_id", "version", "route", "rows", "error")} == {
        "request_id": "boom",
        "version": 1,
        "route": "champion",
        "rows": 3,
        "error": "ValueError",
    }
