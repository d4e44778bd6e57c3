"""The inference log: group commit, torn writes, kill -9, compaction, labels."""

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pyarrow as pa

from driftline.store._log import InferenceLog, _encode


def record(i: int, model: str = "m", day: int = 1) -> dict:  # type: ignore[type-arg]
    return {
        "kind": "prediction",
        "request_id": f"r{i}",
        "timestamp": dt.datetime(2026, 11, day, 12, tzinfo=dt.UTC).isoformat(),
        "model": model,
        "version": 1,
        "route": "champion",
        "latency_ms": 0.5,
        "inputs": {"x": float(i), "color": "red"},
        "prediction": i % 2,
        "probabilities": [0.25, 0.75],
    }


def test_concurrent_appends_are_grouped_and_all_kept(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)
    barrier = threading.Barrier(16)

    def worker(w: int) -> None:
        barrier.wait()
        for i in range(50):
            log.write(record(w * 1000 + i))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    ids = [r["request_id"] for r in log.records()]
    assert sorted(ids) == sorted(f"r{w * 1000 + i}" for w in range(16) for i in range(50))
    assert log.groups < len(ids)  # concurrent writers shared fsyncs


def test_fsync_mode_also_keeps_everything(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path, wait_for="fsync")
    for i in range(5):
        log.write(record(i))
    log.close()
    assert [r["request_id"] for r in log.records()] == [f"r{i}" for i in range(5)]


def test_torn_and_corrupt_lines_are_dropped(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)
    log.write(record(1))
    log.close()
    segment = next((tmp_path / "segments").iterdir())
    with open(segment, "ab") as f:
        good = _encode(record(2))
        f.write(good[:-1].replace(b'"r2"', b'"r9"') + b"\n")  # checksum no longer matches
        f.write(_encode(record(3))[:25])  # torn: no newline
    assert [r["request_id"] for r in log.records()] == ["r1"]


def test_compaction_partitions_by_model_and_day_and_joins_labels(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)
    for i in range(6):
        log.write(record(i, model="a" if i < 4 else "b", day=1 + i % 2))
    log.write(
        {"kind": "label", "request_id": "r2", "label": 1, "timestamp": "2026-11-03T00:00:00+00:00"}
    )
    log.close()
    assert log.compact() == 6
    assert list((tmp_path / "segments").iterdir()) == []
    days = sorted(p.name for p in (tmp_path / "parquet" / "model=a").iterdir())
    assert days == ["date=2026-11-01", "date=2026-11-02"]
    table = log.read("a")
    assert sorted(table.column("request_id").to_pylist()) == ["r0", "r1", "r2", "r3"]
    assert pa.types.is_timestamp(table.schema.field("timestamp").type)
    assert set(table.column("x").to_pylist()) == {0.0, 1.0, 2.0, 3.0}
    labels = dict(
        zip(table.column("request_id").to_pylist(), table.column("label").to_pylist(), strict=True)
    )
    assert labels == {"r0": None, "r1": None, "r2": 1, "r3": None}
    assert log.compact() == 0


def test_read_includes_records_not_yet_compacted(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)
    log.write(record(1))
    log.close()
    log.compact()
    second = InferenceLog(tmp_path)
    second.write(record(2))
    assert sorted(second.read("m").column("request_id").to_pylist()) == ["r1", "r2"]
    second.close()


def test_open_segment_of_a_live_writer_is_not_compacted(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)
    log.write(record(1))
    assert InferenceLog(tmp_path).compact() == 0  # another process's view: writer alive
    log.close()
    assert InferenceLog(tmp_path).compact() == 1


WRITER = textwrap.dedent(
    """
    import sys
    from driftline.store._log import InferenceLog
    sys.path.insert(0, {tests!r})
    from test_log import record
    log = InferenceLog({root!r})
    i = 0
    while True:
        log.write(record(i))
        print(i, flush=True)   # the "response": sent only after the write returned
        i += 1
    """
)


def test_every_acknowledged_record_survives_kill_9(tmp_path: Path) -> None:
    code = WRITER.format(tests=str(Path(__file__).parent), root=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acknowledged = []
    for line in proc.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) == 300:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    acknowledged.extend(int(line) for line in proc.stdout.read().split())
    kept = {r["request_id"] for r in InferenceLog(tmp_path).records()}
    assert {f"r{i}" for i in acknowledged} <= kept
    assert InferenceLog(tmp_path).compact() == len(kept)  # the dead writer's segment compacts
