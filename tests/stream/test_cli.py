"""``driftline stream run`` from the command line: its answers, and one line for each mistake."""

from __future__ import annotations

import json
import socket
import sys
from typing import Any

import pytest

from driftline.cli import main


def run(ws: Any, *args: str) -> list[str]:
    return ["--home", str(ws.home), "stream", "run", *args]


@pytest.mark.redis
def test_drain_scores_what_waits_and_prints_the_counts(
    streams: Any, ws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    streams.send([{"a": 0.1, "b": 0.2, "c": 0.3}, {"a": 1.0, "b": -1.0, "c": 0.0}])
    streams.send_fields([{"data": "oops"}])
    args = ["credit@champion", "--source", streams.url(streams.source), "--sink", streams.sink]
    code = main(run(ws, *args, "--dead-letter", streams.dead, "--drain", "--json"))
    out, err = capsys.readouterr()
    assert code == 0, err
    counts = json.loads(out)
    assert (counts["read"], counts["answered"], counts["dead"]) == (3, 2, 1)
    assert counts["stopped"] == "nothing left to read"
    assert len(streams.results()) == 2 and len(streams.letters()) == 1
    lines = err.splitlines()
    assert "driftline stream: scoring" in lines[0] and "group `driftline:credit`" in lines[0]
    assert any("sent 1 message to the dead-letter stream" in line for line in lines)
    assert "stopped (nothing left to read)" in lines[-1] and "2 messages answered" in lines[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "driftline stream:" not in line]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--source", "http://cache/orders", "--sink", "out"],
            "--source must be a Redis stream address like redis://localhost:6379/0/orders, "
            "got 'http://cache/orders'",
        ),
        (
            ["--source", "redis://cache/0/a/b", "--sink", "out"],
            "--source must end with /DB/STREAM or /STREAM",
        ),
        (
            ["--source", "redis://cache/0/in", "--sink", "redis://other/0/out"],
            "--sink must be on the same Redis server and database as --source "
            "(redis://cache:6379/0), got redis://other:6379/0",
        ),
        (
            ["--source", "redis://u:s3cret@cache/0/in", "--sink", "redis://u:s3cret@cache/1/out"],
            "(redis://u:***@cache:6379/0), got redis://u:***@cache:6379/1",
        ),
        (
            ["--source", "redis://cache/in", "--sink", "out", "--claim-idle", "soon"],
            "--claim-idle must be a duration like 500ms, 30s or 2m, got 'soon'",
        ),
        (
            ["--source", "redis://cache/in", "--sink", "out", "--batch", "0"],
            "--batch must be at least 1, got 0",
        ),
        (
            ["--source", "redis://cache/in", "--sink", "in"],
            "--source, --sink and --dead-letter must be three different streams",
        ),
    ],
)
def test_a_wrong_flag_is_one_line_and_exit_2(
    ws: Any, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(run(ws, "credit@champion", *args)) == 2
    line = one_error_line(capsys)
    assert line.startswith("driftline: error: ") and message in line, line
    assert "s3cret" not in line


def test_an_unknown_model_is_exit_2(ws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["nosuch@champion", "--source", "redis://127.0.0.1/0/in", "--sink", "out"]
    assert main(run(ws, *args)) == 2
    assert "nosuch" in one_error_line(capsys)


def test_a_redis_that_does_not_answer_is_one_line_and_exit_1(
    ws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("redis")
    port = _free_port()
    args = ["credit@champion", "--source", f"redis://127.0.0.1:{port}/0/in", "--sink", "out"]
    assert main(run(ws, *args)) == 1
    line = one_error_line(capsys)
    assert f"cannot reach Redis at redis://127.0.0.1:{port}/0/in (" in line
    assert line.endswith("check that the server runs and that --source names it")


@pytest.mark.redis
def test_a_key_that_is_not_a_stream_is_named(
    streams: Any, ws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    streams.client.set(streams.sink, "a string")
    args = ["credit@champion", "--source", streams.url(streams.source), "--sink", streams.sink]
    assert main(run(ws, *args, "--drain")) == 2
    line = one_error_line(capsys)
    assert (
        f"--sink names {streams.url(streams.sink)}, which holds a Redis string, not a stream"
        in line
    )


def test_without_redis_py_the_hint_names_the_extra(
    ws: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if it were not installed
    args = ["credit@champion", "--source", "redis://127.0.0.1/0/in", "--sink", "out"]
    assert main(run(ws, *args)) == 1
    assert "pip install 'driftline[redis]'" in one_error_line(capsys)
