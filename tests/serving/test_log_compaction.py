"""``driftline serve`` compacts its log in a child process, with every guarantee it had in-process.

Real servers and real children: the tests hold the log folder's compaction
lock themselves (as a second server would) to catch the child while it waits
its turn, and kill it with SIGKILL while it publishes files.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pyarrow.parquet as pq
import pytest

from _log_world import MODELS, expected_ids, prediction
from driftline.store import InferenceLog, LogStore

pytestmark = pytest.mark.slow  # each test starts `driftline serve`: seconds of imports

ROW = {"a": 0.1, "b": -0.2, "c": 0.3}
STOPPED = (0, -signal.SIGTERM)  # uvicorn re-raises the signal it caught, once it has finished


def compact_every(home: Path, seconds: float) -> None:
    with open(home / "driftline.toml", "a", encoding="utf-8") as f:
        f.write(f"log_compact_seconds = {seconds}\n")  # the file ends in its [workspace] table


def leave_segments(home: Path, n: int) -> None:
    """What a previous server left: ``n`` predictions of 3 models over 4 days, many segments."""
    log = InferenceLog(home / "log", segment_bytes=20_000, max_group=50)
    for i in range(n):
        log.append(prediction(i))
    log.close()


def store_of(home: Path) -> LogStore:
    return LogStore(str(home / "log" / "parquet"))  # the default log_url of a local workspace


def ids(home: Path, model: str) -> collections.Counter[str]:
    table = InferenceLog(home / "log", store=store_of(home)).read(model)
    return collections.Counter(table.column("request_id").to_pylist())


def left_ids(home: Path) -> dict[str, collections.Counter[str]]:
    return {m: ids(home, m) for m in MODELS}


def published(home: Path) -> list[Path]:
    return sorted((home / "log" / "parquet").rglob("*.parquet"))


def waiting(home: Path) -> list[Path]:
    return [p for p in (home / "log" / "segments").iterdir() if p.suffix == ".seg"]


@contextlib.contextmanager
def compaction_lock(home: Path) -> Iterator[BinaryIO]:
    """Hold the folder's compaction lock, as another compacting process would."""
    with open(home / "log" / "compact.lock", "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        yield f


def compaction_child(server_pid: int, not_in: set[int] = frozenset()) -> int | None:  # type: ignore[assignment]
    """The live compaction process the server started, if there is one."""
    for task in Path(f"/proc/{server_pid}/task").iterdir():
        with contextlib.suppress(OSError):
            for pid in map(int, (task / "children").read_text().split()):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                if pid not in not_in and b"_compact_child" in cmdline and alive(pid):
                    return pid
    return None


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended, only not yet been waited for


def metric(url: str, name: str) -> float:
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def predict(url: str, n: int) -> list[str]:
    answered = []
    with httpx.Client(base_url=url, timeout=10) as http:
        for _ in range(n):
            r = http.post("/v1/models/forest/predict", json={"records": [ROW]})
            assert r.status_code == 200, r.text
            answered += r.json()["request_ids"]
    return answered


def test_the_child_takes_its_turn_at_a_lower_priority_while_the_server_answers(
    ws: Any, serve_process: Callable[..., Any], until: Callable[..., Any]
) -> None:
    home = ws.home
    compact_every(home, 0.5)
    leave_segments(home, 900)
    # Two damaged lines in a segment the dead server left: the child finds, the server counts.
    with open(waiting(home)[0], "ab") as f:
        f.write(b"00000000 {}\n0badf00d not json\n")
    left = len(waiting(home))
    with compaction_lock(home):  # another server compacting this folder: the child must wait
        server = serve_process(home)
        child = until(lambda: compaction_child(server.process.pid), timeout=30, what="the child")
        assert metric(server.url, "driftline_log_compacting") == 1
        serving = os.getpriority(os.PRIO_PROCESS, server.process.pid)
        until(
            lambda: os.getpriority(os.PRIO_PROCESS, child) >= serving + 10,
            timeout=10,
            what="the child to lower its priority",
        )
        answered = predict(server.url, 50)  # answered while its compaction waits
        assert published(home) == [] and len(waiting(home)) >= left  # nothing moved out of turn
    until(
        lambda: metric(server.url, "driftline_log_compacted_rows_total") >= 900,
        timeout=60,
        what="the child to compact what was left",
    )
    assert metric(server.url, "driftline_log_corrupt_lines_total") == 2
    assert metric(server.url, "driftline_log_compaction_failures_total") == 0
    assert "failed their checksum" in server.text()  # the child's warning, logged by the server
    assert server.stop() in STOPPED
    assert left_ids(home) == expected_ids(900)
    assert sorted(ids(home, "forest")) == sorted(answered)


def test_kill_9_of_the_child_loses_nothing_and_shows_no_partial_file(
    ws: Any, serve_process: Callable[..., Any], until: Callable[..., Any]
) -> None:
    home, n = ws.home, 6000
    compact_every(home, 0.5)
    leave_segments(home, n)
    segments = len(waiting(home))
    assert segments >= 40  # enough files that each kill lands in the middle
    killed: set[int] = set()
    answered: list[str] = []
    lock = open(home / "log" / "compact.lock", "a+b")  # noqa: SIM115 - taken and given back below
    fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
    server = serve_process(home)
    try:
        for target in (1, 15, 40, 80, 120):
            child = until(
                lambda: compaction_child(server.process.pid, killed), timeout=30, what="a child"
            )
            answered += predict(server.url, 10)
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)  # its turn
            until(
                lambda t=target, c=child: len(published(home)) >= t or not alive(c),
                timeout=120,
                what=f"{target} published files",
            )
            if alive(child):
                os.kill(child, signal.SIGKILL)
                killed.add(child)
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # the next child waits while we look
            # At the moment of the kill: every record once, from a file or a segment, and
            # every file a reader can find is whole.
            assert left_ids(home) == expected_ids(n)
            for path in published(home):
                assert pq.read_metadata(path).num_rows > 0
        assert len(killed) >= 3, "the compactions ended before they could be killed"
    finally:
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
        lock.close()
    until(lambda: not waiting(home), timeout=120, what="the next compactions to finish")
    assert metric(server.url, "driftline_log_compaction_failures_total") >= len(killed)
    answered += predict(server.url, 10)  # it serves on, its children killed under it
    assert server.stop() in STOPPED
    assert left_ids(home) == expected_ids(n)
    assert sorted(ids(home, "forest")) == sorted(answered)
    assert not (home / "log" / "compacting").exists()  # the killed children's scratch: cleared


