"""Canary shares, shadow copies and alias moves, observed through a running server."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np
import pytest

from driftline.serving import deploy
from driftline.store import InferenceLog

KEYS = 1000
PERCENT = 20.0


def _record(trained: Any, i: int) -> dict[str, float]:
    return {k: float(v) for k, v in trained.numeric.iloc[i].items()}


@pytest.mark.slow
def test_canary_share_is_respected_and_sticky_per_key(serve, ws, trained) -> None:  # type: ignore[no-untyped-def]
    deploy(ws.context, "forest", canary="challenger", percent=PERCENT)
    server = serve(ws)
    rng = np.random.default_rng(11)
    keys = [f"customer-{n}" for n in rng.integers(0, 10**12, size=KEYS)]
    row = trained.numeric.iloc[:1]
    by_version = {1: trained.forest_v1.predict(row)[0], 2: trained.forest_v2.predict(row)[0]}

    def route_of(chunk: list[str]) -> list[tuple[str, str, int]]:
        out = []
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for key in chunk:
                r = http.post(
                    "/v1/models/forest/predict", json={"records": [_record(trained, 0)], "key": key}
                )
                assert r.status_code == 200, r.text
                body = r.json()
                # The canary is version 2 and answers with version 2's model.
                assert body["predictions"] == [by_version[body["version"]]]
                out.append((key, body["route"], body["version"]))
        return out

    with ThreadPoolExecutor(8) as pool:
        first = [x for part in pool.map(route_of, [keys[i::8] for i in range(8)]) for x in part]
    routes = {key: route for key, route, _ in first}
    assert {(route, version) for _, route, version in first} == {("champion", 1), ("canary", 2)}
    canary = sum(route == "canary" for route in routes.values())
    # Binomial(1000, 0.2): mean 200, sd ~12.6; +-4.5 sd fails by chance about once in 150,000 key sets.
    sd = (KEYS * PERCENT / 100 * (1 - PERCENT / 100)) ** 0.5
    assert abs(canary - KEYS * PERCENT / 100) < 4.5 * sd, canary

    # Sticky: the same key lands on the same side every time.
    again = route_of(keys[:100]) + route_of(keys[:100])
    assert all(routes[key] == route for key, route, _ in again)


def test_shadow_gets_a_logged_copy_and_never_changes_the_answer(serve, ws, trained, until) -> None:  # type: ignore[no-untyped-def]
    deploy(ws.context, "forest", shadow="challenger")
    server = serve(ws)
    rows = trained.numeric.iloc[:20]
    champion, shadow = trained.forest_v1.predict(rows), trained.forest_v2.predict(rows)
    assert (champion != shadow).all()  # version 2 was trained on the opposite labels
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for i in range(len(rows)):
            r = http.post(
                "/v1/models/forest/predict",
                json={"records": [_record(trained, i)], "id": f"s{i}"},
            )
            body = r.json()
            assert r.status_code == 200 and body["route"] == "champion" and body["version"] == 1
            assert body["predictions"] == [champion[i]]

    log = InferenceLog(ws.home / "log")

    def shadow_records() -> dict[str, dict[str, Any]]:
        found = {r["request_id"]: r for r in log.records() if r.get("route") == "shadow"}
        return found if len(found) == len(rows) else {}

    found = until(shadow_records, timeout=10, what="the shadow copies in the log")
    for i in range(len(rows)):
        record = found[f"s{i}~shadow"]
        assert record["version"] == 2 and record["prediction"] == shadow[i]
        assert record["inputs"] == _record(trained, i)
    answered = [r for r in log.records() if r.get("route") == "champion"]
    assert sorted(r["request_id"] for r in answered) == sorted(f"s{i}" for i in range(len(rows)))


@pytest.mark.slow
def test_alias_move_under_load_swaps_versions_without_a_failed_request(  # type: ignore[no-untyped-def]
    serve, ws, trained, until
) -> None:
    server = serve(ws, reload_interval_s=0.1)
    n = 50
    expected = {
        1: trained.forest_v1.predict(trained.numeric),
        2: trained.forest_v2.predict(trained.numeric),
    }
    stop = threading.Event()
    seen: list[list[tuple[int, int]]] = [[] for _ in range(4)]
    failures: list[str] = []
    deadline = time.monotonic() + 30

    def client(t: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for k in range(5000):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                i = (t * 7 + k) % n
                try:
                    r = http.post(
                        "/v1/models/forest/predict", json={"records": [_record(trained, i)]}
                    )
                except httpx.TransportError as exc:
                    failures.append(repr(exc))
                    continue
                if r.status_code != 200:
                    failures.append(r.text)
                    continue
                body = r.json()
                if body["predictions"] != [expected[body["version"]][i]]:
                    failures.append(
                        f"row {i}: version {body['version']} said {body['predictions']}"
                    )
                seen[t].append((k, body["version"]))

    threads = [threading.Thread(target=client, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    try:
        until(lambda: all(len(s) >= 10 for s in seen), timeout=20, what="traffic on version 1")
        ws.set_alias("forest", 2, "champion")
        until(
            lambda: all(s and s[-1][1] == 2 for s in seen),
            timeout=15,
            what="every client to be answered by version 2",
        )
        marks = [len(s) for s in seen]
        until(
            lambda: all(len(s) >= m + 10 for s, m in zip(seen, marks, strict=True)),
            timeout=15,
            what="traffic after the swap",
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not failures, failures[:5]
    for s in seen:
        versions = [v for _, v in s]
        assert versions[0] == 1 and versions[-1] == 2
        # Each client's requests are sequential: once answered by version 2, never by 1 again.
        switch = versions.index(2)
        assert set(versions[switch:]) == {2}


def test_a_quiet_watcher_reads_a_stamp_and_still_sees_an_alias_move(  # type: ignore[no-untyped-def]
    serve, ws, until
) -> None:
    # Resolving every reference each round took the serving core for about a millisecond
    # (version rows, cards, metrics); while nothing changes a round reads a stamp only.
    from sqlalchemy import event

    server = serve(ws, reload_interval_s=0.02)
    statements: list[str] = []

    def executed(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(ws.context.db.engine, "before_cursor_execute", executed)
    try:
        until(lambda: len(statements) >= 80, timeout=30, what="twenty quiet rounds")
        assert not [s for s in statements if "model_versions.card" in s], statements[:8]
        ws.set_alias("forest", 2, "champion")
        until(
            lambda: server.state.deployment("forest").versions == {"champion": 2},
            timeout=15,
            what="the watcher to see the alias move",
        )
        # The move cost one full round, which read the version rows.
        assert [s for s in statements if "model_versions.card" in s]
    finally:
        event.remove(ws.context.db.engine, "before_cursor_execute", executed)
