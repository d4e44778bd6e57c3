"""The loop closed end to end, through a real server, on traffic that drifts.

Drift appears and opens an alert; the loop retrains, the candidate passes the
gate, goes on canary and is promoted. A planted bad candidate is rolled back
at the first look that sees its traffic, and the server stops sending it
requests. In approval mode the loop waits, refuses the approval of the one who
registered the candidate, and goes on after another operator's. The audit
chain verifies and names everyone who acted.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from driftline import audit, auth, loop, monitor

from .conftest import FEATURES, World, build, fit, make_rows

POLICY = """\
cooldown = "1h"

[monitor]
window = "2s"
lookback = "1h"

[[alert]]
name = "input-drift"
metric = "drift_share"
above = 0.2
min_rows = 50

[retrain]
hook = "hooks.py:train"
target = "y"
window = "1h"
holdout = 0.4
min_rows = 300
max_attempts = 1

[gate]
min_rows = 60
n_resamples = 200
[gate.regression]
accuracy = { max_drop = 0.02 }

[rollout]
interval = "1s"
min_rows = 30
steps = [
  { percent = 30, min_duration = "0s", min_requests = 120 },
  { percent = 60, min_duration = "0s", min_requests = 120 },
  { percent = 100 },
]

[rollback]
error_rate = { max_rise = 0.02 }
accuracy = { max_drop = 0.05 }
estimated_accuracy = { max_drop = 0.05 }
"""


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)  # polling interval, not synchronization: the condition decides


class Server:
    """``create_app`` under uvicorn in a thread, on a loopback port."""

    def __init__(self, world: World) -> None:
        import uvicorn

        from driftline.serving import ServerConfig, create_app

        self.app = create_app(world.ctx, ServerConfig(freeze_gc=False, reload_interval_s=0.2))
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        self.sock = sock
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        wait_for(lambda: self.app.state.driftline.ready, timeout=60, what="the server")
        self.http = httpx.Client(base_url=self.url, timeout=30)
        self.customers = 0

    def percent(self) -> float:
        spec = self.app.state.driftline.deployments["shop"].spec
        return float(spec.canary_percent)

    def versions(self) -> dict[str, int]:
        return dict(self.app.state.driftline.deployments["shop"].versions)

    def send(self, world: World, n: int, *, drift: bool = True) -> Counter[tuple[str, int]]:
        """``n`` rows in requests of 10, then their labels; how many each route answered."""
        rows = make_rows(world.rng, n, drift=drift)
        seen: Counter[tuple[str, int]] = Counter()
        for start in range(0, n, 10):
            part = rows.iloc[start : start + 10]
            records = [
                {c: float(v) for c, v in r.items()} for r in part[FEATURES].to_dict("records")
            ]
            # Each request is a customer of its own with a sticky key, so the canary's share
            # of a send is the same on every run instead of a coin flip per request.
            self.customers += 1
            key = f"customer-{self.customers}"
            r = self.http.post("/v1/models/shop/predict", json={"records": records, "key": key})
            assert r.status_code == 200, r.text
            body = r.json()
            seen[(body["route"], body["version"])] += len(part)
            labels = [
                {"request_id": rid, "label": int(y)}
                for rid, y in zip(body["request_ids"], part["y"], strict=True)
            ]
            assert (
                self.http.post("/v1/models/shop/labels", json={"labels": labels}).status_code == 200
            )
        return seen

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[World, Server]]:
    world = build(tmp_path / "ws", f"sqlite:///{tmp_path / 'ws' / 'driftline.db'}", seed=21)
    world.policy(POLICY)
    server = Server(world)
    yield world, server
    server.stop()
    world.ws.close()


def _tick(world: World) -> Any:
    report = loop.tick(world.ctx)
    return report.models[0].run if report.models else None


@pytest.mark.slow  # about 30 s
def test_the_loop_closes_end_to_end(served: tuple[World, Server]) -> None:
    world, server = served
    ctx = world.ctx

    # -- drift appears; retraining fires; the candidate passes the gate and canaries ----------
    server.send(world, 200, drift=False)
    server.send(world, 800, drift=True)
    run = wait_for(lambda: _tick(world), timeout=20, what="the drift alert to start a run")
    (alert,) = monitor.alerts(ctx, model="shop")
    assert alert.rule == "input-drift" and run.alert_id == alert.id
    assert (run.state, run.percent, run.candidate) == ("canary", 30.0, 2), run.reason
    assert world.ws.get("shop:2").lineage["alert"] == alert.id
    wait_for(lambda: server.percent() == 30.0, timeout=10, what="the server to route 30%")

    seen = server.send(world, 700)
    assert seen[("canary", 2)] > 120 and seen[("champion", 1)] > 0
    run = _tick(world)
    assert (run.state, run.percent) == ("canary", 60.0), run.reason
    wait_for(lambda: server.percent() == 60.0, timeout=10, what="the server to route 60%")
    server.send(world, 500)
    run = _tick(world)
    assert run.state == "promoted", run.reason
    assert world.ws.get("shop@champion").version == 2
    wait_for(lambda: server.versions() == {"champion": 2}, timeout=10, what="v2 to answer alone")

    # -- a planted bad candidate is rolled back at the first look at its traffic -----------------
    bad = world.ws.register(
        "shop",
        fit(make_rows(world.rng, 600, drift=True), flip=True),
        train=make_rows(world.rng, 300, drift=True),
        target="y",
        actor="alice",
    )
    run = loop.start(ctx, "shop", bad.version, skip_gate=True, actor="alice")
    run = loop.advance(ctx, run, loop.load_policy(ctx, "shop"))
    assert (run.state, run.percent) == ("canary", 30.0)
    wait_for(lambda: server.percent() == 30.0, timeout=10, what="the bad canary to get 30%")
    seen = server.send(world, 500)
    assert seen[("canary", bad.version)] >= 60
    run = _tick(world)
    assert run.state == "rolled_back", run.reason
    assert run.reason.startswith(
        f"shop is back on version 2 alone: version {bad.version} was right on"
    )
    (rollback_alert,) = monitor.alerts(ctx, model="shop", status="open")[:1]
    assert rollback_alert.rule == "rollout-rollback" and rollback_alert.message == run.reason
    wait_for(lambda: server.percent() == 0.0, timeout=5, what="traffic back on the champion")
    assert set(server.send(world, 100)) == {("champion", 2)}

    # -- approval mode: the loop waits, then goes on after another operator approves -------------
    world.policy('approval = "required"\n' + POLICY)
    good_rows = make_rows(world.rng, 1500, drift=True)
    good = world.ws.register(
        "shop", fit(good_rows.iloc[:1000]), train=good_rows.iloc[:1000], target="y", actor="bob"
    )
    run = loop.start(ctx, "shop", good.version, data=good_rows.iloc[1000:], target="y", actor="bob")
    run = loop.advance(ctx, run, loop.load_policy(ctx, "shop"))
    assert run.state == "awaiting_approval", run.reason
    assert _tick(world).state == "awaiting_approval" and server.percent() == 0.0
    bob = auth.create(ctx, role="operator", name="bob", actor="admin")[1]
    carol = auth.create(ctx, role="operator", name="carol", actor="admin")[1]
    with pytest.raises(PermissionError, match="bob registered version 4 of shop"):
        loop.approve(ctx, "shop", good.version, token=bob)
    run = loop.approve(ctx, "shop", good.version, token=carol, note="looked at the gate")
    run = _tick(world)
    assert (run.state, run.percent) == ("canary", 30.0), run.reason
    wait_for(lambda: server.percent() == 30.0, timeout=10, what="the approved canary")
    server.send(world, 700)
    assert _tick(world).percent == 60.0
    wait_for(lambda: server.percent() == 60.0, timeout=10, what="60%")
    server.send(world, 500)
    run = _tick(world)
    assert run.state == "promoted", run.reason
    assert world.ws.get("shop@champion").version == good.version

    # -- the audit chain verifies and names every actor ------------------------------------------
    assert audit.verify(ctx.db).ok
    acted = {(e.action, e.actor) for e in audit.events(ctx.db)}
    assert {
        ("policy.set", "tester"),
        ("alert.open", "loop"),
        ("loop.start", "loop"),
        ("model.register", "loop"),
        ("loop.retrain", "loop"),
        ("gate.decision", "loop"),
        ("rollout.start", "loop"),
        ("rollout.promote", "loop"),
        ("model.register", "alice"),
        ("loop.start", "alice"),
        ("rollout.rollback", "loop"),
        ("model.register", "bob"),
        ("loop.start", "bob"),
        ("loop.approve", "carol"),
    } <= acted
    runs = loop.list_runs(ctx, "shop")
    assert [(r.state, r.started_by) for r in runs] == [
        ("promoted", "bob"),
        ("rolled_back", "alice"),
        ("promoted", "loop"),
    ]