def test_stopping_the_server_ends_its_child_and_the_next_compaction_finishes(
    ws: Any, serve_process: Callable[..., Any], until: Callable[..., Any], cli: Callable[..., Any]
) -> None:
    home = ws.home
    compact_every(home, 0.5)
    leave_segments(home, 600)
    with compaction_lock(home):
        server = serve_process(home)
        child = until(lambda: compaction_child(server.process.pid), timeout=30, what="the child")
        answered = predict(server.url, 20)
        assert server.stop(signal.SIGTERM, timeout=30) in STOPPED
        assert not alive(child)  # ended with the server, not left behind holding the folder
    assert left_ids(home) == expected_ids(600)  # nothing lost by the stop
    done = cli("--home", str(home), "log", "compact", cwd=home)  # in-process, as before
    assert done.returncode == 0, done.stderr
    assert not waiting(home) and left_ids(home) == expected_ids(600)
    assert sorted(ids(home, "forest")) == sorted(answered)


def test_a_failing_compaction_is_logged_once_a_run_and_tried_again(
    ws: Any, serve_process: Callable[..., Any], until: Callable[..., Any]
) -> None:
    home = ws.home
    compact_every(home, 0.5)
    leave_segments(home, 300)
    (home / "log" / "parquet").mkdir(parents=True, exist_ok=True)
    obstacle = home / "log" / "parquet" / "predictions"
    obstacle.write_text("a file where the log store needs a folder")
    server = serve_process(home)
    until(
        lambda: metric(server.url, "driftline_log_compaction_failures_total") >= 2,
        timeout=60,
        what="two failed compactions",
    )
    assert predict(server.url, 5)  # the server lives on
    obstacle.unlink()
    until(
        lambda: metric(server.url, "driftline_log_compacted_rows_total") >= 300,
        timeout=60,
        what="the compaction once the store can be written",
    )
    failures = metric(server.url, "driftline_log_compaction_failures_total")
    assert server.stop() in STOPPED
    said = [line for line in server.text().splitlines() if "could not compact" in line]
    assert len(said) == failures and "Not a directory" in said[0]
    assert "Traceback" not in server.text()
    assert left_ids(home) == expected_ids(300)


def opened_lock(pid: int) -> bool:
    """Whether ``pid`` has the compaction lock's file open: past its start, at the lock."""
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd).endswith("compact.lock"):
                    return True
    return False


def test_a_log_too_far_behind_compacts_at_the_servers_priority_until_it_catches_up(
    tmp_path: Path, until: Callable[..., Any]
) -> None:
    # Small segments stand in for a busy server's 64 MB ones: more than CATCH_UP wait.
    from prometheus_client import CollectorRegistry

    from driftline.serving._log_upkeep import CATCH_UP, LogUpkeep

    home = tmp_path
    log = InferenceLog(home / "log", store=store_of(home), segment_bytes=20_000)
    leave_segments(home, 1500)
    assert sum(p.stat().st_size for p in waiting(home)) > CATCH_UP * log.segment_bytes
    upkeep = LogUpkeep(log, CollectorRegistry(), every_s=0)

    def priority_of_a_run() -> int:
        async def run() -> int:
            with compaction_lock(home) as lock:
                task = asyncio.create_task(upkeep.compact())
                await asyncio.to_thread(
                    until, lambda: upkeep.child and opened_lock(upkeep.child.pid), timeout=30,
                    what="the child at the lock",
                )  # fmt: skip
                assert upkeep.child is not None
                niceness = os.getpriority(os.PRIO_PROCESS, upkeep.child.pid)
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
            await task
            return niceness

        return asyncio.run(run())

    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert priority_of_a_run() == own  # behind: no yielding
    assert left_ids(home) == expected_ids(1500) and not waiting(home)
    leave_segments(home, 30)
    assert priority_of_a_run() == min(own + 10, 19)  # caught up: low priority again
    log.close()


def test_a_round_with_nothing_but_the_open_segment_starts_no_child(tmp_path: Path) -> None:
    # A fresh server's first round, and every round of an idle one: no process to start.
    from prometheus_client import CollectorRegistry

    from driftline.serving._log_upkeep import LogUpkeep

    home = tmp_path
    log = InferenceLog(home / "log", store=store_of(home))
    registry = CollectorRegistry()
    upkeep = LogUpkeep(log, registry, every_s=0)

    def started() -> float | None:
        return registry.get_sample_value("driftline_log_compactions_total")

    asyncio.run(upkeep.compact())
    assert started() == 0 and not published(home)
    leave_segments(home, 30)  # what a previous process left: compacted by the next round
    asyncio.run(upkeep.compact())
    assert started() == 1 and left_ids(home) == expected_ids(30) and not waiting(home)
    log.write(prediction(31))  # the open segment, sealed by the next round: work for it
    asyncio.run(upkeep.compact())
    assert started() == 2 and ids(home, MODELS[31 % 3])["r31"] == 1
    log.close()
