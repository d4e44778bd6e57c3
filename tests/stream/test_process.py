"""``driftline stream run`` as a process: stopped by SIGTERM, and killed with SIGKILL.

To kill a worker at an exact moment, each worker runs the CLI under a small
harness that counts the calls it sends to Redis and sends itself SIGKILL
just before or just after the n-th call of a kind (the write step, a read, a
claim). Nothing else is changed: the worker, redis-server and the kill are
real. The harness imports driftline once and forks a worker per kill, so the
test pays for one interpreter start, not one a kill.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.redis

# Reads one JSON line per worker: [when ("before" or "after"), the command (EVALSHA,
# XREADGROUP, XAUTOCLAIM), which one of them (1 is the first), the CLI's arguments];
# answers each with a JSON line: the worker's exit status, and what it wrote on stderr.
HARNESS = textwrap.dedent(
    """
    import json, os, signal, sys, tempfile
    import redis.connection
    import driftline.cli, driftline.stream, skops.io, sklearn.linear_model  # paid once

    def patch(when, kind, nth):
        send = redis.connection.Connection.send_packed_command
        seen = 0

        def counted(self, command, check_health=True):
            nonlocal seen
            packed = command if isinstance(command, bytes) else b"".join(command)
            name = packed.split(b"\\r\\n", 3)[2] if packed.startswith(b"*") else b""
            # The write goes in a pipeline with the next read, first of its calls.
            mine = name == kind
            seen += mine
            if mine and seen == nth and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            send(self, command, check_health)
            if mine and seen == nth and when == "after":
                os.kill(os.getpid(), signal.SIGKILL)

        redis.connection.Connection.send_packed_command = counted

    for line in sys.stdin:
        when, kind, nth, args = json.loads(line)
        err = tempfile.TemporaryFile()
        pid = os.fork()
        if pid == 0:
            os.dup2(err.fileno(), 2)
            patch(when, kind.encode(), nth)
            os._exit(driftline.cli.main(args))
        _, status = os.waitpid(pid, 0)
        err.seek(0)
        text = err.read().decode(errors="replace")
        print(json.dumps([os.waitstatus_to_exitcode(status), text]), flush=True)
    """
)


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}


def command(home: Path, streams: Any, *extra: str) -> list[str]:
    return [
        "--home",
        str(home),
        "stream",
        "run",
        "credit@champion",
        "--source",
        streams.url(streams.source),
        "--sink",
        streams.sink,
        "--dead-letter",
        streams.dead,
        *extra,
    ]


def send_rows(streams: Any, n: int) -> list[str]:
    rng = np.random.default_rng(5)
    rows = rng.normal(size=(n, 3))
    return streams.send([dict(zip("abc", map(float, r), strict=True)) for r in rows])


def answered(streams: Any) -> Counter[str]:
    return Counter(r["input_id"] for r in streams.results())


def test_sigterm_finishes_the_batch_in_hand_and_exits_0(streams: Any, ws: Any, wait: Any) -> None:
    ids = send_rows(streams, 4000)
    args = command(ws.home, streams, "--batch", "20", "--consumer", "pod-1")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from driftline.cli import main; raise SystemExit(main())", *args],
        env=env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait(
            lambda: len(streams.client.xrange(streams.sink, count=200)) >= 200,
            timeout=60,
            what="200 results",
        )
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped (SIGTERM received)" in err
    counts = answered(streams)
    assert max(counts.values()) == 1 and set(counts) <= set(ids)
    # Everything it read, it answered; the rest was never delivered and waits in the stream.
    group = streams.client.xinfo_groups(streams.source)[0]
    assert group["pending"] == 0 and group["entries-read"] == len(counts) < len(ids)
    assert group["lag"] == len(ids) - len(counts)


# (when, kind, nth, consumer, then: results so far, and pending on whom). Batches are 16
# messages; pod-1 keeps its name across restarts (it resumes its own backlog at once),
# the others leave theirs to be claimed. The next worker starts once what the last one
# left is idle long enough to claim.
KILLS = [
    ("before", "EVALSHA", 1, "pod-1", 0, {"pod-1": 16}),  # scored, nothing written
    ("after", "XREADGROUP", 1, "pod-1", 0, {"pod-1": 16}),  # read its backlog again
    # The backlog answered, then a new batch written with the next one read: the reply unseen.
    ("after", "EVALSHA", 2, "pod-1", 32, {"pod-1": 16}),
    ("before", "EVALSHA", 2, "pod-2", 48, {"pod-2": 16}),  # pod-1's claimed and answered
    ("after", "XAUTOCLAIM", 1, "pod-3", 48, {"pod-3": 16}),  # claimed pod-2's, died with them
    ("after", "EVALSHA", 1, "pod-1", 64, {"pod-1": 16}),  # pod-3's claimed, answered, unseen
    ("before", "EVALSHA", 1, "pod-1", 64, {"pod-1": 16}),
]
UNLOGGED = 32  # two batches written, each by a worker killed before it logged them


@pytest.mark.slow
def test_kill_9_at_any_call_leaves_exactly_one_result_per_message(
    streams: Any, ws: Any, wait: Any
) -> None:
    ids = send_rows(streams, 600)
    common = ("--batch", "16", "--claim-idle", "200ms", "--block", "100ms", "--log", "--drain")
    harness = subprocess.Popen(
        [sys.executable, "-c", HARNESS],
        env=env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert harness.stdin is not None and harness.stdout is not None

    def worker(when: str, kind: str, nth: int, *args: str) -> tuple[int, str]:
        wait(lambda: claimable(streams, 0.25), timeout=30, what="the backlog to be claimable")
        harness.stdin.write(json.dumps([when, kind, nth, command(ws.home, streams, *args)]) + "\n")
        harness.stdin.flush()
        code, err = json.loads(harness.stdout.readline())
        return code, err

    try:
        for when, kind, nth, consumer, results, pending in KILLS:
            code, err = worker(when, kind, nth, *common, "--consumer", consumer)
            where = f"killed {when} {kind} #{nth} as {consumer}"
            assert code == -signal.SIGKILL, f"{where}: not reached (exit {code})\n{err}"
            counts = answered(streams)
            assert max(counts.values(), default=1) == 1, f"{where}: a second result"
            assert (len(counts), pending_on(streams)) == (results, pending), where
        code, err = worker("never", "-", 0, *common, "--consumer", "final")
        assert code == 0, err
    finally:
        harness.stdin.close()
        harness.wait(timeout=30)
    counts = answered(streams)
    assert set(counts) == set(ids) and max(counts.values()) == 1
    assert streams.pending("driftline:credit") == 0 and not streams.letters()
    assert f"{len(ids) - KILLS[-1][4]} messages answered" in err
    # Every answer is logged once, but for the batches written by a worker killed before
    # it logged them.
    from driftline.store import InferenceLog

    logged = Counter(
        r["request_id"]
        for r in InferenceLog.open(ws.settings).records()
        if r["kind"] == "prediction"
    )
    assert max(logged.values()) == 1 and len(logged) == len(ids) - UNLOGGED
    assert {rid.split("/", 1)[1] for rid in logged} <= set(ids)


def pending_on(streams: Any) -> dict[str, int]:
    summary = streams.client.xpending(streams.source, "driftline:credit")
    return {c["name"].decode(): int(c["pending"]) for c in summary["consumers"] if c["pending"]}


def claimable(streams: Any, idle: float) -> bool:
    """Whether every pending message has sat ``idle`` seconds (or none is pending)."""
    try:
        entries = streams.client.xpending_range(
            streams.source, "driftline:credit", min="-", max="+", count=1000
        )
    except Exception:  # no group yet
        return True
    return all(e["time_since_delivered"] >= idle * 1000 for e in entries)
