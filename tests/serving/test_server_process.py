"""``driftline serve`` as a process: durable under kill -9, graceful on SIGTERM, many workers."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from driftline.store import InferenceLog

ROW = {"a": 0.1, "b": -0.2, "c": 0.3}

pytestmark = pytest.mark.slow  # each test starts `driftline serve`: seconds of imports


def _segments(home: Path) -> list[Path]:
    return sorted((home / "log" / "segments").iterdir())


def _logged_ids(home: Path) -> set[str]:
    return {r["request_id"] for r in InferenceLog(home / "log").records()}


def test_every_answered_request_survives_kill_9(serve_process, ws, until) -> None:  # type: ignore[no-untyped-def]
    server = serve_process(ws.home)
    answered: list[str] = []
    refused: list[str] = []
    deadline = time.monotonic() + 30

    def client(t: int) -> None:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for k in range(2000):
                if time.monotonic() > deadline:
                    return
                try:
                    r = http.post(
                        "/v1/models/forest/predict", json={"records": [ROW], "id": f"k{t}-{k}"}
                    )
                except httpx.TransportError:
                    return  # the server is gone: this request was never answered
                if r.status_code != 200:
                    refused.append(r.text)
                    continue
                answered.extend(r.json()["request_ids"])

    threads = [threading.Thread(target=client, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    try:
        until(lambda: len(answered) >= 200, timeout=30, what="200 answered requests")
    finally:
        server.stop(signal.SIGKILL)  # while the clients are still sending
        for thread in threads:
            thread.join(timeout=30)
    assert server.process.returncode == -signal.SIGKILL
    assert not refused, refused[:3]
    logged = _logged_ids(ws.home)
    missing = [rid for rid in answered if rid not in logged]
    assert not missing, f"{len(missing)} of {len(answered)} answered requests are not in the log"
    # The dead process's segment was never sealed; the log still reads it.
    assert any(p.suffix == ".open" for p in _segments(ws.home))


def _begin(conn: http.client.HTTPConnection, body: dict[str, Any]) -> None:
    """Send a request's headers, wait for ``100 Continue``, then send its body.

    The server answers ``100 Continue`` only once the application asks for the
    body, so after it the request is in flight, not merely on the wire.
    """
    data = json.dumps(body).encode()
    conn.putrequest("POST", "/v1/models/forest/predict")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(len(data)))
    conn.putheader("Expect", "100-continue")
    conn.endheaders()
    interim = b""
    while not interim.endswith(b"\r\n\r\n"):
        byte = conn.sock.recv(1)  # one at a time: the final response must stay unread
        assert byte, f"connection closed before 100 Continue: {interim!r}"
        interim += byte
    assert interim.startswith(b"HTTP/1.1 100"), interim
    conn.send(data)


def test_public_address_needs_auth_or_insecure(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("driftline")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from driftline.cli._app import _entry; _entry()"]
    )
    done = subprocess.run(
        [*command, "--home", str(tmp_path / "ws"), "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr  # one line, no traceback
    assert "--auth" in done.stderr and "--insecure" in done.stderr, done.stderr
    assert not (tmp_path / "ws").exists()  # refused before opening anything


def test_two_workers_answer_log_and_finish_in_flight_requests_on_sigterm(  # type: ignore[no-untyped-def]
    serve_process, ws, trained, until
) -> None:
    # One server for three claims, because each start costs seconds of CPU: --insecure lets
    # it listen on every address (the test still talks over loopback only), both workers
    # answer and log, and SIGTERM finishes what is in flight and seals every segment.
    server = serve_process(ws.home, "--host", "0.0.0.0", "--insecure", "--workers", "2")
    expected = trained.forest_v1.predict(pd.DataFrame([ROW])).tolist()
    count = 0

    def pids_logging() -> set[str]:
        nonlocal count
        # A fresh connection each time, so the kernel spreads them over the workers.
        for _ in range(10):
            r = httpx.post(f"{server.url}/v1/models/forest/predict", json={"records": [ROW]})
            assert r.status_code == 200, r.text
            assert r.json()["predictions"] == expected
            count += 1
        pids = {p.name.split("-")[1] for p in _segments(ws.home)}
        return pids if len(pids) >= 2 else set()

    pids = until(pids_logging, timeout=30, what="two workers writing the log")
    assert len(pids) == 2 and str(server.process.pid) not in pids

    port = int(server.url.rsplit(":", 1)[1])
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(4)]
    rows = 3000  # big enough that answering takes a worker a while
    for i, conn in enumerate(conns):
        _begin(conn, {"records": [ROW] * rows, "id": f"big{i}"})
    server.process.send_signal(signal.SIGTERM)
    bodies = []
    for conn in conns:
        response = conn.getresponse()
        bodies.append((response.status, json.loads(response.read())))
        conn.close()
    code = server.stop(timeout=30)
    assert code in (0, -signal.SIGTERM), server.text()  # uvicorn re-raises the signal it caught
    for i, (status, body) in enumerate(bodies):
        assert status == 200, body
        assert len(body["predictions"]) == rows and body["request_ids"][-1] == f"big{i}:{rows - 1}"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/v2/health/ready")

    segments = _segments(ws.home)
    assert len(segments) == 2 and all(p.suffix == ".seg" for p in segments), segments  # sealed
    logged = _logged_ids(ws.home)
    assert len(logged) == count + len(conns) * rows
    assert all(f"big{i}:{j}" in logged for i in range(len(conns)) for j in range(rows))


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting for its reaper does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_workers_stop_and_seal_their_log_when_the_supervisor_is_killed(  # type: ignore[no-untyped-def]
    serve_process, ws, until
) -> None:
    # kill -9 of `serve --workers 2` itself: its workers must not live on as orphans still
    # answering on the port with no one to stop them; each stops as on SIGTERM.
    server = serve_process(ws.home, "--workers", "2")

    def workers_logging() -> set[int]:
        for _ in range(10):  # fresh connections, spread over the workers by the kernel
            r = httpx.post(f"{server.url}/v1/models/forest/predict", json={"records": [ROW]})
            assert r.status_code == 200, r.text
        pids = {int(p.name.split("-")[1]) for p in _segments(ws.home)}
        return pids if len(pids) >= 2 else set()

    workers = until(workers_logging, timeout=30, what="two workers writing the log")
    server.process.kill()
    server.process.wait(timeout=10)
    until(
        lambda: not any(_running(pid) for pid in workers),
        timeout=30,
        what="the workers to stop after their supervisor was killed",
    )
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/v2/health/ready")
    segments = _segments(ws.home)
    assert segments and all(p.suffix == ".seg" for p in segments), segments  # stopped cleanly
