"""What keeps a lone caller's slowest requests short: no batch wait, a frozen heap, a short GIL hold."""

from __future__ import annotations

import asyncio
import gc
import sys

import httpx
import pytest

from driftline.serving import ServerConfig, create_app


def test_sequential_requests_never_wait_in_the_batch_queue(serve, ws, trained) -> None:  # type: ignore[no-untyped-def]
    server = serve(ws)
    # Whether a call counts as cheap is measured, and a busy machine can make the
    # forest's call slower than the 0.5 ms line: what is tested here is the path a
    # cheap call takes, so the line is moved out of the clock's reach.
    for route in server.state.deployment("forest").routes.values():
        route.batcher.inline_below_s = 10.0
    rows = trained.numeric.head(12)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for i in range(12):  # one caller, one request at a time: each is alone in the server
            body = {"records": [rows.iloc[i].to_dict()]}
            assert client.post("/v1/models/forest/predict", json=body).status_code == 200
        metrics = client.get("/metrics").text
    waits = {
        line.split("{")[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("driftline_queue_seconds_")
        and 'model="forest"' in line
        and 'route="champion"' in line
        and "_bucket" not in line
    }
    assert waits["driftline_queue_seconds_count"] == 12
    assert waits["driftline_queue_seconds_sum"] == 0.0  # answered in the request's own task


def test_a_started_server_freezes_its_heap_and_shortens_the_gil_hold(ws) -> None:  # type: ignore[no-untyped-def]
    app = create_app(ws.context, ServerConfig(freeze_gc=True, gil_switch_ms=0.25))
    state = app.state.driftline
    before = sys.getswitchinterval()
    gc.unfreeze()

    async def scenario() -> tuple[int, float]:
        await state.start()
        try:
            return gc.get_freeze_count(), sys.getswitchinterval()
        finally:
            await state.stop()

    try:
        frozen, switch = asyncio.run(scenario())
    finally:
        gc.unfreeze()  # the test process's objects go back to the collector
    assert frozen > 10_000  # what was loaded at start: libraries and the models
    assert switch == pytest.approx(0.00025)
    assert sys.getswitchinterval() == before  # the process's own setting, once stopped


def test_gil_switch_zero_leaves_the_process_setting_alone(ws) -> None:  # type: ignore[no-untyped-def]
    app = create_app(ws.context, ServerConfig(freeze_gc=False, gil_switch_ms=0))
    state = app.state.driftline
    sys.setswitchinterval(0.004)
    try:

        async def scenario() -> float:
            await state.start()
            try:
                return sys.getswitchinterval()
            finally:
                await state.stop()

        assert asyncio.run(scenario()) == pytest.approx(0.004)
    finally:
        sys.setswitchinterval(0.005)  # Python's default
